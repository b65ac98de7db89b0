from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from omnistock.domain.feeds import FeedRecord, Rejected
from omnistock.ingest.snapshot import parse_snapshot

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds" / "snapshot"


def accepted(results: list[FeedRecord | Rejected]) -> list[FeedRecord]:
    """The results of a file that must be accepted whole."""
    assert all(isinstance(result, FeedRecord) for result in results), results
    return [result for result in results if isinstance(result, FeedRecord)]


def parse_file(name: str) -> list[FeedRecord | Rejected]:
    with (FEEDS / name).open("rb") as fileobj:
        return list(parse_snapshot(fileobj))


def test_each_row_is_a_count_of_on_hand_as_of_its_time() -> None:
    results = accepted(parse_file("stock.csv"))

    assert [(r.item_code, r.item_scheme, r.location_code, r.location_scheme, r.quantity,
             r.occurred_at) for r in results] == [
        ("SHIRT-BLUE-M", "sku", "DC-ZURICH", "code", 120, datetime(2024, 3, 1, 23, tzinfo=UTC)),
        ("07612345670010", "gtin", "DC-ZURICH", "code", 0, datetime(2024, 3, 1, 23, tzinfo=UTC)),
        ("SOCKS-WOOL", "sku", "7612345000022", "gln", 14, datetime(2024, 3, 1, 23, tzinfo=UTC)),
    ]
    assert all(r.kind == "count" and r.type is None for r in results)
    assert [r.external_id for r in results] == [
        "snapshot:DC-ZURICH:SHIRT-BLUE-M:2024-03-01T23:00:00+00:00",
        "snapshot:DC-ZURICH:7612345670010:2024-03-01T23:00:00+00:00",
        "snapshot:7612345000022:SOCKS-WOOL:2024-03-01T23:00:00+00:00",
    ]
    assert [r.position for r in results] == ["line 2", "line 3", "line 4"]


def test_columns_may_come_in_any_order_and_case_with_extra_ones_and_crlf() -> None:
    [record] = parse_file("stock_reordered.csv")
    assert isinstance(record, FeedRecord)
    assert (record.location_code, record.item_code, record.quantity) == (
        "DC-ZURICH", "SHIRT-BLUE-M", 120)
    assert record.raw == "SHIRT-BLUE-M,DC-ZURICH,2024-03-01T23:00:00Z,120,A-01-03"


def test_a_file_without_the_expected_header_is_rejected_once() -> None:
    [rejected] = parse_file("wrong_header.csv")
    assert isinstance(rejected, Rejected) and rejected.position == "line 1"
    assert "header lacks column(s) location, sku, on_hand, as_of" in rejected.reason


def test_broken_rows_are_rejected_with_their_reason_and_the_others_apply() -> None:
    results = {r.position: r for r in parse_file("broken.csv")}

    reasons = {p: r.reason for p, r in results.items() if isinstance(r, Rejected)}
    assert reasons == {
        "line 2": "on_hand must be a non-negative integer, got -4",
        "line 3": (
            "as_of '2024-03-01 23:00' has no time zone: add Z or an offset like +01:00, or set "
            "the source's time_zone (PUT /v1/sources/{source}/settings) and import again"),
        "line 4": "on_hand must be a non-negative integer, got 'many'",
        "line 5": "location is missing",
        "line 10": "has 2 fields, expected 4 (location,sku,on_hand,as_of) "
                   "(last line has no newline: the file may be truncated)",
    }
    accepted = [p for p, r in results.items() if isinstance(r, FeedRecord)]
    assert accepted == ["line 6", "line 7", "line 8", "line 9"]


def test_the_same_instant_written_with_another_offset_has_the_same_external_id() -> None:
    results = {r.position: r for r in parse_file("broken.csv")}
    utc, zurich, older = results["line 7"], results["line 8"], results["line 9"]
    assert isinstance(utc, FeedRecord) and isinstance(zurich, FeedRecord)
    assert utc.external_id == zurich.external_id
    assert isinstance(older, FeedRecord) and older.occurred_at < utc.occurred_at  # out of order


def test_a_code_failing_its_check_digit_is_kept_as_a_sku() -> None:
    record = {r.position: r for r in parse_file("broken.csv")}["line 6"]
    assert isinstance(record, FeedRecord)
    assert (record.item_code, record.item_scheme) == ("7612345670011", "sku")


def test_invalid_utf8_rejects_only_its_row() -> None:
    data = (b"location,sku,on_hand,as_of\n"
            b"D\xe9P\xd4T,SKU-1,3,2024-03-01T23:00:00Z\n"
            b"DC-ZURICH,SKU-1,3,2024-03-01T23:00:00Z\n")
    rejected, record = parse_snapshot(io.BytesIO(data))
    assert isinstance(rejected, Rejected) and "not valid UTF-8: byte 0xe9" in rejected.reason
    assert isinstance(record, FeedRecord) and record.location_code == "DC-ZURICH"
