"""The integrator's reads on SQLite and PostgreSQL: the ledger filtered and paged (also while
it grows, and past ids still being written on PostgreSQL), channels, a location's stock,
availability of many SKUs, stock as of a past time on both axes, and the compare-and-set count."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from omnistock.domain.errors import InvalidInput, NotFound, StaleQuantity
from omnistock.domain.history import AsOf
from omnistock.services import catalog, reads
from omnistock.services.availability import availability
from omnistock.services.ledger import record
from omnistock.services.movements import CountRequest, apply_batch, apply_count, apply_movement
from omnistock.services.stock_reads import availability_as_of, availability_many
from omnistock.services.verify import verify

from ..factories import T0, movement, seed
from .test_orders import Clock


def every_movement(db, query=reads.MovementQuery(), limit=10, cursor=None, **kw):
    """Page through the ledger to its end; the movements and the last page's answer."""
    seen, page = [], None
    while True:
        page = reads.list_movements(db, query, cursor, limit, **kw)
        seen += page["movements"]
        cursor = page["next"]
        if cursor is None:
            return seen, page


def count(qty, minutes, external_id, **kw):
    return CountRequest(sku=kw.pop("sku", "SKU-1"), location=kw.pop("location", "S1"),
                        counted_quantity=qty, counted_at=T0 + timedelta(minutes=minutes),
                        source="count", external_id=external_id, **kw)


# -- the ledger -----------------------------------------------------------------------------

def test_movements_are_filtered_on_every_field_and_both_time_axes(db):
    clock = Clock()
    db.clock = clock
    seed(db, skus=("SKU-1", "SKU-2"), locations=("S1", "S2"))
    apply_movement(db, movement("receipt", 5, source="erp"))
    clock.advance(minutes=10)
    apply_movement(db, movement("receipt", 3, sku="SKU-2", location="S2", minutes=5))
    clock.advance(minutes=10)
    apply_movement(db, movement("sale", 1, minutes=30, source="till"))

    def ids(**filters):
        return [m["quantity"] for m in every_movement(db, reads.MovementQuery(**filters))[0]]

    assert ids() == [5, 3, 1]
    assert ids(sku="SKU-2") == [3] and ids(location="S1") == [5, 1]
    assert ids(source="till") == [1] and ids(type="receipt") == [5, 3]
    assert ids(occurred_from=T0 + timedelta(minutes=5)) == [3, 1]
    assert ids(occurred_to=T0 + timedelta(minutes=5)) == [5]  # [from, to)
    assert ids(recorded_from=clock.t - timedelta(minutes=10)) == [3, 1]
    assert ids(recorded_to=clock.t - timedelta(minutes=10)) == [5]
    assert ids(sku="NOPE") == [] and ids(location="NOWHERE") == []
    with pytest.raises(InvalidInput) as backwards:
        ids(occurred_from=T0, occurred_to=T0 - timedelta(minutes=1))
    assert backwards.value.field == "occurred_to"
    first = every_movement(db)[0][0]
    assert (first["sku"], first["location"], first["deltas"]) == ("SKU-1", "S1",
                                                                   {"on_hand": 5})


def test_paging_the_ledger_while_it_grows_repeats_and_skips_nothing(db):
    seed(db, skus=("SKU-1", "SKU-2"))
    apply_batch(db, [movement("receipt", 1, minutes=i) for i in range(25)])
    first = reads.list_movements(db, reads.MovementQuery(), None, 10)
    apply_batch(db, [movement("receipt", 2, sku="SKU-2", minutes=i) for i in range(7)])
    rest, last = every_movement(db, cursor=first["next"])
    got = [m["id"] for m in first["movements"] + rest]
    assert len(got) == len(set(got)) == 32 and got == sorted(got)
    apply_movement(db, movement("sale", 1))
    later = reads.list_movements(db, reads.MovementQuery(), last["resume"], 10)
    assert [m["type"] for m in later["movements"]] == ["sale"]
    assert later["next"] is None and later["resume"] != last["resume"]


