"""Feeds into the ledger on SQLite and PostgreSQL: mappings, quarantine, idempotent re-imports."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import BinaryIO

from omnistock.domain.catalog import Item, Location
from omnistock.ingest.registry import parse
from omnistock.services import catalog
from omnistock.services.availability import availability
from omnistock.services.feeds import (
    ImportSummary,
    import_records,
    list_quarantine,
    retry_quarantine,
)
from omnistock.services.mappings import add_mapping
from omnistock.services.movements import apply_movement
from omnistock.services.sources import source_health
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..factories import movement

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"


def import_file(db: Database, fmt: str, fileobj: BinaryIO, source: str) -> ImportSummary:
    """What `omnistock import` does with a file."""
    return import_records(db, parse(fmt, fileobj), source=source, fmt=fmt)


def seed(db):
    for sku, gtin, cost in (("SHIRT-BLUE-M", None, 12.5), ("SOCKS-WOOL", None, None),
                            ("TEE-WHITE", "7612345670010", 4.0)):
        catalog.create_item(db, Item(sku=sku, gtin=gtin, unit_cost=cost))
    for code, gln in (("ZRH-01", None), ("STORE-A", "7612345000022"), ("DC-ZURICH", None)):
        catalog.create_location(db, Location(code=code, kind="store", gln=gln))


def positions(db):
    out = {}
    for sku in ("SHIRT-BLUE-M", "SOCKS-WOOL", "TEE-WHITE"):
        for e in availability(db, sku)["locations"]:
            out[(sku, e["location"])] = e["on_hand"]
    return out


def test_pos_import_quarantines_what_it_cannot_apply_and_the_rest_applies(db):
    seed(db)
    s = import_file(db, "pos", (FIXTURES / "pos" / "sales.csv").open("rb"), source="till")
    assert s.adds_up and s.read >= 5
    assert s.quarantined >= 2  # "SOCKS, WOOL" is unmapped, 96385074 is no item of ours
    assert positions(db)[("SHIRT-BLUE-M", "ZRH-01")] == -2
    assert positions(db)[("SHIRT-BLUE-M", "STORE-A")] == 1  # store given by its GLN
    assert positions(db)[("TEE-WHITE", "ZRH-01")] == -1  # item given by its GTIN
    held = list_quarantine(db, source="till")
    assert len(held) == s.quarantined
    assert any("SOCKS, WOOL" in h["reason"] for h in held)
    assert all(h["reason"] for h in held)

    add_mapping(db, source="till", kind="item", code="SOCKS, WOOL", target="SOCKS-WOOL")
    r = retry_quarantine(db, source="till")
    assert r.applied == 1 and r.adds_up
    assert positions(db)[("SOCKS-WOOL", "ZRH-01")] == -3
    assert len(list_quarantine(db, source="till")) == s.quarantined - 1
    assert verify(db) == []


def test_reimport_and_shuffled_import_leave_positions_unchanged(db):
    seed(db)
    data = (FIXTURES / "pos" / "sales.csv").read_bytes()
    first = import_file(db, "pos", io.BytesIO(data), source="till")
    before = positions(db)
    again = import_file(db, "pos", io.BytesIO(data), source="till")
    assert again.applied == 0 and again.duplicates == first.applied
    header, *lines = [ln for ln in data.decode().splitlines() if ln.strip()]
    random.Random(7).shuffle(lines)
    shuffled = "\n".join([header, *lines]).encode() + b"\n"
    third = import_file(db, "pos", io.BytesIO(shuffled), source="till")
    assert third.applied == 0
    assert positions(db) == before
    assert verify(db) == []


def test_snapshot_counts_in_any_order_converge(db):
    seed(db)
    before = -1_500_000  # minutes: late 2023, before the snapshot's as_of
    apply_movement(db, movement("receipt", 100, sku="SHIRT-BLUE-M", location="DC-ZURICH",
                                   minutes=before))
    apply_movement(db, movement("receipt", 3, sku="TEE-WHITE", location="DC-ZURICH",
                                   minutes=before))
    s = import_file(db, "snapshot", (FIXTURES / "snapshot" / "stock.csv").open("rb"),
                    source="erp")
    a = positions(db)
    assert a[("SHIRT-BLUE-M", "DC-ZURICH")] == 120
    report = s.as_dict()["variance"]
    lines = {(v["sku"], v["location"]): v for v in report["lines"]}
    assert lines[("SHIRT-BLUE-M", "DC-ZURICH")]["delta"] == 20
    assert lines[("SHIRT-BLUE-M", "DC-ZURICH")]["value"] == 250.0
    assert lines[("TEE-WHITE", "DC-ZURICH")]["value"] == -12.0
    assert report["lines"][0]["sku"] == "SHIRT-BLUE-M"  # the largest value first
    assert report["value"] == sum(v["value"] or 0 for v in report["lines"])
    import_file(db, "snapshot", (FIXTURES / "snapshot" / "stock_reordered.csv").open("rb"),
                source="erp")
    assert positions(db) == a
    health = {h["source"]: h for h in source_health(db)}
    # Recorded now, occurred in 2024: far beyond the 15 minutes a source may lag.
    assert health["erp"]["records"] >= 2
    assert (health["erp"]["stale"], health["erp"]["stale_reason"]) == (True, "lagging")
    assert verify(db) == []


def test_broken_files_quarantine_every_bad_record(db):
    seed(db)
    for fmt, name in (("pos", "pos/broken.csv"), ("snapshot", "snapshot/broken.csv"),
                      ("edifact", "edifact/invrpt_cut_inside.edi"),
                      ("epcis", "epcis/broken.jsonld")):
        s = import_file(db, fmt, (FIXTURES / name).open("rb"), source=f"bad-{fmt}")
        assert s.adds_up and s.quarantined >= 1, (fmt, s)
    assert verify(db) == []


def test_binary_junk_is_quarantined_not_an_error(db):
    seed(db)
    junk = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00"
    for fmt in ("pos", "snapshot", "epcis", "edifact"):
        s = import_file(db, fmt, io.BytesIO(junk), source=f"junk-{fmt}")
        assert s.adds_up and s.quarantined >= 1 and s.applied == 0, (fmt, s)
    held = list_quarantine(db)
    assert held and all("\x00" not in h["raw"] for h in held)
