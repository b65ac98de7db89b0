from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omnistock.domain.feeds import FeedRecord, Rejected
from omnistock.domain.movements import MovementType
from omnistock.ingest.pos import parse_pos

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds" / "pos"
HEADER = b"transaction_id,line,occurred_at,store,sku,quantity,type\n"


def parse_file(name: str, **options: str) -> list[FeedRecord | Rejected]:
    with (FEEDS / name).open("rb") as fileobj:
        return list(parse_pos(fileobj, **options))  # type: ignore[arg-type]


def by_position(results: list[FeedRecord | Rejected]) -> dict[str, FeedRecord | Rejected]:
    return {result.position: result for result in results}


def essence(record: FeedRecord | Rejected) -> tuple[object, ...]:
    assert isinstance(record, FeedRecord), record
    return (record.external_id, record.type, record.item_code, record.item_scheme,
            record.location_code, record.location_scheme, record.quantity, record.occurred_at)


EXPECTED_SALES = [
    ("T-1001:1", MovementType.SALE, "SHIRT-BLUE-M", "sku", "ZRH-01", "source", 2,
     datetime(2024, 3, 1, 8, 15, 2, tzinfo=UTC)),
    ("T-1001:2", MovementType.SALE, "07612345670010", "gtin", "ZRH-01", "source", 1,
     datetime(2024, 3, 1, 8, 15, 2, tzinfo=UTC)),
    ("T-1002:1", MovementType.RETURN, "SHIRT-BLUE-M", "sku", "7612345000022", "gln", 1,
     datetime(2024, 3, 1, 9, 20, 45, tzinfo=UTC)),
    ("T-1003:1", MovementType.SALE, "SOCKS, WOOL", "sku", "ZRH-01", "source", 3,
     datetime(2024, 3, 1, 9, 2, 11, 250000, tzinfo=UTC)),
    ("T-1004:1", MovementType.SALE, "00000096385074", "gtin", "ZRH-01", "source", 1,
     datetime(2024, 3, 1, 9, 5, tzinfo=UTC)),
]


def test_csv_export_becomes_one_movement_per_line() -> None:
    results = parse_file("sales.csv")

    assert [essence(record) for record in results] == EXPECTED_SALES
    assert [record.position for record in results] == [f"line {n}" for n in (2, 3, 4, 5, 7)]
    first = results[0]
    assert isinstance(first, FeedRecord) and first.kind == "movement"
    assert first.raw == "T-1001,1,2024-03-01T09:15:02+01:00,ZRH-01,SHIRT-BLUE-M,2,sale"
    assert all(r.occurred_at.utcoffset() is not None for r in results if isinstance(r, FeedRecord))


def test_json_lines_export_gives_the_same_records_as_csv() -> None:
    assert [essence(record) for record in parse_file("sales.jsonl")] == EXPECTED_SALES


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("sales.csv", {}),  # from the file object's name
        ("sales.jsonl", {}),
        ("sales.jsonl", {"format": "jsonl"}),
        ("sales.csv", {"filename": "upload.CSV"}),
    ],
)
def test_format_is_taken_from_the_option_or_the_name(name: str, options: dict[str, str]) -> None:
    assert [essence(record) for record in parse_file(name, **options)] == EXPECTED_SALES


@pytest.mark.parametrize("name", ["sales.csv", "sales.jsonl"])
def test_format_is_sniffed_from_content_when_there_is_no_name(name: str) -> None:
    data = io.BytesIO(b"\n\n" + (FEEDS / name).read_bytes())
    assert [essence(record) for record in parse_pos(data)] == EXPECTED_SALES


def test_crlf_line_endings_and_a_byte_order_mark_are_accepted() -> None:
    data = "\ufeff" + (FEEDS / "sales.csv").read_text().replace("\n", "\r\n")
    results = list(parse_pos(io.BytesIO(data.encode()), format="csv"))
    assert [essence(record) for record in results] == EXPECTED_SALES


