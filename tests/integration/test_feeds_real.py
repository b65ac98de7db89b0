"""Files shaped or written by real senders (tests/fixtures/feeds/SOURCES.md), on SQLite and
PostgreSQL: applied or quarantined as docs/feeds.md says, a second import changes nothing,
verify passes, and every movement names who recorded it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from omnistock.cli import app
from omnistock.domain.catalog import Item, Location
from omnistock.domain.feed_sources import SourceSettings
from omnistock.domain.movements import MovementRequest, MovementType
from omnistock.ingest.mapping_files import read_mappings
from omnistock.ingest.registry import parse
from omnistock.ingest.shopify import parse_webhook
from omnistock.services import catalog
from omnistock.services.availability import availability
from omnistock.services.feed_sources import put_source_settings, source_settings
from omnistock.services.feeds import (
    ImportSummary,
    import_records,
    list_quarantine,
    retry_quarantine,
)
from omnistock.services.mappings import add_mapping, put_mappings
from omnistock.services.movements import apply_movement
from omnistock.services.reservations import reserve, sweep_expired
from omnistock.services.sources import source_health
from omnistock.services.verify import verify
from omnistock.store.database import Database
from omnistock.store.tables import movements

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
UPSTREAM = FEEDS / "shopify" / "upstream"
DC, STORE_A, STORE_B = "7612345000015", "7612345000022", "7612345000039"


def seed(db: Database) -> None:
    for sku, gtin in (("SHIRT-BLUE-M", "7612345670010"), ("SOCKS-WOOL", "7612345670027"),
                      ("CAP-RED", "7612345670034"), ("TEE-WHITE", None),
                      ("IPOD2008BLACK", None), ("IPOD2008GREEN", None)):
        catalog.create_item(db, Item(sku=sku, gtin=gtin))
    for code, gln in (("DC-ZURICH", DC), ("STORE-A", STORE_A), ("STORE-B", STORE_B),
                      ("NYC-MAIN", None)):
        catalog.create_location(db, Location(code=code, kind="store", gln=gln))


def on_hand(db: Database, sku: str, location: str) -> int:
    found = [e for e in availability(db, sku)["locations"] if e["location"] == location]
    return found[0]["on_hand"] if found else 0


def feed(db: Database, fmt: str, data: bytes, source: str) -> ImportSummary:
    records = parse(fmt, io.BytesIO(data), source_settings(db, source))
    return import_records(db, records, source=source, fmt=fmt)


def actors(db: Database, source: str) -> set[str | None]:
    with db.uow(readonly=True) as uow:
        return set(uow.conn.execute(select(movements.c.actor)
                                    .where(movements.c.source == source)).scalars())


def open_rows(db: Database, source: str) -> list[dict[str, Any]]:
    return list_quarantine(db, source=source)


def test_a_retailer_interchange_counts_each_message_at_its_reporting_party(db):
    seed(db)
    data = (FEEDS / "edifact" / "invrpt_retailer_nad.edi").read_bytes()
    first = feed(db, "edifact", data, "retailer")
    assert first.adds_up and (first.read, first.applied, first.quarantined) == (6, 5, 1)
    assert on_hand(db, "SHIRT-BLUE-M", "DC-ZURICH") == 300  # the total, not its packages
    assert on_hand(db, "SOCKS-WOOL", "DC-ZURICH") == 40  # NAD+GY, no LOC
    assert on_hand(db, "SHIRT-BLUE-M", "STORE-A") == 14  # NAD+SN, not the supplier
    assert on_hand(db, "CAP-RED", "STORE-A") == 3
    assert on_hand(db, "SHIRT-BLUE-M", "STORE-B") == 9
    [held] = open_rows(db, "retailer")
    assert held["reason"].startswith("unknown GTIN '07612345670041': no item of ours")
    assert held["retryable"]

    again = feed(db, "edifact", data, "retailer")
    assert (again.applied, again.duplicates, again.quarantined) == (0, 5, 1)
    [same] = open_rows(db, "retailer")
    assert same["id"] == held["id"] and same["seen"] == 2  # one row per source record
    assert actors(db, "retailer") == {"feed:retailer"}

    catalog.create_item(db, Item(sku="BEANIE", gtin="7612345670041"))
    retried = retry_quarantine(db, source="retailer")
    assert retried.applied == 1 and open_rows(db, "retailer") == []
    assert on_hand(db, "BEANIE", "STORE-B") == 1
    assert verify(db) == []


def test_a_date_only_report_for_today_is_followed_by_todays_sales(db):
    seed(db)
    now = datetime.now(UTC)
    prepared = now - timedelta(hours=1)
    segments = [f"UNB+UNOC:3+S+R+{prepared:%y%m%d:%H%M}+T1", "UNH+1+INVRPT:D:96A:UN:EAN008",
                "BGM+35+TODAY+9", f"DTM+366:{now:%Y%m%d}:102", f"NAD+SN+{STORE_A}::9",
                "LIN+1++7612345670010:EN", "QTY+145:10", "UNT+7+1", "UNZ+1+T1"]
    summary = feed(db, "edifact", "".join(f"{s}'" for s in segments).encode(), "erp")
    assert summary.applied == 1, summary.reasons
    apply_movement(db, MovementRequest(MovementType.SALE, "SHIRT-BLUE-M", "STORE-A", 1, now,
                                       "till", "today-1"))
    assert on_hand(db, "SHIRT-BLUE-M", "STORE-A") == 9  # the sale after the count counts
    assert verify(db) == []


SQUARE = SourceSettings(
    "square", "America/New_York",
    {"transaction_id": "Transaction ID", "line": "Token", "date": "Date", "time": "Time",
     "store": "Location", "sku": "SKU", "quantity": "Qty", "type": "Event Type"},
    {"Payment": "sale", "Refund": "return"})


def test_a_till_export_in_local_time_lands_at_the_right_instant(db):
    seed(db)
    add_mapping(db, source="square", kind="location", code="Main Street", target="NYC-MAIN")
    data = (FEEDS / "pos" / "square_items_detail.csv").read_bytes()
    header = feed(db, "pos", data, "square")  # its own column names, not mapped yet
    assert header.quarantined == header.read == 1
    assert "header lacks column(s) transaction_id" in open_rows(db, "square")[0]["reason"]
    put_source_settings(db, SourceSettings("square", None, SQUARE.columns, SQUARE.types))
    unset = feed(db, "pos", data, "square")  # local times, and no zone to read them in
    assert unset.quarantined == unset.read == 6
    assert all("set the source's time_zone" in q["reason"] for q in open_rows(db, "square")
               if q["position"] != "line 1")  # the header's reject stays until one is read

    put_source_settings(db, SQUARE)
    summary = feed(db, "pos", data, "square")
    assert (summary.read, summary.applied, summary.quarantined) == (6, 3, 3)
    assert on_hand(db, "SHIRT-BLUE-M", "NYC-MAIN") == -1  # 2.0 sold, -1.0 refunded
    assert on_hand(db, "SOCKS-WOOL", "NYC-MAIN") == -1
    reasons = sorted(q["reason"] for q in open_rows(db, "square"))
    # the rows refused for want of a zone, and the refused header, are resolved, or refused
    # for their own reason now
    bad_digit, gap, fraction = reasons
    assert bad_digit.startswith("bad check digit in item code '7612345670011'")
    assert "does not exist in America/New_York (the clocks went forward" in gap
    assert "quantity 1.5 is not a whole number of units" in fraction

    with db.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(movements.c.occurred_at, movements.c.recorded_at,
                                       movements.c.actor, movements.c.external_id)
                                .where(movements.c.source == "square")).all()
    assert {r.external_id: r.occurred_at for r in rows}["SqTx1001:tok-1001-a"] == datetime(
        2024, 3, 1, 14, 15, 2, tzinfo=UTC)  # 09:15:02 EST
    assert all(r.recorded_at >= r.occurred_at and r.actor == "feed:square" for r in rows)
    [health] = [h for h in source_health(db) if h["source"] == "square"]
    assert health["latency_p50_seconds"] > 0 and health["latency_p99_seconds"] > 0
    assert feed(db, "pos", data, "square").applied == 0
    assert verify(db) == []


def test_an_older_till_export_with_us_dates_and_no_line_column(db):
    seed(db)
    put_source_settings(db, SourceSettings(
        "square-2017", "America/Los_Angeles",
        {**SQUARE.columns, "line": "no such column", "store": "Location"},
        dict(SQUARE.types), "%m/%d/%Y"))
    add_mapping(db, source="square-2017", kind="location", code="#1002", target="NYC-MAIN")
    summary = feed(db, "pos", (FEEDS / "pos" / "square_items_detail_2017.csv").read_bytes(),
                   "square-2017")
    assert summary.applied == 2, summary.reasons
    with db.uow(readonly=True) as uow:
        rows = dict(uow.conn.execute(select(movements.c.external_id, movements.c.occurred_at)
                                     .where(movements.c.source == "square-2017")).all())
    assert rows == {"SqTx2001:1": datetime(2017, 11, 16, 5, 18, 15, tzinfo=UTC),
                    "SqTx2001:2": datetime(2017, 11, 16, 5, 18, 15, tzinfo=UTC)}


def upstream(name: str) -> dict[str, Any]:
    return json.loads((UPSTREAM / f"{name}.json").read_text())


def webhook(db: Database, topic: str, body: dict[str, Any]) -> ImportSummary:
    return import_records(db, parse_webhook(topic, json.dumps(body).encode()),
                          source="shopify", fmt="shopify", actor="feed:shopify")


def test_a_refund_of_the_older_form_waits_for_a_default_location_then_applies(db):
    seed(db)
    refund = upstream("refund")["refund"]  # "restock": true, no restock_type, no location
    first = webhook(db, "refunds/create", refund)
    assert (first.read, first.quarantined) == (2, 2)
    held = open_rows(db, "shopify")
    assert all(q["retryable"] and "has no default location" in q["reason"] for q in held)
    add_mapping(db, source="shopify", kind="location", code="*", target="STORE-A")
    assert retry_quarantine(db, source="shopify").applied == 2
    assert on_hand(db, "IPOD2008BLACK", "STORE-A") == on_hand(db, "IPOD2008GREEN",
                                                                "STORE-A") == 1
    assert open_rows(db, "shopify") == []
    assert webhook(db, "refunds/create", refund).duplicates == 2
    assert actors(db, "shopify") == {"feed:shopify"}
    assert verify(db) == []


def test_upstream_orders_and_fulfillments_move_stock_only_once_shipped(db):
    seed(db)
    order = upstream("order")["order"]  # online, its only fulfillment failed
    assert webhook(db, "orders/create", order).read == 0
    fulfillment = upstream("fulfillment")["fulfillment"]  # pending, no location
    assert webhook(db, "fulfillments/create", fulfillment).read == 0
    shipped = webhook(db, "fulfillments/update", {**fulfillment, "status": "success"})
    assert (shipped.read, shipped.quarantined) == (1, 1)  # no location: held, retryable
    add_mapping(db, source="shopify", kind="location", code="*", target="DC-ZURICH")
    catalog.create_item(db, Item(sku="IPOD2008RED"))
    assert retry_quarantine(db).applied == 1
    assert on_hand(db, "IPOD2008GREEN", "DC-ZURICH") == -1
    moved = upstream("fulfillment_orders")["fulfillment_order"]
    assert webhook(db, "fulfillment_orders/moved", {"original_fulfillment_order": moved}
                   ).read == 0
    assert verify(db) == []


def test_an_inventory_level_sets_what_is_available_not_what_is_on_hand(db):
    seed(db)
    mapping = (b"Inventory Item ID,Variant SKU,Location ID,Location\n"
               b"808950810,SHIRT-BLUE-M,905684977,STORE-B\n")
    assert put_mappings(db, "shopify", read_mappings(io.BytesIO(mapping))) == {
        "read": 2, "added": 2, "changed": 0, "unchanged": 0}
    assert put_mappings(db, "shopify", read_mappings(io.BytesIO(mapping)))["unchanged"] == 2
    apply_movement(db, MovementRequest(MovementType.RECEIPT, "SHIRT-BLUE-M", "STORE-B", 10,
                                       datetime(2018, 1, 2, tzinfo=UTC), "erp", "r-1"))
    reserve(db, sku="SHIRT-BLUE-M", location="STORE-B", quantity=3, ttl_seconds=900,
            reference="cart-1")
    level = upstream("inventory_level")["inventory_level"]  # available: 6
    summary = webhook(db, "inventory_levels/update", level)
    assert summary.applied == 1, summary.reasons
    [entry] = [e for e in availability(db, "SHIRT-BLUE-M")["locations"]
               if e["location"] == "STORE-B"]
    assert (entry["on_hand"], entry["reserved"], entry["available"]) == (9, 3, 6)
    assert webhook(db, "inventory_levels/update", level).duplicates == 1
    assert verify(db) == []


def test_import_exits_non_zero_when_anything_was_quarantined(database_url, db):
    seed(db)
    path = FEEDS / "pos" / "square_items_detail.csv"
    runner = CliRunner()
    args = ["import", "pos", str(path), "--source", "square", "--database-url", database_url]
    held = runner.invoke(app, args)
    assert held.exit_code == 3, held.output
    assert "quarantined" in held.output
    assert runner.invoke(app, [*args, "--allow-quarantine"]).exit_code == 0
    assert len(open_rows(db, "square")) == 1  # the same reject (the header), not twice
    settings = runner.invoke(app, ["sources", "set", "square", "--time-zone",
                                   "America/New_York", "--database-url", database_url,
                                   *[f"--column={k}={v}" for k, v in SQUARE.columns.items()],
                                   "--type", "Payment=sale", "--type", "Refund=return"])
    assert settings.exit_code == 0, settings.output
    assert source_settings(db, "square") == SQUARE
    bad = runner.invoke(app, ["sources", "set", "square", "--time-zone", "Mars/Olympus",
                              "--database-url", database_url])
    assert bad.exit_code == 2 and "not an IANA time zone" in bad.output


def test_holds_returned_by_the_sweeper_name_it_as_their_actor(db):
    seed(db)
    apply_movement(db, MovementRequest(MovementType.RECEIPT, "CAP-RED", "STORE-A", 5,
                                       datetime(2024, 1, 2, tzinfo=UTC), "erp", "r-9"))
    reserve(db, sku="CAP-RED", location="STORE-A", quantity=2, ttl_seconds=60)
    later = datetime.now(UTC) + timedelta(minutes=5)
    db.clock = lambda: later  # type: ignore[method-assign]
    assert sweep_expired(db) == 1
    with db.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(movements.c.type, movements.c.actor)
                                .where(movements.c.type == "expire")).all()
    assert [tuple(r) for r in rows] == [("expire", "system:expiry")]


def shipment(step: str, where: str, **extra: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "eventID": f"ni:///sha-256;{step}", "action": "OBSERVE",
            "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+01:00",
            "bizStep": step, "readPoint": {"id": where}, **extra,
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:7612345.067001.L1",
                              "quantity": 4}]}


def test_a_shipment_with_a_destination_puts_its_units_in_the_destinations_incoming(db):
    seed(db)
    store_a = "urn:epc:id:sgln:7612345.00002.0"
    shipped = shipment("shipping", "urn:epc:id:sgln:7612345.00001.0", destinationList=[
        {"type": "owning_party", "destination": "urn:epc:id:pgln:7612345.00002"},
        {"type": "location", "destination": store_a}])
    received = {**shipment("receiving", store_a), "eventTime": "2024-03-02T08:00:00Z",
                "eventID": "ni:///sha-256;received"}
    doc = {"type": "EPCISDocument", "epcisBody": {"eventList": [shipped]}}
    first = feed(db, "epcis", json.dumps(doc).encode(), "epcis")
    assert (first.read, first.applied) == (2, 2), first.reasons
    [at_a] = [e for e in availability(db, "SHIRT-BLUE-M")["locations"]
              if e["location"] == "STORE-A"]
    assert (at_a["on_hand"], at_a["incoming"]) == (0, 4)
    assert on_hand(db, "SHIRT-BLUE-M", "DC-ZURICH") == -4
    doc["epcisBody"]["eventList"] = [shipped, received]
    second = feed(db, "epcis", json.dumps(doc).encode(), "epcis")
    assert (second.applied, second.duplicates) == (1, 2)
    [at_a] = [e for e in availability(db, "SHIRT-BLUE-M")["locations"]
              if e["location"] == "STORE-A"]
    assert (at_a["on_hand"], at_a["incoming"]) == (4, 0)  # the receipt closed the notice
    assert verify(db) == []
