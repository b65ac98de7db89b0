"""Great-circle distance between two points, for shipping cost by distance."""

from __future__ import annotations

from math import asin, cos, isfinite, radians, sin, sqrt

from .errors import InvalidInput

# Mean Earth radius (IUGG). The error of a sphere against the ellipsoid (< 0.5 %) is far below
# what a carrier's rate bands can tell apart.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = radians(lat1), radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = radians(lon2 - lon1) / 2
    h = sin(half_dphi) ** 2 + cos(phi1) * cos(phi2) * sin(half_dlambda) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then fail.
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def validate_point(latitude: object, longitude: object, field_prefix: str = "") -> None:
    """Raise InvalidInput naming the field unless both are finite degrees in range."""
    for name, value, limit in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        field = f"{field_prefix}{name}"
        if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
            raise InvalidInput(f"{field} must be a number of degrees", field=field)
        if not -limit <= value <= limit:
            raise InvalidInput(f"{field} must be between {-limit:g} and {limit:g}", field=field)