BROKEN_CSV = {
    "line 2": "occurred_at '2024-03-02T08:00:00' has no time zone",
    "line 3": "quantity must be a positive integer, got -1",
    "line 4": "quantity must be a positive integer, got 0",
    "line 5": "quantity 1.5 is not a whole number of units",
    "line 6": "type must be one of sale, return, got 'refund'",
    "line 7": "has 6 fields, expected 7",
    "line 10": "not valid UTF-8: byte 0xfc at byte 37 of the line",
    "line 11": "occurred_at 'not-a-date' is not an ISO 8601 date-time",
    "line 14": "transaction_id is missing",
    "line 15": "sku is missing",
    "line 16": "not a valid CSV line",
    "line 18": "has 4 fields, expected 7",
}


def test_every_broken_csv_line_is_rejected_with_its_reason_and_the_rest_applies() -> None:
    results = parse_file("broken.csv")

    assert [result.position for result in results] == [f"line {n}" for n in range(2, 19)]
    rejected = {r.position: r.reason for r in results if isinstance(r, Rejected)}
    assert rejected.keys() == BROKEN_CSV.keys()
    for position, reason in BROKEN_CSV.items():
        assert reason in rejected[position], position
    assert rejected["line 18"].endswith("(last line has no newline: the file may be truncated)")
    accepted = [r.position for r in results if isinstance(r, FeedRecord)]
    assert accepted == ["line 8", "line 9", "line 12", "line 13", "line 17"]


def test_a_broken_line_keeps_its_raw_text_for_quarantine() -> None:
    rejected = by_position(parse_file("broken.csv"))
    assert rejected["line 10"].raw == (
        "T-2004,1,2024-03-02T08:03:00+01:00,Z\\xfcRICH-01,SHIRT-BLUE-M,1,sale")
    assert rejected["line 18"].raw == "T-2010,1,2024-03-02T08:08:00+01:00,ZRH"


def test_codes_that_fail_their_check_digit_stay_source_codes() -> None:
    results = by_position(parse_file("broken.csv"))
    bad_gtin, bad_gln = results["line 8"], results["line 9"]
    assert isinstance(bad_gtin, FeedRecord) and isinstance(bad_gln, FeedRecord)
    assert (bad_gtin.item_code, bad_gtin.item_scheme) == ("7612345670011", "sku")
    assert (bad_gln.location_code, bad_gln.location_scheme) == ("7612345000023", "source")


def test_duplicates_and_out_of_order_times_are_yielded_as_they_come() -> None:
    results = by_position(parse_file("broken.csv"))
    earlier, first, again = results["line 9"], results["line 12"], results["line 13"]
    assert isinstance(first, FeedRecord) and isinstance(again, FeedRecord)
    assert first.external_id == again.external_id == "T-2006:1"
    assert isinstance(earlier, FeedRecord) and first.occurred_at < earlier.occurred_at


BROKEN_JSONL = {
    "line 1": "occurred_at '2024-03-02T08:00:00' has no time zone",
    "line 2": "sku must be a string, got 7612345670010",
    "line 4": "quantity must be a positive integer, got True",
    "line 5": "expected a JSON object, got list",
    "line 6": "not valid UTF-8: byte 0xfc",
    "line 7": "sku is missing",
    "line 9": "not valid JSON",
}


def test_every_broken_json_line_is_rejected_with_its_reason() -> None:
    results = parse_file("broken.jsonl")

    assert [result.position for result in results] == [f"line {n}" for n in range(1, 10)]
    rejected = {r.position: r.reason for r in results if isinstance(r, Rejected)}
    assert rejected.keys() == BROKEN_JSONL.keys()
    for position, reason in BROKEN_JSONL.items():
        assert reason in rejected[position], position
    assert "the file may be truncated" in rejected["line 9"]
    # 2.0 is a whole number of units, as tills write them
    assert [r.external_id for r in results if isinstance(r, FeedRecord)] == ["T-3001:3",
                                                                            "T-3005:1"]


