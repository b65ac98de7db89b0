"""Bounds on time and on numbers, in the domain and in the feed parsers: anything out of range is
an InvalidInput naming the field (or a Rejected), never an OverflowError or a ValueError."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain.errors import InvalidInput
from omnistock.domain.feeds import FeedRecord, Rejected
from omnistock.domain.movements import (
    EARLIEST_TIME,
    MAX_BUCKET,
    MAX_QUANTITY,
    MovementRequest,
    MovementType,
    TimeWindow,
    add_bounded,
    validate_counted,
    validate_quantity,
)
from omnistock.ingest.edifact import parse_edifact
from omnistock.ingest.epcis import parse_epcis
from omnistock.ingest.pos import parse_pos
from omnistock.ingest.records import parse_count, parse_timestamp
from omnistock.ingest.snapshot import parse_snapshot

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
WINDOW = TimeWindow(NOW)
HUGE = ["99999999999999999999", str(2**63), str(2**40), "1" * 5000]


def req(**kw):
    base = dict(type=MovementType.RECEIPT, sku="A", location="S1", quantity=3, occurred_at=NOW,
                source="erp", external_id="1")
    return MovementRequest(**{**base, **kw})


def refused(field: str, call, *args, **kw) -> str:
    with pytest.raises(InvalidInput) as e:
        call(*args, **kw)
    assert e.value.field == field
    return e.value.detail


@given(st.integers(min_value=1, max_value=MAX_QUANTITY))
def test_quantities_up_to_the_bound_are_accepted(q):
    validate_quantity(MovementType.RECEIPT, q)
    validate_quantity(MovementType.ADJUSTMENT, -q)
    validate_counted(q)


@given(st.integers(min_value=MAX_QUANTITY + 1))
def test_quantities_past_the_bound_are_refused(q):
    refused("quantity", validate_quantity, MovementType.RECEIPT, q)
    refused("quantity", validate_quantity, MovementType.SAFETY_STOCK, -q)
    refused("counted_quantity", validate_counted, q)


def test_a_count_is_zero_or_more():
    validate_counted(0)
    refused("counted_quantity", validate_counted, -1)
    refused("counted_quantity", validate_counted, True)


@given(st.integers(min_value=-MAX_BUCKET, max_value=MAX_BUCKET),
       st.integers(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY))
def test_a_bucket_never_goes_past_its_bound(start, delta):
    if abs(start + delta) <= MAX_BUCKET:
        assert add_bounded({"on_hand": start}, {"on_hand": delta}) == {"on_hand": start + delta}
    else:
        assert "beyond the bound" in refused("movements[3].quantity", add_bounded,
                                             {"on_hand": start}, {"on_hand": delta},
                                             "movements[3].quantity")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 11, 1, 12, 5),
                    timezones=st.just(UTC)))
def test_times_inside_the_window_are_accepted(at):
    req(occurred_at=at).validate(WINDOW)


@pytest.mark.parametrize("at", [
    datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=5))),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    NOW + timedelta(seconds=301),
    EARLIEST_TIME - timedelta(microseconds=1),
])
def test_times_outside_the_window_are_refused_naming_the_field(at):
    refused("occurred_at", req(occurred_at=at).validate, WINDOW)
    refused("expected_at", req(type=MovementType.EXPECTED, expected_at=at).validate,
            TimeWindow(NOW, horizon=timedelta(0)))


def test_an_arrival_may_be_announced_up_to_the_horizon():
    soon = NOW + timedelta(days=300)
    req(type=MovementType.EXPECTED, expected_at=soon).validate(WINDOW)
    refused("expected_at", req(type=MovementType.EXPECTED,
                               expected_at=NOW + timedelta(days=367)).validate, WINDOW)
    refused("occurred_at", req(occurred_at=soon).validate, WINDOW)


def test_without_a_window_only_the_zone_is_checked():
    req(occurred_at=datetime(9999, 1, 1, tzinfo=UTC)).validate()
    refused("occurred_at", req(occurred_at=datetime(2026, 1, 1)).validate)


@pytest.mark.parametrize("text", [*HUGE, "1000000001", "-" + "9" * 30])
def test_parse_count_refuses_huge_numbers_without_converting_them(text):
    detail = refused("quantity", parse_count, text, "quantity", allow_zero=True)
    assert len(detail) < 150


def test_parse_count_takes_the_bound_itself():
    assert parse_count(str(MAX_QUANTITY), "quantity", allow_zero=False) == MAX_QUANTITY
    assert parse_count("0" * 30 + "7", "quantity", allow_zero=False) == 7
    refused("quantity", parse_count, 2**63, "quantity", allow_zero=False)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_instant_with_no_utc_equivalent_is_refused(text):
    refused("occurred_at", parse_timestamp, text, "occurred_at")


def test_parse_timestamp_keeps_the_ends_of_the_calendar_for_the_window_to_refuse():
    assert parse_timestamp("9999-12-31T23:59:59Z", "t").year == 9999
    assert parse_timestamp("0001-01-01T00:00:00Z", "t").year == 1


def kinds(records) -> list[str]:
    return ["ok" if isinstance(r, FeedRecord) else "rejected" for r in records]


@pytest.mark.parametrize("quantity", HUGE)
def test_pos_lines_with_huge_quantities_are_rejected_and_the_others_kept(quantity):
    csv = ("transaction_id,line,occurred_at,store,sku,quantity,type\n"
           "T1,1,2026-11-01T09:00:00Z,S1,A,2,sale\n"
           f"T1,2,2026-11-01T09:00:00Z,S1,A,{quantity},return\n"
           "T1,3,2026-11-01T09:00:00Z,S1,A,1,sale\n")
    got = list(parse_pos(io.BytesIO(csv.encode()), format="csv"))
    assert kinds(got) == ["ok", "rejected", "ok"]
    assert isinstance(got[1], Rejected) and "quantity" in got[1].reason
    jsonl = "\n".join([
        '{"transaction_id": "T1", "line": 1, "occurred_at": "2026-11-01T09:00:00Z", '
        '"store": "S1", "sku": "A", "quantity": 2, "type": "sale"}',
        '{"transaction_id": "T1", "line": 2, "occurred_at": "2026-11-01T09:00:00Z", '
        f'"store": "S1", "sku": "A", "quantity": {quantity}, "type": "return"}}',
        '{"transaction_id": "T1", "line": 3, "occurred_at": "0001-01-01T00:00:00+01:00", '
        '"store": "S1", "sku": "A", "quantity": 1, "type": "sale"}'])
    assert kinds(parse_pos(io.BytesIO(jsonl.encode()), format="jsonl")) == [
        "ok", "rejected", "rejected"]


@pytest.mark.parametrize("quantity", HUGE)
def test_snapshot_rows_with_huge_counts_are_rejected(quantity):
    csv = ("location,sku,on_hand,as_of\n"
           f"S1,A,{quantity},2026-11-01T09:00:00Z\n"
           "S1,B,4,2026-11-01T09:00:00Z\n")
    assert kinds(parse_snapshot(io.BytesIO(csv.encode()))) == ["rejected", "ok"]


def invrpt(lines: list[tuple[str, str]], date: str = "20261101:102") -> bytes:
    body = ["UNH+1+INVRPT:D:96A:UN'", "BGM+35+INV-1+9'", f"DTM+137:{date}'",
            "LOC+18+ZRH-01::92'"]
    for n, (item, qty) in enumerate(lines, 1):
        body += [f"LIN+{n}++{item}:SA'", f"QTY+145:{qty}:PCE'"]
    body.append(f"UNT+{len(body) + 1}+1'")
    return ("UNA:+.? 'UNB+UNOC:3+SENDER:14+OMNI:14+261101:1200+42'" + "".join(body)
            + "UNZ+1+42'").encode()


@pytest.mark.parametrize("quantity", HUGE)
def test_edifact_lines_with_huge_quantities_are_rejected_and_the_others_kept(quantity):
    got = list(parse_edifact(io.BytesIO(invrpt([("A", "5"), ("B", quantity), ("C", "0")]))))
    assert kinds(got) == ["ok", "rejected", "ok"]
    assert isinstance(got[1], Rejected) and "QTY+145 quantity" in got[1].reason


def test_edifact_dates_at_the_ends_of_the_calendar_are_read_or_rejected():
    far = list(parse_edifact(io.BytesIO(invrpt([("A", "5")], date="99991231:102"))))
    assert kinds(far) == ["ok"] and far[0].occurred_at.year == 9999
    ahead = timezone(timedelta(hours=1))
    early = list(parse_edifact(io.BytesIO(invrpt([("A", "5")], date="000101010000:203")),
                               tz=ahead))
    assert kinds(early) == ["rejected"]


def test_epcis_huge_quantities_are_rejected():
    def event(quantity: float) -> dict:
        return {"type": "ObjectEvent", "eventTime": "2026-11-01T09:00:00Z",
                "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
                "bizStep": "cycle_counting",
                "readPoint": {"id": "urn:epc:id:sgln:7612345.00002.0"},
                "quantityList": [{"epcClass": "urn:epc:class:lgtin:7612345.067001.L1",
                                  "quantity": quantity}]}
    doc = {"type": "EPCISDocument", "epcisBody": {"eventList": [event(5), event(1e300)]}}
    got = list(parse_epcis(io.BytesIO(json.dumps(doc).encode())))
    assert kinds(got) == ["ok", "rejected"]
    assert "beyond the bound" in got[1].reason
