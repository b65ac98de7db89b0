import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain.errors import InvalidIdentifier
from omnistock.domain.gs1 import (
    is_gln,
    is_gtin,
    validate_gln,
    validate_gtin,
    with_check_digit,
)


@pytest.mark.parametrize("gtin", ["96385074", "036000291452", "4006381333931", "10614141000415"])
def test_known_gtins_are_valid(gtin):
    assert is_gtin(gtin)
    assert validate_gtin(gtin) == gtin.zfill(14)


def test_wrong_check_digit_is_refused_naming_field_and_expected_digit():
    with pytest.raises(InvalidIdentifier) as e:
        validate_gtin("4006381333932", field="gtin")
    assert e.value.field == "gtin"
    assert "expected 1" in e.value.detail


@pytest.mark.parametrize("bad", ["", "123", "40063813339a1", "400638133393100"])
def test_malformed_gtins_are_refused(bad):
    with pytest.raises(InvalidIdentifier):
        validate_gtin(bad)


def test_gln():
    assert is_gln("0614141000005")  # the GS1 General Specifications' example GLN
    assert validate_gln("1234567890128") == "1234567890128"
    with pytest.raises(InvalidIdentifier) as e:
        validate_gln("1234567890120", field="gln")
    assert e.value.field == "gln" and "expected 8" in e.value.detail


@given(st.text(alphabet="0123456789", min_size=7, max_size=13))
def test_any_body_with_its_check_digit_validates_and_any_other_digit_fails(body):
    code = with_check_digit(body)
    if len(code) in (8, 12, 13, 14):
        assert is_gtin(code)
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
        assert not is_gtin(wrong)
