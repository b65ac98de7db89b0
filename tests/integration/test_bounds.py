"""Bounds on time and on numbers through the services and every feed, on SQLite and PostgreSQL:
what is out of range is refused (or quarantined with its reason), the rest of the file still
applies, and the ledger still verifies."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from omnistock.cli import app
from omnistock.domain.catalog import Item, Location
from omnistock.domain.errors import InvalidInput
from omnistock.ingest.registry import parse
from omnistock.services import catalog
from omnistock.services.availability import availability
from omnistock.services.feeds import ImportSummary, import_records, list_quarantine
from omnistock.services.mappings import add_mapping
from omnistock.services.movements import (
    CountRequest,
    apply_batch,
    apply_count,
    apply_movement,
    time_window,
)
from omnistock.services.verify import verify
from omnistock.settings import get_settings
from omnistock.store.database import Database

from ..factories import T0, movement, ref, seed

GTIN = "7612345670010"
FAR = "9999-12-31T23:59:59Z"
EARLY = "0001-01-01T00:00:00Z"
HUGE = {"20 digits": "12345678901234567890", "2^63": str(2**63), "2^40": str(2**40)}


def setup(db: Database) -> None:
    seed(db, skus=("SKU-1", "SKU-2"), locations=("S1",))
    catalog.create_item(db, Item(sku="GT-1", gtin=GTIN))
    catalog.create_location(db, Location(code="E1", kind="store", gln="7612345000022"))
    for sku in ("SKU-1", "SKU-2"):
        add_mapping(db, source="wms", kind="item", code=sku, target=sku)


def on_hand(db: Database, sku: str = "SKU-1") -> int:
    return sum(e["on_hand"] for e in availability(db, sku)["locations"])


def feed(db: Database, fmt: str, data: str | bytes, source: str) -> ImportSummary:
    raw = data.encode() if isinstance(data, str) else data
    return import_records(db, parse(fmt, io.BytesIO(raw)), source=source, fmt=fmt)


def pos(*lines: tuple[str, str, str]) -> str:
    """POS CSV of (occurred_at, quantity, type) lines for SKU-1 at S1."""
    rows = [f"{ref('T')},1,{at},S1,SKU-1,{q},{t}" for at, q, t in lines]
    return "transaction_id,line,occurred_at,store,sku,quantity,type\n" + "\n".join(rows) + "\n"


def pos_jsonl(*lines: tuple[str, str, str]) -> str:
    return "\n".join(
        f'{{"transaction_id": "{ref("T")}", "line": 1, "occurred_at": "{at}", "store": "S1", '
        f'"sku": "SKU-1", "quantity": {q}, "type": "{t}"}}' for at, q, t in lines) + "\n"


def snapshot(*rows: tuple[str, str, str]) -> str:
    """Snapshot CSV of (sku, on_hand, as_of) rows at S1."""
    return "location,sku,on_hand,as_of\n" + "".join(f"S1,{s},{q},{at}\n" for s, q, at in rows)


def invrpt(*lines: tuple[str, str], when: str = "20261101:102") -> str:
    """An INVRPT of (sku, quantity) lines at S1 as of `when` (DTM value:format)."""
    body = ["UNH+1+INVRPT:D:96A:UN'", f"BGM+35+{ref('INV')}+9'", f"DTM+137:{when}'",
            "LOC+18+S1::92'"]
    for n, (sku, qty) in enumerate(lines, 1):
        body += [f"LIN+{n}++{sku}:SA'", f"QTY+145:{qty}:PCE'"]
    body.append(f"UNT+{len(body) + 1}+1'")
    return "UNA:+.? 'UNB+UNOC:3+SENDER:14+OMNI:14+261101:1200+42'" + "".join(body) + "UNZ+1+42'"


def epcis(*events: tuple[str, str]) -> str:
    """An EPCIS document of (eventTime, quantity) receiving events of GT-1 at E1."""
    return json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": [
        {"type": "ObjectEvent", "eventID": ref("ev"), "eventTime": at,
         "eventTimeZoneOffset": "+00:00", "action": "ADD", "bizStep": "receiving",
         "bizLocation": {"id": "urn:epc:id:sgln:7612345.00002.0"},
         "quantityList": [{"epcClass": "urn:epc:class:lgtin:7612345.067001.L1",
                           "quantity": q}]}
        for at, q in events]}})


def good_and_bad(summary: ImportSummary, applied: int, quarantined: int) -> None:
    assert summary.adds_up, summary
    assert (summary.applied, summary.quarantined) == (applied, quarantined), summary


@pytest.mark.parametrize("bad", [FAR, EARLY, "0001-01-01T00:00:00+01:00"])
def test_every_feed_quarantines_a_fact_dated_outside_the_window(db, bad):
    setup(db)
    ok = "2026-11-01T09:00:00Z"
    good_and_bad(feed(db, "pos", pos((ok, "5", "return"), (bad, "1", "sale"),
                                     (ok, "1", "sale")), "till"), 2, 1)
    good_and_bad(feed(db, "pos", pos_jsonl((bad, "1", "sale"), (ok, "2", "return")),
                      "till-json"), 1, 1)
    assert on_hand(db) == 6
    good_and_bad(feed(db, "snapshot", snapshot(("SKU-1", "3", bad), ("SKU-2", "7", ok)),
                      "erp"), 1, 1)
    assert (on_hand(db), on_hand(db, "SKU-2")) == (6, 7)
    edi_bad = {FAR: "99991231:102", EARLY: "00010101:102"}.get(bad, "000101010000:203")
    good_and_bad(feed(db, "edifact", invrpt(("SKU-1", "4"), when=edi_bad), "wms"), 0, 1)
    good_and_bad(feed(db, "edifact", invrpt(("SKU-2", "8")), "wms"), 1, 0)
    assert (on_hand(db), on_hand(db, "SKU-2")) == (6, 8)
    good_and_bad(feed(db, "epcis", epcis((bad, 1), (ok, 2)), "rfid"), 1, 1)
    assert on_hand(db, "GT-1") == 2
    held = list_quarantine(db)
    assert len(held) == 5
    why = "in the future" if bad == FAR else ("earliest accepted time", "out of range in UTC")
    assert all(any(w in h["reason"] for w in ([why] if bad == FAR else why)) for h in held), held
    assert verify(db) == []


@pytest.mark.parametrize("quantity", list(HUGE.values()), ids=list(HUGE))
def test_huge_quantities_are_quarantined_and_the_other_lines_applied(db, quantity):
    setup(db)
    ok = "2026-11-01T09:00:00Z"
    good_and_bad(feed(db, "pos", pos((ok, "5", "return"), (ok, quantity, "return"),
                                     (ok, quantity, "return"), (ok, "2", "sale")), "till"),
                 2, 2)
    good_and_bad(feed(db, "pos", pos_jsonl((ok, quantity, "return"), (ok, "1", "return")),
                      "till-json"), 1, 1)
    assert on_hand(db) == 4
    good_and_bad(feed(db, "snapshot", snapshot(("SKU-1", quantity, ok),
                                               ("SKU-2", "9", ok)), "erp"), 1, 1)
    good_and_bad(feed(db, "edifact", invrpt(("SKU-1", quantity), ("SKU-2", "6"),
                                            when="20261101:102"), "wms"), 1, 1)
    assert (on_hand(db), on_hand(db, "SKU-2")) == (4, 6)
    held = list_quarantine(db)
    assert all("beyond the bound" in h["reason"] for h in held), held
    assert verify(db) == []


def test_the_cli_import_reports_huge_quantities_instead_of_a_traceback(db, tmp_path):
    setup(db)
    path = tmp_path / "sales.csv"
    ok = "2026-11-01T09:00:00Z"
    path.write_text(pos((ok, "3", "return"), (ok, str(2**63), "return"), (ok, "1" * 25,
                                                                         "return")))
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["import", "pos", str(path), "--source", "till"],
                                env={"OMNISTOCK_DATABASE_URL": url})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert on_hand(db) == 3
    assert len(list_quarantine(db, source="till")) == 2


def test_a_count_dated_9999_is_refused_and_later_movements_still_count(db):
    setup(db)
    apply_movement(db, movement("receipt", 5))
    far = CountRequest("SKU-1", "S1", 100, datetime(9999, 12, 31, tzinfo=UTC), "rfid", ref("c"))
    with pytest.raises(InvalidInput) as e:
        apply_count(db, far)
    assert e.value.field == "counted_at"
    good_and_bad(feed(db, "snapshot", snapshot(("SKU-1", "100", FAR)), "erp"), 0, 1)
    apply_movement(db, movement("sale", 2, minutes=5))
    assert on_hand(db) == 3
    apply_count(db, CountRequest("SKU-1", "S1", 10, T0 + timedelta(minutes=10), "rfid",
                                 ref("c")))
    apply_movement(db, movement("receipt", 1, minutes=20))
    assert on_hand(db) == 11
    assert verify(db) == []


def test_far_dates_are_refused_on_every_service_path(db):
    setup(db)
    with pytest.raises(InvalidInput) as e:
        apply_batch(db, [movement("receipt", 1),
                         movement("receipt", 1, minutes=60 * 24 * 365 * 10)])
    assert e.value.field == "movements[1].occurred_at"
    expected = movement("expected", 4, expected_at=datetime(9999, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput) as e:
        apply_movement(db, expected)
    assert e.value.field == "expected_at"
    soon = db.clock() + timedelta(days=30)
    apply_movement(db, movement("expected", 4, expected_at=soon))
    assert on_hand(db) == 0


def test_the_window_follows_the_settings(db, monkeypatch):
    monkeypatch.setenv("OMNISTOCK_MAX_FUTURE_SKEW_SECONDS", "3600")
    monkeypatch.setenv("OMNISTOCK_EARLIEST_TIME", "2020-01-01T00:00:00Z")
    monkeypatch.setenv("OMNISTOCK_MAX_EXPECTED_DAYS", "10")
    get_settings.cache_clear()
    try:
        window = time_window(db)
        assert window.earliest == datetime(2020, 1, 1, tzinfo=UTC)
        assert window.skew == timedelta(hours=1) and window.horizon == timedelta(days=10)
        setup(db)
        ahead = dataclasses.replace(movement("receipt", 1),
                                    occurred_at=db.clock() + timedelta(minutes=30))
        apply_movement(db, ahead)
        with pytest.raises(InvalidInput) as e:
            apply_movement(db, movement("receipt", 1, minutes=-60 * 24 * 365 * 7))
        assert e.value.field == "occurred_at"
    finally:
        get_settings.cache_clear()


def test_a_batch_past_the_bucket_bound_is_refused_and_a_feed_keeps_the_rest(db, monkeypatch):
    monkeypatch.setattr("omnistock.domain.movements.MAX_BUCKET", 100)
    setup(db)
    apply_batch(db, [movement("receipt", 60), movement("receipt", 30)])
    with pytest.raises(InvalidInput) as e:
        apply_batch(db, [movement("receipt", 5), movement("receipt", 6)])
    assert e.value.field == "movements[1].quantity"
    assert on_hand(db) == 90
    ok = "2026-11-01T09:00:00Z"
    good_and_bad(feed(db, "pos", pos((ok, "4", "return"), (ok, "7", "return"),
                                     (ok, "3", "sale")), "till"), 2, 1)
    assert on_hand(db) == 91
    assert "beyond the bound" in list_quarantine(db, source="till")[0]["reason"]
    assert verify(db) == []
