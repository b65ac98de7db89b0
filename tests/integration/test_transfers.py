"""Transfers on SQLite and PostgreSQL: ship, partial and repeated receipts, over-receipts,
losses in transit, cancels; the ledger verifies after each, and `incoming` never goes below
zero whatever the order of the calls."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from omnistock.domain.catalog import Item, Location
from omnistock.domain.errors import (
    DomainError,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidState,
)
from omnistock.services import catalog, reservations, transfers
from omnistock.services.availability import availability
from omnistock.services.movements import apply_movement
from omnistock.services.verify import verify
from omnistock.store.database import Database
from omnistock.store.tables import inbound, movements, outbox

from ..factories import T0, movement

DUE = T0 + timedelta(days=2)


def network(db: Database, stock: dict[tuple[str, str], int] | None = None) -> Database:
    """Items A and B; a DC and stores S1, S2; `stock` received; the clock stopped at T0."""
    db.clock = lambda: T0
    for sku in ("A", "B"):
        catalog.create_item(db, Item(sku=sku))
    for code, kind in (("DC", "dc"), ("S1", "store"), ("S2", "store")):
        catalog.create_location(db, Location(code=code, kind=kind))
    for (sku, code), quantity in (stock or {("A", "DC"): 10, ("B", "DC"): 10}).items():
        apply_movement(db, movement("receipt", quantity, sku=sku, location=code,
                                    minutes=-60))
    return db


@pytest.fixture
def net(db: Database) -> Database:
    return network(db)


def buckets(db: Database, sku: str, code: str, horizon: int | None = None) -> dict[str, int]:
    for entry in availability(db, sku, horizon_days=horizon)["locations"]:
        if entry["location"] == code:
            return entry
    return {"on_hand": 0, "incoming": 0, "available": 0}


def new(db: Database, lines=(("A", 5),), **kw) -> dict:
    return transfers.create_transfer(db, from_location="DC", to_location="S1",
                                     lines=[{"sku": s, "quantity": q} for s, q in lines],
                                     expected_at=DUE, **kw)


def lines(view: dict) -> dict[str, tuple[int, int, int, int]]:
    return {ln["sku"]: (ln["shipped"], ln["received"], ln["lost"], ln["in_transit"])
            for ln in view["lines"]}


def open_inbound(db: Database, reference: str | None = None) -> int:
    with db.engine.connect() as c:
        q = select(inbound.c.quantity_open)
        if reference is not None:
            q = q.where(inbound.c.reference == reference)
        return sum(int(r[0]) for r in c.execute(q))


def test_a_shipped_transfer_leaves_the_source_and_is_incoming_for_that_transfer(net):
    t = new(net, reference="REPLEN-7")
    assert (t["status"], t["reference"], t["allowed_actions"]) == (
        "requested", "REPLEN-7", ["ship", "cancel"])
    assert lines(t) == {"A": (0, 0, 0, 0)}
    shipped = transfers.ship(net, t["id"])
    assert shipped["status"] == "shipped"
    assert lines(shipped) == {"A": (5, 0, 0, 5)}
    assert shipped["in_transit"] == 5
    assert buckets(net, "A", "DC")["on_hand"] == 5
    assert buckets(net, "A", "S1")["incoming"] == 5
    with net.engine.connect() as c:
        [row] = c.execute(select(inbound.c.kind, inbound.c.reference, inbound.c.expected_at,
                                 inbound.c.quantity_open)).all()
    assert tuple(row) == ("transfer", f"transfer:{t['id']}", DUE, 5)
    assert verify(net) == []


def test_a_partial_receipt_then_the_rest_lost_in_transit(net):
    t = new(net)
    transfers.ship(net, t["id"])
    part = transfers.receive(net, t["id"], [{"sku": "A", "quantity": 3}])
    assert (part["status"], lines(part)) == ("partly_received", {"A": (5, 3, 0, 2)})
    s1 = buckets(net, "A", "S1")
    assert (s1["on_hand"], s1["incoming"]) == (3, 2)
    assert verify(net) == []
    closed = transfers.close(net, t["id"], "pallet missing at arrival")
    assert (closed["status"], closed["close_reason"]) == ("closed_short",
                                                          "pallet missing at arrival")
    assert lines(closed) == {"A": (5, 3, 2, 0)}
    s1 = buckets(net, "A", "S1")
    assert (s1["on_hand"], s1["incoming"]) == (3, 0)
    assert open_inbound(net) == 0
    with net.engine.connect() as c:
        loss = c.execute(select(movements.c.type, movements.c.reason, movements.c.d_incoming,
                                movements.c.d_on_hand)
                         .where(movements.c.type == "transit_loss")).one()
    assert tuple(loss) == ("transit_loss", "transit_loss", -2, 0)
    assert closed["history"][-1]["reason"] == "pallet missing at arrival"
    assert verify(net) == []


def test_a_loss_in_transit_closes_the_transfers_units_only(net):
    apply_movement(net, movement("expected", 4, sku="A", location="S1", expected_at=DUE))
    t = new(net)
    transfers.ship(net, t["id"])
    transfers.close(net, t["id"], "lost")
    assert buckets(net, "A", "S1")["incoming"] == 4  # the notice's units may still come
    assert open_inbound(net) == 4
    assert verify(net) == []


def test_an_over_receipt_is_refused_and_changes_nothing(net):
    t = new(net, lines=[("A", 2)])
    transfers.ship(net, t["id"])
    with pytest.raises(InvalidState) as refused:
        transfers.receive(net, t["id"], [{"sku": "A", "quantity": 3}])
    assert refused.value.field == "lines[0].quantity"
    assert refused.value.data["in_transit"] == 2
    assert lines(transfers.get_transfer(net, t["id"])) == {"A": (2, 0, 0, 2)}
    assert buckets(net, "A", "S1")["on_hand"] == 0
    assert verify(net) == []


def test_an_accepted_over_receipt_is_a_discrepancy_that_closes_nothing(net):
    apply_movement(net, movement("expected", 4, sku="A", location="S1", expected_at=DUE))
    t = new(net, lines=[("A", 2)])
    transfers.ship(net, t["id"])
    got = transfers.receive(net, t["id"], [{"sku": "A", "quantity": 3}], accept_over=True)
    assert got["status"] == "received"
    assert lines(got) == {"A": (2, 2, 0, 0)}
    assert got["lines"][0]["over_received"] == 1
    assert [(d["kind"], d["sku"], d["quantity"]) for d in got["discrepancies"]] == [
        ("over_receipt", "A", 1)]
    s1 = buckets(net, "A", "S1")
    assert (s1["on_hand"], s1["incoming"]) == (3, 4)  # the notice's units are still open
    assert open_inbound(net) == 4
    assert verify(net) == []


def test_a_repeated_receipt_is_a_replay_and_receipts_may_come_in_any_order(net):
    t = new(net, lines=[("A", 5), ("B", 2)])
    transfers.ship(net, t["id"])
    second = [{"sku": "A", "quantity": 3}, {"sku": "B", "quantity": 2}]
    first = transfers.receive(net, t["id"], second, external_id="GRN-2")
    again = transfers.receive(net, t["id"], second, external_id="GRN-2")
    assert lines(again) == lines(first) == {"A": (5, 3, 0, 2), "B": (2, 2, 0, 0)}
    with pytest.raises(IdempotencyConflict) as conflict:
        transfers.receive(net, t["id"], [{"sku": "A", "quantity": 1}], external_id="GRN-2")
    assert conflict.value.field == "external_id"
    done = transfers.receive(net, t["id"], [{"sku": "A", "quantity": 2}], external_id="GRN-1")
    assert (done["status"], lines(done)["A"]) == ("received", (5, 5, 0, 0))
    replay = transfers.receive(net, t["id"], [{"sku": "A", "quantity": 2}],
                               external_id="GRN-1")
    assert replay["status"] == "received"  # a replay of the last receipt is not refused
    assert buckets(net, "A", "S1")["on_hand"] == 5
    assert buckets(net, "B", "S1")["on_hand"] == 2
    with pytest.raises(InvalidState):
        transfers.receive(net, t["id"], [{"sku": "A", "quantity": 1}], external_id="GRN-3")
    with net.engine.connect() as c:
        ins = c.execute(select(movements.c.quantity).where(
            movements.c.type == "transfer_in")).scalars().all()
    assert sorted(ins) == [2, 2, 3]
    assert verify(net) == []


def test_what_each_state_allows(net):
    t = new(net)
    for action in (lambda: transfers.receive(net, t["id"], [{"sku": "A", "quantity": 1}]),
                   lambda: transfers.close(net, t["id"], "why")):
        with pytest.raises(InvalidState) as refused:
            action()
        assert refused.value.data["status_now"] == "requested"
    assert buckets(net, "A", "S1")["on_hand"] == 0
    cancelled = transfers.cancel(net, t["id"])
    assert (cancelled["status"], cancelled["allowed_actions"]) == ("cancelled", [])
    with pytest.raises(InvalidState):
        transfers.ship(net, t["id"])
    shipped = transfers.ship(net, new(net)["id"])
    with pytest.raises(InvalidState):
        transfers.cancel(net, shipped["id"])
    with pytest.raises(InvalidState):
        transfers.ship(net, shipped["id"])
    with pytest.raises(InvalidInput) as bad:
        transfers.close(net, shipped["id"], " ")
    assert bad.value.field == "reason"
    assert verify(net) == []


def test_a_transfer_cannot_ship_what_the_source_does_not_have(net):
    reservations.reserve(net, sku="A", location="DC", quantity=7, ttl_seconds=600)
    t = new(net, lines=[("A", 5), ("B", 1)])
    with pytest.raises(InsufficientStock) as refused:
        transfers.ship(net, t["id"])
    assert refused.value.data["lines"] == [
        {"sku": "A", "location": "DC", "requested": 5, "available": 3}]
    assert transfers.get_transfer(net, t["id"])["status"] == "requested"
    assert buckets(net, "B", "DC")["on_hand"] == 10  # nothing of the batch was written
    assert buckets(net, "A", "S1")["incoming"] == 0
    fewer = transfers.ship(net, t["id"], [{"sku": "A", "quantity": 3}])
    assert lines(fewer) == {"A": (3, 0, 0, 3), "B": (0, 0, 0, 0)}
    assert buckets(net, "A", "DC")["available"] == 0
    assert verify(net) == []


def test_lapsed_holds_do_not_stop_a_shipment(net):
    reservations.reserve(net, sku="A", location="DC", quantity=8, ttl_seconds=60)
    net.clock = lambda: T0 + timedelta(minutes=5)
    t = new(net)
    assert transfers.ship(net, t["id"])["status"] == "shipped"
    assert buckets(net, "A", "DC")["reserved"] == 0
    assert verify(net) == []


def test_bad_requests_name_the_field(net):
    cases = [({"to_location": "DC"}, "to_location"),
             ({"lines": [{"sku": "A", "quantity": 0}]}, "lines[0].quantity"),
             ({"lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 1}]},
              "lines[1].sku"),
             ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
             ({"from_location": "NOWHERE"}, "from_location"),
             ({"expected_at": T0 + timedelta(days=900)}, "expected_at")]
    for change, field in cases:
        body = {"from_location": "DC", "to_location": "S1",
                "lines": [{"sku": "A", "quantity": 1}], "expected_at": DUE, **change}
        with pytest.raises(InvalidInput) as bad:
            transfers.create_transfer(net, **body)
        assert bad.value.field == field, change
    t = new(net)
    with pytest.raises(InvalidInput) as bad:
        transfers.ship(net, t["id"], [{"sku": "A", "quantity": 6}])
    assert bad.value.field == "lines[0].quantity"
    with pytest.raises(InvalidInput) as bad:
        transfers.ship(net, t["id"], [{"sku": "B", "quantity": 1}])
    assert bad.value.field == "lines[0].sku"


def test_future_atp_counts_units_in_transit_by_their_expected_date(net):
    t = new(net)
    transfers.ship(net, t["id"])
    within = availability(net, "A", horizon_days=3)
    before = availability(net, "A", horizon_days=1)
    assert within["future_available"] == within["available"] + 5
    assert before["future_available"] == before["available"]
    transfers.receive(net, t["id"], [{"sku": "A", "quantity": 5}])
    after = availability(net, "A", horizon_days=3)
    assert after["future_available"] == within["future_available"]  # counted once
    assert after["available"] == within["available"] + 5


def test_every_change_is_announced_in_the_same_transaction(net):
    t = new(net)
    transfers.ship(net, t["id"])
    transfers.receive(net, t["id"], [{"sku": "A", "quantity": 1}])
    transfers.close(net, t["id"], "damaged in the truck")
    with net.engine.connect() as c:
        rows = c.execute(select(outbox.c.subject, outbox.c.data).where(
            outbox.c.type == "transfer.changed").order_by(outbox.c.id)).all()
    assert [(d["event"], d["status"]) for _, d in rows] == [
        ("requested", "requested"), ("shipped", "shipped"), ("received", "partly_received"),
        ("closed", "closed_short")]
    assert {s for s, _ in rows} == {t["id"]}
    assert rows[-1][1]["lines"][0]["lost"] == 4


def test_transfers_are_listed_newest_first_by_status_location_and_sku(net):
    clock = [T0]
    net.clock = lambda: clock[0]
    first = new(net)
    clock[0] += timedelta(minutes=1)
    second = transfers.create_transfer(net, from_location="DC", to_location="S2",
                                       lines=[{"sku": "B", "quantity": 1}], expected_at=DUE)
    transfers.ship(net, second["id"])
    ids = lambda **kw: [x["id"] for x in transfers.list_transfers(net, **kw)["transfers"]]  # noqa: E731
    assert ids() == [second["id"], first["id"]]
    assert ids(status="in_transit") == [second["id"]]
    assert ids(status="requested") == [first["id"]]
    assert ids(location="S1") == [first["id"]]
    assert ids(location="DC") == [second["id"], first["id"]]
    assert ids(sku="B", status="shipped") == [second["id"]]
    assert ids(limit=1) == [second["id"]]
    with pytest.raises(InvalidInput):
        transfers.list_transfers(net, status="lost")
    clock[0] = DUE + timedelta(hours=1)
    late = transfers.list_transfers(net, status="in_transit")["transfers"]
    assert [x["late"] for x in late] == [True]
    assert transfers.get_transfer(net, first["id"])["late"] is False  # not on its way


# -- any interleaving ---------------------------------------------------------------------------

ops = st.lists(st.one_of(
    st.tuples(st.just("ship"), st.integers(1, 6), st.integers(0, 4)),
    st.tuples(st.just("receive"), st.sampled_from(["A", "B"]), st.integers(1, 7),
              st.booleans()),
    st.tuples(st.just("close")),
    st.tuples(st.just("notice"), st.integers(1, 3)),  # others' units due at the store
    st.tuples(st.just("loose_in"), st.integers(1, 3)),  # and arrivals without a transfer
), min_size=1, max_size=10)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_any_interleaving_keeps_incoming_non_negative_and_every_line_balanced(db, steps):
    if not _has_item(db):  # the database lives across examples
        network(db, {("A", "DC"): 1_000, ("B", "DC"): 1_000})
    t = new(db, lines=[("A", 6), ("B", 4)])
    for step in steps:
        with contextlib.suppress(DomainError):  # a refused step changes nothing
            run(db, t["id"], step)
        view = transfers.get_transfer(db, t["id"])
        for ln in view["lines"]:
            assert ln["shipped"] == ln["received"] + ln["lost"] + ln["in_transit"]
            assert min(ln["received"], ln["lost"], ln["in_transit"]) >= 0
        assert view["in_transit"] == open_inbound(db, f"transfer:{t['id']}")
        for sku in ("A", "B"):
            assert buckets(db, sku, "S1")["incoming"] >= 0
    assert sum(buckets(db, s, "S1")["incoming"] for s in ("A", "B")) == open_inbound(db)
    assert verify(db) == []


def _has_item(db: Database) -> bool:
    try:
        catalog.get_item(db, "A")
    except DomainError:
        return False
    return True


def run(db: Database, transfer_id: str, step: tuple) -> None:
    if step[0] == "ship":
        transfers.ship(db, transfer_id, [{"sku": "A", "quantity": step[1]}] +
                       ([{"sku": "B", "quantity": step[2]}] if step[2] else []))
    elif step[0] == "receive":
        transfers.receive(db, transfer_id, [{"sku": step[1], "quantity": step[2]}],
                          accept_over=step[3])
    elif step[0] == "close":
        transfers.close(db, transfer_id, "property")
    elif step[0] == "notice":
        apply_movement(db, movement("expected", step[1], sku="A", location="S1",
                                    expected_at=DUE))
    else:
        apply_movement(db, movement("transfer_in", step[1], sku="A", location="S1"))


def test_concurrent_shipments_never_take_more_than_the_source_has(net):
    from concurrent.futures import ThreadPoolExecutor

    pending = [new(net, lines=[("A", 6)])["id"] for _ in range(4)]

    def attempt(transfer_id: str) -> bool:
        try:
            transfers.ship(net, transfer_id)
        except InsufficientStock:
            return False
        return True

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, pending))
    assert outcomes.count(True) == 1
    assert buckets(net, "A", "DC")["on_hand"] == 4
    assert buckets(net, "A", "S1")["incoming"] == 6
    assert verify(net) == []
