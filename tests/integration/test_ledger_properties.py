"""Hypothesis drives random interleavings of movements, counts, count reversals and holds
against a real database, SQLite and PostgreSQL (where a hold is one statement); after every
step, reservations never made available negative and positions equal the fold of the ledger."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from omnistock.domain.errors import InsufficientStock, InvalidState
from omnistock.services import reservations as res
from omnistock.services.availability import availability
from omnistock.services.corrections import reverse_count
from omnistock.services.movements import CountRequest, apply_count, apply_movement
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..backends import fresh_sqlite, truncate_all
from ..conftest import BACKENDS
from ..factories import T0, movement, ref, seed

PHYSICAL = ["receipt", "sale", "return", "damage", "transfer_out"]


class LedgerMachine(RuleBasedStateMachine):
    new_database: Callable[[], str]  # a migrated, empty database for each example

    def __init__(self) -> None:
        super().__init__()
        self.db = Database.open(self.new_database())
        seed(self.db)
        self.now = T0 + timedelta(minutes=61)  # every fact below is dated in the past
        self.db.clock = lambda: self.now
        self.holds: list[str] = []
        self.counts: list[int] = []
        self.reserved_ok = True

    def teardown(self) -> None:
        self.db.close()

    @rule(type_=st.sampled_from(PHYSICAL), q=st.integers(1, 5), minutes=st.integers(0, 60))
    def physical(self, type_, q, minutes):
        apply_movement(self.db, movement(type_, q, minutes=minutes))

    @rule(q=st.integers(0, 15), minutes=st.integers(0, 60))
    def count(self, q, minutes):
        done = apply_count(self.db, CountRequest("SKU-1", "S1", q,
                                                 T0 + timedelta(minutes=minutes), "count",
                                                 ref("c")))
        self.counts.append(done.movement["id"])

    @rule(data=st.data())
    def reverse_a_count(self, data):
        if self.counts:
            with contextlib.suppress(InvalidState):  # already reversed
                reverse_count(self.db, data.draw(st.sampled_from(self.counts)), "miscounted")

    @rule(q=st.integers(1, 4), ttl=st.integers(1, 120))
    def reserve(self, q, ttl):
        before = self._available()
        try:
            r = res.reserve(self.db, sku="SKU-1", location="S1", quantity=q, ttl_seconds=ttl)
            self.holds.append(r["id"])
            self.reserved_ok &= before >= q
        except InsufficientStock:
            self.reserved_ok &= before < q

    @rule(data=st.data(), action=st.sampled_from(["release", "commit"]))
    def close(self, data, action):
        if self.holds:
            rid = data.draw(st.sampled_from(self.holds))
            with contextlib.suppress(InvalidState):
                getattr(res, action)(self.db, rid)

    @rule(seconds=st.integers(1, 90))
    def time_passes(self, seconds):
        self.now += timedelta(seconds=seconds)

    @rule()
    def sweep(self):
        res.sweep_expired(self.db)

    def _available(self) -> int:
        locs = availability(self.db, "SKU-1")["locations"]
        return locs[0]["available"] if locs else 0

    @invariant()
    def holds_never_oversell(self):
        assert self.reserved_ok

    @invariant()
    def positions_equal_fold_of_ledger(self):
        assert verify(self.db) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_ledger_properties(backend, request, tmp_path, sqlite_template):
    if backend == "sqlite":
        def new_database() -> str:
            return fresh_sqlite(sqlite_template, tmp_path)
    else:
        url = request.getfixturevalue("pg_url")

        def new_database() -> str:
            truncate_all(url)
            return url

    machine = type("Machine", (LedgerMachine,), {"new_database": staticmethod(new_database)})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=20, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
