"""Failures of the store that a use case may act on, without knowing the database driver."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

# PostgreSQL's deadlock_detected and serialization_failure: nothing was written, and the same
# transaction may simply be run again.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


class StoreError(Exception):
    """Base of the store's own errors."""


class TransientConflict(StoreError):
    """The transaction lost a race inside the database and was rolled back; retry it."""


def translate(exc: BaseException) -> StoreError | None:
    """The store error a driver exception stands for, if any."""
    if isinstance(exc, DBAPIError) and \
            getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return TransientConflict(str(exc.orig))
    return None
