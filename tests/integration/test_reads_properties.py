"""Property: the SQL fold of store/history.py equals the reference fold of domain/history.py for
any history, arrival order and pair of bounds, on SQLite and PostgreSQL; and with no bound it is
the live position."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnistock.domain.buckets import BUCKETS
from omnistock.domain.history import AsOf, HistoryFact, fold_as_of
from omnistock.services.availability import availability
from omnistock.services.movements import apply_count, apply_movement
from omnistock.store.tables import movements

from ..factories import T0, movement, seed
from .test_orders import Clock
from .test_reads import count

fact = st.tuples(st.sampled_from(["receipt", "sale", "adjustment", "count", "damage"]),
                 st.integers(1, 20), st.integers(0, 60), st.integers(0, 10))
bound = st.none() | st.integers(-5, 200)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=st.lists(fact, min_size=1, max_size=12), t=bound, r=bound)
def test_the_sql_fold_is_the_reference_fold(db, facts, t, r):
    clock = Clock()  # T0 + 1 h, after every fact; each arrival moves it on
    db.clock = clock
    sku = f"P-{uuid.uuid4().hex[:8]}"
    seed(db, skus=(sku,), locations=("S1",) if not _has(db, "S1") else ())
    for i, (kind, qty, minute, wait) in enumerate(facts):
        clock.advance(minutes=wait)
        if kind == "count":
            apply_count(db, count(qty, minute, f"{sku}-{i}", sku=sku))
        else:
            apply_movement(db, movement(kind, qty, sku=sku, minutes=minute,
                                        **({"reason": "correction"} if kind == "adjustment"
                                           else {})))
    as_of = AsOf(T0 + timedelta(minutes=t) if t is not None else None,
                 T0 + timedelta(hours=1, minutes=r) if r is not None else None)
    with db.uow(readonly=True) as uow:
        item_id = uow.catalog.item_id(sku)
        rows = uow.conn.execute(movements.select().where(movements.c.item_id == item_id))
        history = [HistoryFact(m.occurred_at, m.recorded_at, f"{m.source}:{m.external_id}",
                               {b: getattr(m, f"d_{b}") for b in BUCKETS}, m.raw_on_hand,
                               m.counted) for m in rows]
        folded = uow.history.positions([item_id], as_of)
    want = fold_as_of(history, as_of)
    got = next(iter(folded.values()), None)
    if not any(as_of.includes(f.occurred_at, f.recorded_at) for f in history):
        assert got is None
    else:
        assert got is not None and {b: got[b] for b in BUCKETS} == want.as_dict()
    with db.uow(readonly=True) as uow:
        live = next(iter(uow.history.positions([item_id], AsOf()).values()))
    position = availability(db, sku)["locations"][0]
    assert {b: live[b] for b in BUCKETS} == {b: position[b] for b in BUCKETS}


def _has(db, code: str) -> bool:
    with db.uow(readonly=True) as uow:
        try:
            uow.catalog.location(code)
            return True
        except Exception:
            return False
