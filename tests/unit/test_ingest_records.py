from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain.errors import InvalidInput
from omnistock.domain.gs1 import with_check_digit
from omnistock.ingest.records import item_identity, location_identity, parse_count, parse_timestamp

bodies = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))


@given(bodies)
def test_a_code_with_a_valid_check_digit_is_read_as_a_gtin14(body: str) -> None:
    code = with_check_digit(body)
    assert item_identity(code) == (code.zfill(14), "gtin")


@given(bodies, st.integers(min_value=1, max_value=9))
def test_a_code_with_a_wrong_check_digit_stays_a_sku(body: str, shift: int) -> None:
    good = with_check_digit(body)
    bad = good[:-1] + str((int(good[-1]) + shift) % 10)
    assert item_identity(bad) == (bad, "sku")


def test_only_13_digit_codes_with_their_check_digit_are_glns() -> None:
    assert location_identity("7612345000022", "source") == ("7612345000022", "gln")
    assert location_identity("7612345000023", "source") == ("7612345000023", "source")
    assert location_identity("07612345670010", "code") == ("07612345670010", "code")


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_timestamps_with_any_offset_become_the_same_instant_in_utc(
        moment: datetime, minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    parsed = parse_timestamp(aware.isoformat(), "at")
    assert parsed == aware and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "allow_zero", "expected"),
    [("3", False, 3), (" +3 ", False, 3), (7, False, 7), ("0", True, 0), (0, True, 0),
     ("1.0", False, 1), ("2.000", False, 2), (1.0, False, 1),
     ("0.0", True, 0)],
)
def test_counts_accept_whole_numbers(value: object, allow_zero: bool, expected: int) -> None:
    assert parse_count(value, "quantity", allow_zero=allow_zero) == expected


@pytest.mark.parametrize(
    ("value", "allow_zero"),
    [("0", False), ("-1", True), ("-1.0", True), (True, True), ("\u0663", True),
     ("", True), (None, True), ("0.0", False), ("2,000", True), ("4,0", True)],
)
def test_counts_refuse_anything_else(value: object, allow_zero: bool) -> None:
    with pytest.raises(InvalidInput, match="quantity must be a"):
        parse_count(value, "quantity", allow_zero=allow_zero)


@pytest.mark.parametrize("value", ["1.5", 1.5, "0.25", ".5", "2.01"])
def test_a_fraction_is_refused_as_such(value: object) -> None:
    with pytest.raises(InvalidInput, match="is not a whole number of units"):
        parse_count(value, "quantity", allow_zero=True)
