"""The ledger's hash chain: every writer (single movements, batches, counts, holds, the
PostgreSQL one-statement hold, sweeps) extends the same chain per position, and any tampering
with the stored movements is found by `verify`, which names the position and the link."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from omnistock.cli import app
from omnistock.services import reservations as res
from omnistock.services.availability import availability
from omnistock.services.movements import CountRequest, apply_batch, apply_count, apply_movement
from omnistock.services.verify import anchor, check_anchor, verify

from ..factories import T0, movement, ref, seed


def busy_ledger(db) -> None:
    """One position written by every path, and a second one so chains stay apart."""
    seed(db, skus=("SKU-1", "SKU-2"))
    apply_movement(db, movement("receipt", 20))
    apply_batch(db, [movement("sale", 2), movement("receipt", 5, sku="SKU-2"),
                     movement("damage", 1)])
    apply_count(db, CountRequest("SKU-1", "S1", 16, T0 + timedelta(minutes=5), "count",
                                 ref("c")))
    held = res.reserve(db, sku="SKU-1", location="S1", quantity=3, ttl_seconds=60)
    res.commit(db, held["id"])
    res.reserve(db, sku="SKU-1", location="S1", quantity=2, ttl_seconds=1)
    db.clock = lambda: T0 + timedelta(days=400)  # every hold is due
    res.sweep_expired(db)
    apply_movement(db, movement("sale", 1, minutes=1))  # before the count: it saw this sale


def tamper(db, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def chain_breaks(db) -> list[tuple[str, int, str]]:
    return [(m.sku, m.position, m.detail) for m in verify(db) if m.check == "chain"]


def test_every_writer_extends_one_chain_per_position(db):
    busy_ledger(db)
    assert verify(db) == []
    with db.engine.connect() as conn:
        seqs = conn.execute(text(
            "SELECT p.seq, COUNT(m.id) FROM positions p JOIN movements m ON "
            "m.item_id = p.item_id AND m.location_id = p.location_id "
            "GROUP BY p.item_id, p.location_id, p.seq")).all()
    assert sorted(seqs) == [(1, 1), (9, 9)]


def test_a_deleted_movement_with_its_position_fixed_is_found(db):
    busy_ledger(db)
    # The attacker removes the first sale and makes the position agree with what is left.
    tamper(db, "DELETE FROM movements WHERE type = 'sale' AND quantity = 2")
    tamper(db, "UPDATE positions SET on_hand = on_hand + 2 WHERE item_id = "
               "(SELECT id FROM items WHERE sku = 'SKU-1')")
    assert "chain" in [m.check for m in verify(db)]
    (sku, link, detail), = chain_breaks(db)
    assert (sku, link) == ("SKU-1", 2) and "missing" in detail


def test_an_edited_quantity_and_delta_are_found(db):
    busy_ledger(db)
    tamper(db, "UPDATE movements SET quantity = 25, d_on_hand = 25, raw_on_hand = 25 "
               "WHERE type = 'receipt' AND quantity = 20")
    tamper(db, "UPDATE positions SET on_hand = on_hand + 5 WHERE item_id = "
               "(SELECT id FROM items WHERE sku = 'SKU-1')")
    assert chain_breaks(db) == [("SKU-1", 1, chain_breaks(db)[0][2])]
    assert "does not hash" in chain_breaks(db)[0][2]


def test_reordered_and_inserted_movements_are_found(db):
    busy_ledger(db)
    tamper(db, "UPDATE movements SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END "
               "WHERE seq IN (2, 3) AND item_id = (SELECT id FROM items WHERE sku = 'SKU-1')")
    assert [link for _, link, _ in chain_breaks(db)] == [2]


def test_a_forged_movement_at_the_end_is_found(db):
    busy_ledger(db)
    # SKU-2's only movement, moved onto SKU-1's chain as its tenth link.
    tamper(db, "UPDATE movements SET seq = 10, item_id = (SELECT id FROM items WHERE sku = "
               "'SKU-1') WHERE type = 'receipt' AND quantity = 5")
    assert [(s, link) for s, link, _ in chain_breaks(db)] == [("SKU-1", 10), ("SKU-2", 1)]


def test_an_anchor_proves_later_that_no_chain_was_rewritten(db):
    busy_ledger(db)
    digest, heads = anchor(db)
    apply_movement(db, movement("receipt", 4, minutes=30))  # life goes on after the anchor
    assert check_anchor(db, heads) == (digest, [])
    # Rewriting history before the anchor (every hash recomputed to match) still shows: the
    # anchored head is no longer a link of that chain.
    tamper(db, "UPDATE movements SET chain_hash = 'rewritten' WHERE seq = 9")
    again, stale = check_anchor(db, heads)
    assert again == digest and [(m.sku, m.position) for m in stale] == [("SKU-1", 9)]


@pytest.mark.parametrize("field", ["seq", "chain_head"])
def test_a_position_whose_head_was_moved_is_found(db, field):
    busy_ledger(db)
    value = "0" if field == "seq" else "'x'"
    tamper(db, f"UPDATE positions SET {field} = {value} WHERE item_id = "
               "(SELECT id FROM items WHERE sku = 'SKU-2')")
    assert [s for s, _, _ in chain_breaks(db)] == ["SKU-2"]


def test_verify_command_anchors_and_checks_an_anchor(db, database_url, tmp_path):
    busy_ledger(db)
    runner, env = CliRunner(), {"OMNISTOCK_DATABASE_URL": database_url}
    heads = tmp_path / "heads.json"
    made = runner.invoke(app, ["verify", "--anchor", str(heads)], env=env)
    assert made.exit_code == 0, made.output
    digest = anchor(db)[0]
    assert f"anchor digest {digest}" in made.stdout and json.loads(heads.read_text())
    assert runner.invoke(app, ["verify", "--against", str(heads)], env=env).exit_code == 0
    tamper(db, "UPDATE movements SET chain_hash = 'rewritten' WHERE seq = 9")
    checked = runner.invoke(app, ["verify", "--against", str(heads)], env=env)
    assert checked.exit_code == 1 and f"anchor digest {digest}" in checked.stdout
    assert "SKU-1" in checked.stdout and "chain" in checked.stdout


def test_events_carry_contiguous_sequences_per_position_and_availability_the_last(db):
    busy_ledger(db)
    with db.uow(readonly=True) as uow:
        events = [e["data"] for e in uow.outbox.after(0, limit=1000)
                  if e["type"] == "availability.changed"]
    last: dict[tuple[str, str], int] = {}
    for e in events:  # in commit order, as a consumer reads them
        key = (e["sku"], e["location"])
        assert e["previous_sequence"] == last.get(key, 0), e
        assert e["sequence"] > e["previous_sequence"]
        last[key] = e["sequence"]
    assert last == {("SKU-1", "S1"): 9, ("SKU-2", "S1"): 1}
    now = availability(db, "SKU-1")["locations"][0]
    assert now["sequence"] == 9