def test_a_cursor_is_bound_to_its_list_and_filters(db):
    seed(db)
    apply_batch(db, [movement("receipt", 1, minutes=i) for i in range(3)])
    page = reads.list_movements(db, reads.MovementQuery(sku="SKU-1"), None, 2)
    for bad, query in ((page["next"], reads.MovementQuery(sku="SKU-2")),
                       ("not-a-cursor", reads.MovementQuery()),
                       (reads.list_channels(db, None, 1)["next"] or "e30",
                        reads.MovementQuery())):
        with pytest.raises(InvalidInput) as refused:
            reads.list_movements(db, query, bad, 2)
        assert refused.value.field == "cursor"


@pytest.mark.parametrize("database_url", [pytest.param("postgresql",
                                                       marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_page_waits_for_a_lower_id_still_being_written(db):
    """PostgreSQL draws ids before commit: a page must not pass an id that may still appear."""
    seed(db, skus=("SKU-1", "SKU-2"))
    apply_movement(db, movement("receipt", 1))
    uow = db.uow().__enter__()  # a writer that holds id N open
    record(uow, [_move(uow, movement("receipt", 7, sku="SKU-2"))], db.clock())
    apply_movement(db, movement("receipt", 2))  # id N+1, committed
    cut = reads.list_movements(db, reads.MovementQuery(), None, 10, settle_timeout=0.2)
    assert [m["quantity"] for m in cut["movements"]] == [] and cut["next"] is not None

    def commit_soon() -> None:
        threading.Event().wait(0.3)
        uow.commit()
        uow.__exit__(None, None, None)

    committer = threading.Thread(target=commit_soon)
    committer.start()
    seen, _ = every_movement(db, cursor=cut["next"], settle_timeout=5)
    committer.join()
    assert [m["quantity"] for m in seen] == [1, 7, 2]
    assert verify(db) == []


def _move(uow, request):
    from omnistock.domain.ledger import Movement

    return Movement(request.type, uow.catalog.item_id(request.sku),
                    uow.catalog.location_id(request.location), request.sku, request.location,
                    request.quantity, request.occurred_at, request.source, request.external_id,
                    request.digest())


# -- channels and a location's stock -----------------------------------------------------------

def test_channels_are_listed_by_code_with_their_locations(db):
    seed(db, locations=("S1", "S2"))
    for code in ("web", "app", "pos"):
        catalog.create_channel(db, code, code.upper(), ["S2", "S1"] if code == "web" else [])
    page = reads.list_channels(db, None, 2)
    assert [c["code"] for c in page["channels"]] == ["app", "pos"]
    rest = reads.list_channels(db, page["next"], 2)
    assert rest["channels"] == [{"code": "web", "name": "WEB", "locations": ["S1", "S2"]}]
    assert rest["next"] is None


def test_a_locations_stock_pages_every_item_once_while_items_are_added(db):
    skus = tuple(f"SKU-{i:02}" for i in range(12))
    seed(db, skus=skus, locations=("S1", "S2"))
    apply_batch(db, [movement("receipt", i + 1, sku=s) for i, s in enumerate(skus)]
                + [movement("receipt", 1, sku="SKU-00", location="S2")])
    first = reads.location_stock(db, "S1", None, 5)
    seed(db, skus=("NEW-1",), locations=())
    apply_movement(db, movement("receipt", 4, sku="NEW-1"))
    lines, cursor = list(first["items"]), first["next"]
    while cursor:
        page = reads.location_stock(db, "S1", cursor, 5)
        lines += page["items"]
        cursor = page["next"]
    assert [line["sku"] for line in lines] == [*skus, "NEW-1"]
    assert lines[3] | {"sequence": 0} == {
        "sku": "SKU-03", "on_hand": 4, "committed": 0, "reserved": 0, "damaged": 0,
        "quality_control": 0, "safety_stock": 0, "incoming": 0, "available": 4,
        "sequence": 0}
    with pytest.raises(NotFound):
        reads.location_stock(db, "NOWHERE", None, 5)


# -- availability of many SKUs, now and as of a past time -------------------------------------

def test_many_skus_in_one_read_in_the_order_asked(db):
    seed(db, skus=("SKU-1", "SKU-2", "SKU-3"), locations=("S1", "S2"))
    catalog.create_channel(db, "web", "Web", ["S1"])
    apply_batch(db, [movement("receipt", 5), movement("receipt", 2, location="S2"),
                     movement("receipt", 3, sku="SKU-3")])
    body = availability_many(db, ["SKU-3", "SKU-1", "SKU-2", "SKU-1"], "web")
    assert [(i["sku"], i["available"]) for i in body["items"]] == [
        ("SKU-3", 3), ("SKU-1", 5), ("SKU-2", 0)]
    assert body["items"][1] == availability(db, "SKU-1", "web")
    with pytest.raises(NotFound) as unknown:
        availability_many(db, ["SKU-1", "NOPE"])
    assert unknown.value.field == "sku" and unknown.value.data["skus"] == ["NOPE"]
    with pytest.raises(InvalidInput):
        availability_many(db, [f"S{i}" for i in range(101)])


def test_as_of_on_a_known_history(db):
    """receipt 10 @0, sale 3 @20, count 9 @30 (recorded late, after the sale @40), sale 2 @40,
    a hold of 1 @50 that lapses @55."""
    clock = Clock()  # T0 + 1 h
    db.clock = clock
    seed(db)
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    apply_movement(db, movement("receipt", 10))
    apply_movement(db, movement("sale", 3, minutes=20))
    apply_movement(db, movement("sale", 2, minutes=40))
    believed_before_count = clock.t
    clock.advance(minutes=5)
    apply_count(db, count(9, 30, "c-1"))  # 2 sold after it: on_hand 7
    from omnistock.services import reservations as res
    clock.t = at(50)
    res.reserve(db, sku="SKU-1", location="S1", quantity=1, ttl_seconds=300, reference="r")
    clock.t = T0 + timedelta(hours=2)

    def on_hand(**kw):
        body = availability_as_of(db, "SKU-1", None, AsOf(kw.get("t"), kw.get("r")))
        return body["locations"][0]["on_hand"] if body["locations"] else None

    assert on_hand(t=at(10)) == 10
    assert on_hand(t=at(25)) == 7
    assert on_hand(t=at(30)) == 9  # the count, which saw the sale @20
    assert on_hand(t=at(45)) == 7
    assert on_hand(t=at(-1)) is None  # nothing had happened
    # What we believed at the time the count was not recorded yet: 10 - 3 - 2.
    assert on_hand(r=believed_before_count) == 5
    assert on_hand(t=at(35), r=believed_before_count) == 7
    hold = availability_as_of(db, "SKU-1", None, AsOf(at(52)))["locations"][0]
    assert (hold["reserved"], hold["available"]) == (1, 6)
    lapsed = availability_as_of(db, "SKU-1", None, AsOf(at(56)))["locations"][0]
    assert (lapsed["reserved"], lapsed["available"]) == (0, 7)
    now = availability_as_of(db, "SKU-1", None, AsOf(clock.t))
    live = availability(db, "SKU-1")
    assert now["locations"] == live["locations"] and now["as_of"] == "2026-11-01T11:00:00Z"
    with pytest.raises(InvalidInput) as future:
        availability_as_of(db, "SKU-1", None, AsOf(clock.t + timedelta(days=1)))
    assert future.value.field == "as_of"
    with pytest.raises(InvalidInput) as horizon:
        availability_as_of(db, "SKU-1", None, AsOf(at(10)), horizon_days=3)
    assert horizon.value.field == "horizon_days"


# -- the compare-and-set count ----------------------------------------------------------------

def test_a_count_with_compare_quantity_applies_only_on_what_the_caller_saw(db):
    seed(db)
    apply_movement(db, movement("receipt", 10))
    with pytest.raises(StaleQuantity) as stale:
        apply_count(db, count(8, 5, "c-1", compare_quantity=9))
    assert stale.value.field == "compare_quantity" and stale.value.data["on_hand"] == 10
    assert availability(db, "SKU-1")["locations"][0]["on_hand"] == 10
    done = apply_count(db, count(8, 5, "c-1", compare_quantity=10))
    assert done.movement["deltas"] == {"on_hand": -2}
    assert apply_count(db, count(8, 5, "c-1", compare_quantity=10)).replayed
    assert availability(db, "SKU-1")["locations"][0]["on_hand"] == 8
    new = apply_count(db, count(0, 6, "c-2", sku="SKU-1", compare_quantity=8))
    assert new.movement["deltas"] == {"on_hand": -8}
    assert verify(db) == []
