"""Refusals for want of stock, kept for the KPIs (the refused request itself changed nothing)."""

from __future__ import annotations

import logging
from typing import Any

from ..domain.errors import InsufficientStock
from ..store.database import Database

log = logging.getLogger("omnistock.refusals")


def record_refusal(db: Database, kind: str, error: InsufficientStock,
                   reference: str | None = None) -> None:
    """Best effort, in its own transaction: failing to count a refusal must never turn the
    caller's clear 409 into a 500."""
    lines: list[dict[str, Any]] = error.data.get("lines") or []
    try:
        with db.uow() as uow:
            uow.refusals.add(kind, reference, lines, db.clock())
            uow.commit()
    except Exception:  # whatever the database raised: the refusal stands, its count is lost
        log.exception("could not record a %s refusal", kind)
