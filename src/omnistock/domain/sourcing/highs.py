"""A MILP model handed to HiGHS column-wise in one piece, and its solution read back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import highspy

NewSolver = Callable[[], highspy.Highs]
"""Makes a fresh HiGHS instance. Its constructor prints a banner on stdout from C++, so a
caller whose stdout matters passes `omnistock.solver.quiet_highs`; the default prints it."""


@dataclass
class MilpModel:
    """Columns, rows and coefficients, handed to HiGHS in one piece (column-wise)."""

    cost: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    entries: list[tuple[int, int, float]] = field(default_factory=list)  # (col, row, value)
    offset: float = 0.0

    def col(self, cost: float, upper: float, *, integer: bool = True) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float) -> int:
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return len(self.row_lower) - 1

    def add(self, row: int, col: int, value: float) -> None:
        self.entries.append((col, row, value))

    def to_lp(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.row_lower)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.cost, [0.0] * len(self.cost), self.upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.offset_ = self.offset
        entries = sorted(self.entries)
        start, col = [0], 0
        for i, (c, _, _) in enumerate(entries):
            while col < c:
                start.append(i)
                col += 1
        start.extend([len(entries)] * (len(self.cost) + 1 - len(start)))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = [r for _, r, _ in entries]
        lp.a_matrix_.value_ = [v for _, _, v in entries]
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in self.integer]
        return lp

    def solve(self, *, time_limit: float, abs_gap: float,
              new_solver: NewSolver = highspy.Highs) -> tuple[list[float], bool] | None:
        """Values and whether they are proven optimal; None without a feasible solution."""
        highs = new_solver()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", time_limit)
        highs.setOptionValue("mip_rel_gap", 0.0)
        highs.setOptionValue("mip_abs_gap", abs_gap)
        highs.passModel(self.to_lp())
        highs.run()
        optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        feasible = (highs.getInfo().primal_solution_status
                    == highspy.SolutionStatus.kSolutionStatusFeasible)
        if not (optimal or feasible):
            return None
        return list(highs.getSolution().col_value), optimal
