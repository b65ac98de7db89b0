import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain.errors import InvalidInput
from omnistock.domain.geo import EARTH_RADIUS_KM, haversine_km, validate_point

lat = st.floats(-90, 90)
lon = st.floats(-180, 180)


def test_paris_to_london_is_about_344_km():
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.6, abs=0.5)


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(10, 20, 11, 20) == pytest.approx(111.2, abs=0.1)


def test_antipodes_are_half_the_circumference_apart():
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)


@given(lat, lon, lat, lon)
def test_distance_is_symmetric_non_negative_and_bounded(a, b, c, d):
    km = haversine_km(a, b, c, d)
    assert km == pytest.approx(haversine_km(c, d, a, b), abs=1e-6)
    assert 0 <= km <= math.pi * EARTH_RADIUS_KM + 1e-6


@given(lat, lon)
def test_a_point_is_zero_km_from_itself(a, b):
    assert haversine_km(a, b, a, b) == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize(("latitude", "longitude", "field"), [
    (91, 0, "delivery.latitude"),
    (0, -181, "delivery.longitude"),
    ("48.8", 2.3, "delivery.latitude"),
    (None, 2.3, "delivery.latitude"),
    (48.8, float("nan"), "delivery.longitude"),
    (True, 2.3, "delivery.latitude"),
])
def test_invalid_points_name_the_field(latitude, longitude, field):
    with pytest.raises(InvalidInput) as err:
        validate_point(latitude, longitude, "delivery.")
    assert err.value.field == field


def test_valid_point_passes():
    validate_point(-90, 180)
