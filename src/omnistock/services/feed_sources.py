"""Per-source feed settings: a source's time zone and column names, kept and read back."""

from __future__ import annotations

from typing import Any

from ..domain.feed_sources import SourceSettings, as_settings
from ..store.database import Database
from .context import iso


def source_settings(db: Database, source: str) -> SourceSettings:
    """How `source` writes its files (omnistock's own format when nothing is set)."""
    with db.uow(readonly=True) as uow:
        return as_settings(source, uow.feeds.source_settings(source))


def put_source_settings(db: Database, settings: SourceSettings) -> dict[str, Any]:
    """Set (replace) a source's settings; the next import reads its files with them."""
    settings.validate()
    row = {"source": settings.source, "time_zone": settings.time_zone,
           "columns": dict(settings.columns) or None, "types": dict(settings.types) or None,
           "date_format": settings.date_format, "updated_at": db.clock()}
    with db.uow() as uow:
        uow.feeds.put_source_settings(row)
        uow.commit()
    return settings_view(row)


def list_source_settings(db: Database) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        return [settings_view(r) for r in uow.feeds.all_source_settings()]


def settings_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"source": row["source"], "time_zone": row["time_zone"],
            "columns": row["columns"] or {}, "types": row["types"] or {},
            "date_format": row["date_format"], "updated_at": iso(row["updated_at"])}
