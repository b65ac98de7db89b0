from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omnistock.domain.feeds import FeedRecord, Rejected
from omnistock.ingest.edifact import parse_edifact

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds" / "edifact"
DC, STORE_A, STORE_B = "7612345000015", "7612345000022", "7612345000039"
SHIRT, SOCKS, CAP = "07612345670010", "07612345670027", "07612345670034"
END_OF_MARCH_1 = datetime(2024, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)


def accepted(results: list[FeedRecord | Rejected]) -> list[FeedRecord]:
    """The results of a file that must be accepted whole."""
    assert all(isinstance(result, FeedRecord) for result in results), results
    return [result for result in results if isinstance(result, FeedRecord)]


def parse_file(name: str, **options: object) -> list[FeedRecord | Rejected]:
    with (FEEDS / name).open("rb") as fileobj:
        return list(parse_edifact(fileobj, **options))  # type: ignore[arg-type]


def counts(results: list[FeedRecord] | list[FeedRecord | Rejected]) -> list[tuple[object, ...]]:
    return [(r.position, r.item_code, r.location_code, r.quantity, r.occurred_at)
            for r in results if isinstance(r, FeedRecord)]


def test_a_simple_report_counts_each_item_at_the_header_location() -> None:
    results = accepted(parse_file("invrpt_d96a.edi"))

    at = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)  # DTM+366 (203), rather than DTM+137
    assert counts(results) == [
        ("segment 9", SHIRT, DC, 120, at),  # QTY+198 (in transit) is not a count
        ("segment 12", SOCKS, DC, 0, at),
        ("segment 14", "00000096385074", DC, 7, at),  # an EAN-8
    ]
    assert all(r.kind == "count" and r.type is None and r.item_scheme == "gtin"
               and r.location_scheme == "gln" for r in results if isinstance(r, FeedRecord))
    assert results[0].raw == "LIN+1++7612345670010:EN'QTY+145:120'"
    assert results[0].external_id == (
        f"invrpt:{DC}:INV-DC-0301:{DC}:{SHIRT}:2024-03-01T22:00:00+00:00")


def test_edifact_times_are_read_in_the_given_zone() -> None:
    results = accepted(parse_file("invrpt_d96a.edi", tz=ZoneInfo("Europe/Zurich")))
    assert {r.occurred_at for r in results} == {datetime(2024, 3, 1, 21, 0, tzinfo=UTC)}


def test_an_extended_report_counts_each_item_at_each_location() -> None:
    results = accepted(parse_file("invrpt_d01b.edi"))

    assert counts(results) == [
        ("segment 8", SHIRT, STORE_A, 14, END_OF_MARCH_1),  # a 102 date: stock at day's close
        ("segment 11", SHIRT, STORE_B, 9, datetime(2024, 3, 1, 20, 0, tzinfo=UTC)),
        ("segment 16", CAP, STORE_A, 3, END_OF_MARCH_1),
    ]
    assert results[0].raw == (
        "LIN+1++7612345670010:SRV'QTY+145:14'LOC+14+7612345000022::9'DTM+366:20240301:102'")


def test_no_warning_escapes() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parse_file("invrpt_d96a.edi")
        parse_file("invrpt_cut_inside.edi")
    assert [str(w.message) for w in caught] == []


BAD_CODES = {
    "segment 5": "QTY+145 before any LIN: no item",
    "segment 8": "LIN item number 7612345670011 has check digit 1, expected 0",
    "segment 10": "LOC location (GLN) 7612345000023 has check digit 3, expected 2",
    "segment 12": "QTY qualifier 'ZZZ' is unknown: expected 145 (actual stock)",
    "segment 13": "DTM+366 format '718' is not supported (102, 203 or 204)",
    "segment 15": "QTY+145 quantity '4.5' is not a whole number",
    "segment 16": "QTY+145 actual stock -3 is negative: a count is 0 or more",
    "segment 17": "QTY+145 12.5 is in KGM, not in units",
    "segment 18": "QTY+145 quantity 'six' is not a whole number",
    "segment 20": "LIN '3' has no item number",
    "segment 24": "DTM+366 value '20240231' is not a date of format 102",
}


