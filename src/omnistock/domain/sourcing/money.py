"""Money as integer cents.

Inside sourcing every amount is counted in integer cents, so two plans compare exactly and the
MILP can break a tie toward the nearer node with a weight that never outweighs a real
difference of one cent. Policies state money in currency units (whole cents).
"""

from __future__ import annotations


def to_cents(amount: float) -> int:
    return round(amount * 100)


def format_money(cents: int) -> str:
    return f"{cents / 100:.2f}"