def test_a_header_without_the_columns_rejects_the_file_once() -> None:
    data = b"id,when,where,what,how_many\nT-1,2024-03-01T09:00:00Z,ZRH-01,SKU,1\n"
    [rejected] = parse_pos(io.BytesIO(data), format="csv")
    assert isinstance(rejected, Rejected) and rejected.position == "line 1"
    assert "header lacks column(s) transaction_id, store, sku, quantity, occurred_at" in \
        rejected.reason
    assert "no line of the file was read" in rejected.reason


def test_a_header_that_is_not_utf8_rejects_the_file_once() -> None:
    data = HEADER.replace(b"store", b"st\xf6re") + b"T-1,1,2024-03-01T09:00:00Z,S,SKU,1,sale\n"
    [rejected] = parse_pos(io.BytesIO(data), format="csv")
    assert isinstance(rejected, Rejected) and "header not valid UTF-8" in rejected.reason


def test_a_file_opened_in_text_mode_is_refused() -> None:
    with pytest.raises(TypeError, match="binary mode"):
        list(parse_pos(io.StringIO("transaction_id\n"), format="csv"))  # type: ignore[arg-type]


def test_an_overlong_line_is_rejected_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("omnistock.ingest.sniff.MAX_LINE_BYTES", 200)
    good = b"T-1,1,2024-03-01T09:00:00Z,ZRH-01,SKU-1,1,sale\n"
    data = HEADER + b"T-0,1," + b"x" * 1000 + b"\n" + good
    results = list(parse_pos(io.BytesIO(data), format="csv"))
    assert isinstance(results[0], Rejected) and "longer than 200 bytes" in results[0].reason
    assert [r.external_id for r in results[1:] if isinstance(r, FeedRecord)] == ["T-1:1"]
    assert [r.position for r in results] == ["line 2", "line 3"]


class LineSource(io.RawIOBase):
    """An endless or long binary stream that refuses to be read whole."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.lines = lines
        self.buffer = b""
        self.lines_served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if len(target) > 1 << 22:
            raise AssertionError(f"asked for {len(target)} bytes at once")
        while len(self.buffer) < len(target):
            line = next(self.lines, None)
            if line is None:
                break
            self.lines_served += 1
            self.buffer += line
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size

    def readall(self) -> bytes:
        raise AssertionError("the parser read the whole file")


def till_lines(count: int | None) -> Iterator[bytes]:
    yield HEADER
    numbers = itertools.count(1) if count is None else range(1, count + 1)
    for n in numbers:
        yield f"T-{n},1,2024-03-01T09:{n % 60:02d}:00+01:00,ZRH-01,SKU-{n % 97},1,sale\n".encode()


def test_an_endless_feed_yields_its_first_records_without_reading_to_the_end() -> None:
    source = LineSource(till_lines(None))
    first = list(itertools.islice(parse_pos(io.BufferedReader(source), format="csv"), 5))
    assert [r.external_id for r in first if isinstance(r, FeedRecord)] == [
        f"T-{n}:1" for n in range(1, 6)]
    assert source.lines_served < 10_000


class GuardedFile(io.FileIO):
    """A file that fails when read whole and remembers the largest single read."""

    largest_read = 0

    def readinto(self, target: bytearray | memoryview) -> int | None:  # type: ignore[override]
        self.largest_read = max(self.largest_read, len(target))
        return super().readinto(target)

    def readall(self) -> bytes:
        raise AssertionError("the parser read the whole file")


def test_a_200000_line_file_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as out:
        out.writelines(till_lines(200_000))
    assert path.stat().st_size > 10_000_000
    raw = GuardedFile(path)
    blocks: list[int] = []

    with io.BufferedReader(raw) as fileobj:
        count = 0
        for count, result in enumerate(parse_pos(fileobj), start=1):
            assert isinstance(result, FeedRecord)
            if count % 20_000 == 0:
                blocks.append(sys.getallocatedblocks())

    assert count == 200_000 and len(blocks) == 10
    assert raw.largest_read <= 1 << 16
    # memory blocks in use do not grow with the lines consumed (holding them would add 200k+)
    assert max(blocks) - blocks[0] < 2_000, blocks