def test_each_broken_item_is_rejected_with_its_reason_and_the_others_apply() -> None:
    results = parse_file("invrpt_bad_codes.edi")

    assert {r.position: r.reason for r in results if isinstance(r, Rejected)} == BAD_CODES
    end_of_march_3 = datetime(2024, 3, 3, 23, 59, 59, 999999, tzinfo=UTC)  # DTM+137 only
    assert counts(results) == [
        ("segment 22", SHIRT, STORE_A, 8, end_of_march_3),  # the second QTY+145: a sub-quantity
        ("segment 27", "ART-889", "BACKROOM-7", 2, end_of_march_3),
    ]
    _, own_codes = (r for r in results if isinstance(r, FeedRecord))
    assert (own_codes.item_scheme, own_codes.location_scheme) == ("source", "source")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("invrpt_cut_boundary.edi", "message '1' has no UNT: the file is cut"),
        ("invrpt_cut_inside.edi", "not parseable EDIFACT: the file ends inside a segment "
                                  "('LIN+3++96' has no segment terminator)"),
        ("invrpt_bad_unt_count.edi", "UNT counts '13' segments, the message has 14"),
        ("invrpt_bad_unz_ref.edi", "UNZ control reference 'DC0399' does not match UNB's 'DC0301'"),
        ("invrpt_bad_unz_count.edi", "UNZ counts '2' messages or groups, the interchange has 1"),
        ("invrpt_bad_encoding.edi", "byte 0xfc at offset 208 is not valid utf-8, the encoding as "
                                    "UNB declares (UNOY)"),
    ],
)
def test_a_malformed_interchange_is_rejected_whole(name: str, reason: str) -> None:
    [rejected] = parse_file(name)
    assert isinstance(rejected, Rejected) and rejected.position == "interchange"
    assert reason in rejected.reason
    assert rejected.raw.startswith("UNA:+.? 'UNB+")


def edi(*segments: str) -> io.BytesIO:
    return io.BytesIO("".join(f"{segment}'" for segment in segments).encode())


BODY = ("BGM+35+D1+9", "DTM+137:20240301:102", "LOC+14+7612345000015::9", "LIN+1++7612345670010",
        "QTY+145:1")


@pytest.mark.parametrize(
    ("segments", "reason"),
    [
        ((), "empty file: no interchange"),
        (("UNH+1+INVRPT:D:96A:UN", *BODY, "UNT+7+1"), "interchange does not start with UNB"),
        (("UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", *BODY, "UNT+7+1",
          "UNZ+1+R1"), ""),  # well formed: no rejection
        (("UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", *BODY, "UNT+7+2",
          "UNZ+1+R1"), "UNT reference '2' does not match UNH's '1'"),
        (("UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", *BODY, "UNZ+1+R1"),
         "message '1' has no UNT: the file is cut"),
        (("UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", "UNH+2+INVRPT:D:96A:UN",
          *BODY, "UNT+7+2", "UNZ+1+R1"), "UNH inside message '1'"),
        (("UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", *BODY, "UNT+7+1", "FTX+X",
          "UNZ+1+R1"), "segment 9: FTX outside a message"),
    ],
)
def test_envelope_errors_are_found(segments: tuple[str, ...], reason: str) -> None:
    results = list(parse_edifact(edi(*segments)))
    if not reason:
        assert [r.quantity for r in results if isinstance(r, FeedRecord)] == [1]
        return
    [rejected] = results
    assert isinstance(rejected, Rejected) and reason in rejected.reason


def test_a_message_that_is_not_an_inventory_report_is_rejected_alone() -> None:
    results = parse_file("invrpt_mixed.edi")
    assert [r.position for r in results if isinstance(r, FeedRecord)] == [
        "segment 9", "segment 12", "segment 14"]
    [rejected] = [r for r in results if isinstance(r, Rejected)]
    assert rejected.position == "segment 16"
    assert rejected.reason == "message '2' is ORDERS, not INVRPT: not applied"
    assert rejected.raw.startswith("UNH+2+ORDERS:D:96A:UN:EAN008'BGM+220+PO-77+9'")


def test_two_different_header_locations_make_the_stock_location_ambiguous() -> None:
    results = list(parse_edifact(edi(
        "UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", "BGM+35+D1+9",
        "DTM+137:20240301:102", "LOC+14+7612345000015::9", "LOC+14+7612345000022::9",
        "LIN+1++7612345670010", "QTY+145:1", "UNT+8+1", "UNZ+1+R1")))
    [rejected] = results
    assert isinstance(rejected, Rejected)
    assert "two locations (7612345000015 and 7612345000022)" in rejected.reason


def test_a_count_without_location_or_date_is_rejected() -> None:
    no_location = list(parse_edifact(edi(
        "UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", "BGM+35+D1+9",
        "DTM+137:20240301:102", "LIN+1++7612345670010", "QTY+145:1", "UNT+6+1", "UNZ+1+R1")))
    no_date = list(parse_edifact(edi(
        "UNB+UNOC:3+S+R+240301:0000+R1", "UNH+1+INVRPT:D:96A:UN", "BGM+35+D1+9",
        "LOC+14+7612345000015::9", "LIN+1++7612345670010", "QTY+145:1", "UNT+6+1", "UNZ+1+R1")))
    assert [r.reason for r in no_location] == [  # type: ignore[union-attr]
        "no LOC or NAD+SN/WH/GY/BY names the location of this stock"]
    # no DTM: the stock as of the interchange's preparation time
    assert [r.occurred_at for r in no_date] == [datetime(2024, 3, 1, tzinfo=UTC)]  # type: ignore[union-attr]


