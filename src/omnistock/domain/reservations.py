"""Reservation life cycle: active -> committed | released | expired."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from .errors import InvalidInput, InvalidState

MAX_TTL_SECONDS = 30 * 24 * 3600


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or not (
        0 < ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise InvalidInput(
            f"ttl_seconds must be an integer between 1 and {MAX_TTL_SECONDS}",
            field="ttl_seconds",
        )
    return now + timedelta(seconds=ttl_seconds)


def ensure_active(reservation_id: str, status: str, expires_at: datetime, now: datetime) -> None:
    """An expired hold is treated as expired even before the sweeper has run."""
    if status != ReservationStatus.ACTIVE:
        raise InvalidState(f"reservation {reservation_id} is {status}", field="id",
                           status_now=status)
    if expires_at <= now:
        raise InvalidState(f"reservation {reservation_id} expired at {expires_at.isoformat()}",
                           field="id", status_now=ReservationStatus.EXPIRED.value)
