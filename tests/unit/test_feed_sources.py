"""Per-source settings, local times, bulk mapping files and the reasons a code fails."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain import gs1
from omnistock.domain.errors import InvalidInput
from omnistock.domain.feed_sources import SourceSettings
from omnistock.domain.feeds import FeedRecord, Rejected, fingerprint, raw_fingerprint
from omnistock.ingest.mapping_files import read_mappings
from omnistock.ingest.records import parse_date_time, parse_timestamp

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (SourceSettings("s", time_zone="Europe/Pariss"), "time_zone"),
        (SourceSettings("s", columns={"colour": "Farbe"}), "columns.colour"),
        (SourceSettings("s", columns={"sku": " "}), "columns.sku"),
        (SourceSettings("s", types={"Refund": "gift"}), "types.Refund"),
        (SourceSettings("s", date_format="dd/mm/yyyy"), "date_format"),
    ],
)
def test_settings_that_cannot_read_a_file_are_refused(settings: SourceSettings,
                                                      field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        settings.validate()
    assert caught.value.field == field


def test_a_naive_time_is_read_in_the_source_zone() -> None:
    assert parse_timestamp("2024-07-01T09:00:00", "at", PARIS) == datetime(
        2024, 7, 1, 7, tzinfo=UTC)
    assert parse_timestamp("2024-07-01T09:00:00+00:00", "at", PARIS) == datetime(
        2024, 7, 1, 9, tzinfo=UTC)  # an offset written in the file wins
    assert parse_date_time("03/01/2024", "09:00", "at", PARIS, "%m/%d/%Y") == datetime(
        2024, 3, 1, 8, tzinfo=UTC)


def test_a_wall_clock_time_skipped_by_the_clocks_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not exist in Europe/Paris"):
        parse_date_time("2024-03-31", "02:30", "at", PARIS)
    # the hour that happens twice is read as its first occurrence
    assert parse_date_time("2024-10-27", "02:30", "at", PARIS) == datetime(
        2024, 10, 27, 0, 30, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31)))
def test_a_local_time_that_exists_reads_back_as_itself(moment: datetime) -> None:
    try:
        instant = parse_timestamp(moment.isoformat(), "at", PARIS)
    except InvalidInput:
        return  # in a spring-forward gap
    assert instant.astimezone(PARIS).replace(tzinfo=None) == moment


def test_a_mapping_file_in_shopify_terms_becomes_the_codes_webhooks_use() -> None:
    data = (b"Inventory Item ID,Variant ID,Variant SKU,Location ID,Location\n"
            b"808950810,457924702,IPOD2008BLACK,905684977,STORE-A\n"
            b"gid://shopify/InventoryItem/39072856,,IPOD2008GREEN,,\n\n")
    assert list(read_mappings(io.BytesIO(data))) == [
        ("line 2", "item", "inventory_item:808950810", "IPOD2008BLACK"),
        ("line 2", "item", "variant:457924702", "IPOD2008BLACK"),
        ("line 2", "location", "905684977", "STORE-A"),
        ("line 3", "item", "inventory_item:39072856", "IPOD2008GREEN"),
    ]


def test_a_mapping_line_that_maps_nothing_names_its_line() -> None:
    with pytest.raises(InvalidInput, match="line 2: no mapping in this line"):
        list(read_mappings(io.BytesIO(b"sku,colour\nX,red\n")))


def test_a_bad_check_digit_is_told_apart_from_a_plain_code() -> None:
    assert gs1.check_digit_problem("7612345670011") == "check digit 1 is wrong, expected 0"
    assert gs1.check_digit_problem("7612345670010") is None  # a valid GTIN
    assert gs1.check_digit_problem("SHIRT-BLUE-M") is None
    assert gs1.check_digit_problem("12345") is None  # no GS1 key has 5 digits


def test_a_record_keeps_its_fingerprint_whatever_its_position() -> None:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    record = FeedRecord("line 2", "movement", None, "X", "sku", "S", "source", 1, at, "T:1",
                        "raw")
    moved = FeedRecord("line 9", "movement", None, "X", "sku", "S", "source", 1, at, "T:1",
                       "raw")
    assert fingerprint("pos", record) == fingerprint("pos", moved)
    assert fingerprint("pos", Rejected("line 4", "junk", "why")) == raw_fingerprint("pos",
                                                                                    "junk")
    assert fingerprint("pos", record) != fingerprint("snapshot", record)


def test_summaries_group_reasons_whole_with_their_values_masked() -> None:
    from omnistock.services.feeds import _reason_kind

    one = _reason_kind("unknown item 'A-1': no item of ours has this code; map it "
                       "(omnistock mappings add till item 'A-1' <our sku>), then retry")
    other = _reason_kind("unknown item 'B-2': no item of ours has this code; map it "
                         "(omnistock mappings add till item 'B-2' <our sku>), then retry")
    assert one == other and one.endswith("then retry") and "A-1" not in one