def interchange(*messages: tuple[str, ...], prepared: str = "240302:0610") -> io.BytesIO:
    body = [segment for message in messages for segment in message]
    return edi(f"UNB+UNOC:3+S+R+{prepared}+R1", *body, f"UNZ+{len(messages)}+R1")


def message(reference: str, *body: str, release: str = "96A") -> tuple[str, ...]:
    return (f"UNH+{reference}+INVRPT:D:{release}:UN:EAN008", *body,
            f"UNT+{len(body) + 2}+{reference}")


def test_each_message_counts_at_its_own_reporting_store_and_date() -> None:
    results = accepted(list(parse_edifact(interchange(
        message("1", "BGM+35+R1+9", "DTM+366:20240229:102", "NAD+SN+7612345000022::9++STORE A",
                "NAD+SU+7612345000015::9", "LIN+1++7612345670010:EN", "QTY+145:4"),
        message("2", "BGM+35+R2+9", "DTM+366:202403011830:203", "NAD+BY+7612345000015::9",
                "NAD+SN+7612345000039::9", "LIN+1++7612345670010:EN", "QTY+145:6"),
        message("3", "BGM+35+R3+9", "NAD+GY+7612345000015::9", "LIN+1++7612345670010:EN",
                "QTY+145:9")))))
    end_of_feb_29 = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert [(r.location_code, r.quantity, r.occurred_at) for r in results] == [
        (STORE_A, 4, end_of_feb_29),  # NAD+SN, not the supplier
        (STORE_B, 6, datetime(2024, 3, 1, 18, 30, tzinfo=UTC)),  # NAD+SN before NAD+BY
        (DC, 9, datetime(2024, 3, 2, 6, 10, tzinfo=UTC)),  # no date: UNB preparation time
    ]
    assert all(r.location_scheme == "gln" for r in results)


def test_a_date_only_report_of_the_preparation_day_counts_as_of_its_preparation() -> None:
    [record] = accepted(list(parse_edifact(interchange(
        message("1", "BGM+35+R1+9", "DTM+366:20240302:102", "NAD+SN+7612345000022::9",
                "LIN+1++7612345670010:EN", "QTY+145:4")), tz=ZoneInfo("Europe/Paris"))))
    assert record.occurred_at == datetime(2024, 3, 2, 5, 10, tzinfo=UTC)  # 06:10 in Paris


def test_a_bad_gln_in_the_reporting_party_rejects_its_stock_with_the_reason() -> None:
    [rejected] = list(parse_edifact(interchange(message(
        "1", "BGM+35+R1+9", "NAD+SN+7612345000023::9", "LIN+1++7612345670010:EN",
        "QTY+145:4"))))
    assert isinstance(rejected, Rejected)
    assert rejected.reason == "NAD location (GLN) 7612345000023 has check digit 3, expected 2"


def test_in_d96a_the_inv_after_a_qty_qualifies_it_and_sub_quantities_are_not_counts() -> None:
    results = accepted(list(parse_edifact(interchange(message(
        "1", "BGM+35+R1+9", "DTM+366:20240301:102", "NAD+GY+7612345000015::9",
        "LIN+1++7612345670010:EN", "QTY+145:300", "INV+2", "QTY+145:150", "CPS+1",
        "PAC+3++201", "QTY+145:100", "CPS+2", "LIN+2++7612345670027:EN", "QTY+145:12")))))
    assert [(r.item_code, r.quantity) for r in results] == [(SHIRT, 300), (SOCKS, 12)]
    assert results[0].raw == "LIN+1++7612345670010:EN'QTY+145:300'INV+2'"


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a pipe or a request body read in chunks."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self.data.read(min(len(buffer), 1000))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def test_a_large_interchange_streams_from_a_stream_that_cannot_seek() -> None:
    lines = [s for n in range(5000) for s in (f"LIN+{n}++ART-{n}:SA", f"QTY+145:{n}")]
    body = interchange(message("1", "BGM+35+BIG+9", "LOC+14+7612345000015::9", *lines))
    results = list(parse_edifact(_Pipe(body.getvalue())))  # type: ignore[arg-type]
    assert len(results) == 5000 and all(isinstance(r, FeedRecord) for r in results)
    assert results[-1].quantity == 4999


def test_an_escaped_terminator_is_part_of_the_value() -> None:
    [record] = accepted(list(parse_edifact(interchange(message(
        "1", "BGM+35+O?'BRIEN+9", "LOC+14+7612345000015::9", "LIN+1++ART?+1:SA",
        "QTY+145:1")))))
    assert record.item_code == "ART+1" and ":O'BRIEN:" in record.external_id
