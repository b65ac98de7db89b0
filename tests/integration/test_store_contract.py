"""What each repository of the unit of work promises, on SQLite and PostgreSQL.

Every test writes through `db.uow()` and reads back in a fresh unit of work, so it checks what
was stored, not what one connection remembers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from omnistock.domain.errors import InsufficientStock
from omnistock.services.movements import CountRequest, apply_count, apply_movement
from omnistock.services.refusals import record_refusal

from ..factories import T0, movement, seed

LATER = T0 + timedelta(hours=1)


def add_event(db, subject="SKU-1@S1", type_="availability.changed", at=T0) -> int:
    with db.uow() as uow:
        uow.outbox.add(type_, subject, {"sku": "SKU-1"}, at, at)
        uow.commit()
    with db.uow(readonly=True) as uow:
        return uow.outbox.last_id()


# -- the unit of work ---------------------------------------------------------------------------
def test_work_left_without_commit_is_rolled_back(db):
    with db.uow() as uow:
        uow.outbox.add("availability.changed", "SKU-1@S1", {}, T0, T0)
        uow.refusals.add("order", "o-1", [], T0)
    with db.uow(readonly=True) as uow:
        assert uow.outbox.after(0) == []
        assert uow.refusals.count_by_kind(T0, LATER) == {}


def test_an_error_inside_a_unit_of_work_rolls_it_back(db):
    with pytest.raises(RuntimeError), db.uow() as uow:
        uow.outbox.add("availability.changed", "SKU-1@S1", {}, T0, T0)
        raise RuntimeError("the use case failed")
    with db.uow(readonly=True) as uow:
        assert uow.outbox.last_id() == 0


def test_commit_makes_work_visible_to_the_next_unit_of_work(db):
    with db.uow() as uow:
        uow.outbox.add("availability.changed", "SKU-1@S1", {"n": 1}, T0, T0)
        uow.commit()
    with db.uow(readonly=True) as uow:
        [row] = uow.outbox.after(0)
    assert (row["type"], row["subject"], row["data"]) == ("availability.changed", "SKU-1@S1",
                                                          {"n": 1})


def test_a_movement_is_visible_once_its_unit_of_work_commits(db):
    seed(db)
    apply_movement(db, movement("receipt", 4))
    with db.uow(readonly=True) as uow:
        [position] = uow.ledger.all_positions()
        assert position["on_hand"] == 4
        assert [r["type"] for r in uow.outbox.after(0)] == ["availability.changed"]


# -- outbox -------------------------------------------------------------------------------------
def test_outbox_reads_in_id_order_after_and_up_to_an_id(db):
    ids = [add_event(db, subject=f"s{i}") for i in range(4)]
    with db.uow(readonly=True) as uow:
        assert [r["subject"] for r in uow.outbox.after(ids[0])] == ["s1", "s2", "s3"]
        assert [r["id"] for r in uow.outbox.after(ids[0], upto=ids[2])] == ids[1:3]
        assert [r["id"] for r in uow.outbox.after(0, limit=2)] == ids[:2]
        assert uow.outbox.last_id() == ids[-1]


def test_outbox_publishing_and_the_age_of_the_oldest_unpublished_event(db):
    first = add_event(db, at=T0)
    second = add_event(db, at=LATER)
    with db.uow(readonly=True) as uow:
        assert uow.outbox.oldest_unpublished_at() == T0
    with db.uow() as uow:
        uow.outbox.mark_published([first], LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert [r["id"] for r in uow.outbox.unpublished()] == [second]
        assert uow.outbox.oldest_unpublished_at() == LATER
    with db.uow() as uow:
        uow.outbox.mark_published([second], LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.outbox.oldest_unpublished_at() is None


def test_outbox_lag_metric_reads_the_oldest_unpublished_event(db):
    from omnistock.metrics import outbox_lag_seconds

    db.clock = lambda: LATER
    assert outbox_lag_seconds(db) == 0.0
    add_event(db, at=T0)
    assert outbox_lag_seconds(db) == 3600.0


def test_outbox_snapshot_settles_once_nothing_is_in_flight(db):
    with db.uow(readonly=True) as uow:
        token = uow.outbox.snapshot()
        if uow.dialect == "postgresql":
            assert token is not None and uow.outbox.settled(token)
        else:
            assert token is None  # ids commit in order: there is nothing to wait for


# -- API keys -----------------------------------------------------------------------------------
def key(uow, prefix, role="admin", location_id=None, now=T0) -> bool:
    return uow.keys.add(prefix=prefix, key_hash=f"hash-{prefix}", name=f"key {prefix}",
                        role=role, location_id=location_id, now=now)


def test_keys_are_stored_with_their_location_and_listed_oldest_first(db):
    seed(db)
    with db.uow() as uow:
        s1 = uow.catalog.location_id("S1")
        assert key(uow, "bbbbbbbbbbbb", now=LATER)
        assert key(uow, "aaaaaaaaaaaa", role="store", location_id=s1)
        uow.commit()
    with db.uow(readonly=True) as uow:
        found = uow.keys.get("aaaaaaaaaaaa")
        assert [k["prefix"] for k in uow.keys.all()] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
        assert uow.keys.get("cccccccccccc") is None
    assert found is not None
    assert (found["role"], found["location"], found["key_hash"], found["revoked_at"]) == (
        "store", "S1", "hash-aaaaaaaaaaaa", None)


def test_a_taken_key_prefix_is_refused_and_the_transaction_goes_on(db):
    with db.uow() as uow:
        assert key(uow, "aaaaaaaaaaaa")
        assert not key(uow, "aaaaaaaaaaaa", role="viewer")
        assert key(uow, "bbbbbbbbbbbb")
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert [(k["prefix"], k["role"]) for k in uow.keys.all()] == [
            ("aaaaaaaaaaaa", "admin"), ("bbbbbbbbbbbb", "admin")]


def test_a_revoked_key_keeps_its_first_revocation_time(db):
    with db.uow() as uow:
        key(uow, "aaaaaaaaaaaa")
        uow.keys.revoke("aaaaaaaaaaaa", T0)
        uow.keys.revoke("aaaaaaaaaaaa", LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.keys.get("aaaaaaaaaaaa")["revoked_at"] == T0


# -- idempotency records ------------------------------------------------------------------------
def test_an_idempotency_key_is_remembered_once_per_actor(db):
    with db.uow() as uow:
        assert uow.idempotency.add("k1", "alice", "h1", 0, "", T0)
        assert not uow.idempotency.add("k1", "alice", "h2", 0, "", T0)
        assert uow.idempotency.add("k1", "bob", "h3", 0, "", T0)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.idempotency.get("k1", "alice") == {"request_hash": "h1", "status_code": 0,
                                                      "body": ""}
        assert uow.idempotency.get("k1", "bob")["request_hash"] == "h3"
        assert uow.idempotency.get("k2", "alice") is None


def test_an_idempotency_record_is_completed_and_deleted_only_while_pending(db):
    with db.uow() as uow:
        uow.idempotency.add("done", "alice", "h", 0, "", T0)
        uow.idempotency.add("open", "alice", "h", 0, "", T0)
        uow.idempotency.update("done", "alice", 201, '{"ok": true}')
        uow.commit()
    with db.uow() as uow:
        uow.idempotency.delete("done", "alice", status_code=0)
        uow.idempotency.delete("open", "alice", status_code=0)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.idempotency.get("done", "alice") == {"request_hash": "h", "status_code": 201,
                                                        "body": '{"ok": true}'}
        assert uow.idempotency.get("open", "alice") is None


def test_pruning_idempotency_records_removes_the_older_ones(db):
    with db.uow() as uow:
        uow.idempotency.add("old", "alice", "h", 200, "{}", T0)
        uow.idempotency.add("new", "alice", "h", 200, "{}", LATER)
        uow.commit()
    with db.uow() as uow:
        assert uow.idempotency.prune(LATER) == 1
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.idempotency.get("old", "alice") is None
        assert uow.idempotency.get("new", "alice") is not None


# -- refusals -----------------------------------------------------------------------------------
def test_refusals_are_counted_by_kind_in_a_half_open_period(db):
    with db.uow() as uow:
        uow.refusals.add("reservation", "cart-1", [{"sku": "SKU-1"}], T0)
        uow.refusals.add("reservation", None, [], T0 + timedelta(minutes=1))
        uow.refusals.add("order", "o-1", [], T0 + timedelta(minutes=2))
        uow.refusals.add("order", "o-2", [], LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.refusals.count_by_kind(T0, LATER) == {"reservation": 2, "order": 1}
        assert uow.refusals.count_by_kind(LATER, LATER + timedelta(seconds=1)) == {"order": 1}


def test_record_refusal_is_counted_in_its_own_transaction(db):
    db.clock = lambda: T0
    record_refusal(db, "order", InsufficientStock("short", lines=[{"sku": "SKU-1"}]), "o-9")
    with db.uow(readonly=True) as uow:
        assert uow.refusals.count_by_kind(T0, LATER) == {"order": 1}


# -- webhooks and deliveries --------------------------------------------------------------------
def add_webhook(db, id_, events=("availability.*",), at=T0) -> None:
    with db.uow() as uow:
        uow.webhooks.add({"id": id_, "url": f"https://example.test/{id_}",
                          "events": list(events), "secret": "s" * 20, "created_at": at})
        uow.commit()


def delivery(webhook_id, event_id, at=T0):
    return {"webhook_id": webhook_id, "event_id": event_id, "event_type": "availability.changed",
            "status": "pending", "attempts": 0, "next_attempt_at": at, "created_at": at}


def test_webhooks_live_until_deleted(db):
    add_webhook(db, "w2", at=LATER)
    add_webhook(db, "w1")
    with db.uow(readonly=True) as uow:
        assert [w.id for w in uow.webhooks.all_live()] == ["w1", "w2"]
        assert uow.webhooks.live("w1").events == ["availability.*"]
    with db.uow() as uow:
        uow.webhooks.delete("w1", LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        assert uow.webhooks.live("w1") is None
        assert [w.id for w in uow.webhooks.all_live()] == ["w2"]


def test_a_repeated_delivery_is_ignored_and_deleting_a_webhook_cancels_its_pending_ones(db):
    add_webhook(db, "w1")
    add_webhook(db, "w2")
    event = add_event(db)
    with db.uow() as uow:
        uow.webhooks.add_deliveries([delivery("w1", event), delivery("w2", event)])
        uow.webhooks.add_deliveries([delivery("w1", event)])
        uow.webhooks.delete("w1", LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        rows = uow.webhooks.deliveries(webhook_id=None, status=None, after=0, limit=10)
        assert [(r.webhook_id, r.status) for r in rows] == [("w1", "cancelled"),
                                                             ("w2", "pending")]
        [w2] = uow.webhooks.deliveries(webhook_id="w2", status="pending", after=0, limit=10)
        assert uow.webhooks.deliveries(webhook_id=None, status=None, after=w2.id,
                                       limit=10) == []


def test_claimed_deliveries_are_not_due_again_until_their_claim_ends(db):
    add_webhook(db, "w1")
    events = [add_event(db, subject=f"s{i}") for i in range(3)]
    with db.uow() as uow:
        uow.webhooks.add_deliveries([delivery("w1", e) for e in events])
        uow.commit()
    until = T0 + timedelta(minutes=5)
    with db.uow() as uow:
        assert uow.webhooks.any_due(T0)
        claimed = uow.webhooks.claim(T0, until, 2)
        uow.commit()
    assert [c["subject"] for c in claimed] == ["s0", "s1"]
    assert (claimed[0]["url"], claimed[0]["deleted_at"]) == ("https://example.test/w1", None)
    with db.uow() as uow:
        [rest] = uow.webhooks.claim(T0, until, 10)
        assert uow.webhooks.claim(T0, until, 10) == []
        assert not uow.webhooks.any_due(T0)
        assert uow.webhooks.any_due(until)
        uow.commit()
    assert rest["subject"] == "s2"


def test_an_attempt_is_recorded_only_on_a_pending_delivery_and_a_retry_starts_afresh(db):
    add_webhook(db, "w1")
    event = add_event(db)
    with db.uow() as uow:
        uow.webhooks.add_deliveries([delivery("w1", event)])
        [row] = uow.webhooks.deliveries(webhook_id="w1", status=None, after=0, limit=1)
        uow.webhooks.record_attempt(row.id, "parked", {"attempts": 8, "last_status_code": 500})
        uow.webhooks.record_attempt(row.id, "delivered", {"attempts": 9})
        uow.commit()
    with db.uow(readonly=True) as uow:
        parked = uow.webhooks.delivery(row.id)
    assert (parked.status, parked.attempts, parked.last_status_code) == ("parked", 8, 500)
    with db.uow() as uow:
        uow.webhooks.send_again(row.id, LATER)
        uow.commit()
    with db.uow(readonly=True) as uow:
        again = uow.webhooks.delivery(row.id)
        assert uow.webhooks.delivery(row.id + 1000) is None
    assert (again.status, again.attempts, again.next_attempt_at) == ("pending", 0, LATER)


# -- leases -------------------------------------------------------------------------------------
def take(db, holder, now, ttl=timedelta(seconds=30)) -> bool:
    with db.uow() as uow:
        taken = uow.leases.take("loop", holder, now, now + ttl)
        uow.commit()
    return taken


def test_a_lease_is_held_renewed_and_taken_over_after_it_expires(db):
    assert take(db, "a", T0)
    assert not take(db, "b", T0 + timedelta(seconds=10))
    assert take(db, "a", T0 + timedelta(seconds=20))  # renewed: now until T0 + 50 s
    assert not take(db, "b", T0 + timedelta(seconds=40))
    assert take(db, "b", T0 + timedelta(seconds=51))
    assert not take(db, "a", T0 + timedelta(seconds=52))


def test_ending_a_lease_lets_a_successor_in_but_only_its_holder_can_end_it(db):
    assert take(db, "a", T0)
    with db.uow() as uow:
        uow.leases.end("loop", "b", T0)  # not b's: nothing happens
        uow.commit()
    assert not take(db, "b", T0 + timedelta(seconds=1))
    with db.uow() as uow:
        uow.leases.end("loop", "a", T0)
        uow.commit()
    assert take(db, "b", T0 + timedelta(seconds=1))


def test_leases_of_different_names_are_independent(db):
    assert take(db, "a", T0)
    with db.uow() as uow:
        assert uow.leases.take("other", "b", T0, LATER)
        uow.commit()


# -- reports ------------------------------------------------------------------------------------
def test_report_queries_on_a_small_known_ledger(db):
    seed(db, skus=("SKU-1", "SKU-2"))
    day0 = T0.date().isoformat()
    day1 = (T0 + timedelta(days=1)).date().isoformat()
    db.clock = lambda: T0 + timedelta(days=1, hours=1)  # every movement is recorded then
    apply_movement(db, movement("receipt", 10, minutes=0))
    apply_movement(db, movement("sale", 3, minutes=60, source="pos"))
    apply_movement(db, movement("sale", 2, minutes=24 * 60, source="pos"))
    apply_movement(db, movement("receipt", 1, sku="SKU-2", minutes=-60))
    apply_count(db, CountRequest(sku="SKU-1", location="S1", counted_quantity=30,
                                 counted_at=T0 + timedelta(days=1, minutes=30), source="count",
                                 external_id="c1"))
    start, end = T0, T0 + timedelta(days=2)
    with db.uow(readonly=True) as uow:
        ids = uow.catalog.item_id("SKU-1"), uow.catalog.item_id("SKU-2")
        s1 = uow.catalog.location_id("S1")
        assert uow.reports.on_hand_before(start) == {(ids[1], s1): 1}
        assert sorted(uow.reports.on_hand_deltas_by_day(start, end)) == [
            (ids[0], s1, day0, 7), (ids[0], s1, day1, 23)]
        assert sorted(uow.reports.quantities_by_day(start, end, ["sale", "receipt"])) == [
            (day0, "receipt", 10), (day0, "sale", 3), (day1, "sale", 2)]
        latency = uow.reports.latency_by_source(start, end, except_types=("count",),
                                                except_sources=("test",))
        assert [(s, n) for s, n, _, _ in latency] == [("pos", 2)]
        _, _, p50, p99 = latency[0]
        assert p50 == pytest.approx(12 * 3600 + 1800, abs=1e-3)
        assert p99 == pytest.approx(3600 + (24 * 3600 - 3600) * 0.99, abs=1e-3)
        [large] = uow.reports.large_counts(20, None, 10)
        assert (large["sku"], large["location"], large["d_on_hand"], large["counted"]) == (
            "SKU-1", "S1", 25, 30)
        assert uow.reports.large_counts(26, None, 10) == []
        assert uow.reports.negative_positions(10) == []
        assert uow.reports.orders_recorded()
        assert uow.reports.order_parts(start, end) == []


def test_negative_positions_come_most_oversold_first(db):
    seed(db, skus=("SKU-1", "SKU-2"))
    apply_movement(db, movement("sale", 2))
    apply_movement(db, movement("sale", 5, sku="SKU-2"))
    with db.uow(readonly=True) as uow:
        rows = uow.reports.negative_positions(10)
        assert [(r["sku"], r["location"], r["available"]) for r in rows] == [
            ("SKU-2", "S1", -5), ("SKU-1", "S1", -2)]
        assert len(uow.reports.negative_positions(1)) == 1


# -- audit --------------------------------------------------------------------------------------
def test_audit_reads_each_positions_facts_together(db):
    seed(db, skus=("SKU-1", "SKU-2"))
    apply_movement(db, movement("receipt", 5, external_id="r1"))
    apply_movement(db, movement("receipt", 2, sku="SKU-2", external_id="r2"))
    apply_movement(db, movement("sale", 1, minutes=1, external_id="s1"))
    with db.uow(snapshot=True) as uow:
        ids = uow.catalog.item_id("SKU-1"), uow.catalog.item_id("SKU-2")
        s1 = uow.catalog.location_id("S1")
        facts = {key: sorted((r.external_id, r.raw_on_hand) for r in rows)
                 for key, rows in uow.audit.facts_by_position()}
    assert facts == {(ids[0], s1): [("r1", 5), ("s1", -1)], (ids[1], s1): [("r2", 2)]}
