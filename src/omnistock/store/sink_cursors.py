"""The sinks' positions in the outbox (sink_tables.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .sink_tables import sink_cursors

_c = sink_cursors.c


class SinkCursorRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def positions(self, names: Sequence[str], start: int, now: datetime) -> dict[str, int]:
        """Each sink's position; a sink seen for the first time starts at `start`."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        for name in names:
            self.conn.execute(insert(sink_cursors).values(name=name, position=start,
                                                          updated_at=now)
                              .on_conflict_do_nothing(index_elements=["name"]))
        rows = self.conn.execute(select(_c.name, _c.position).where(_c.name.in_(names))).all()
        return {name: int(position) for name, position in rows}

    def move(self, name: str, position: int, now: datetime) -> None:
        self.conn.execute(update(sink_cursors).where(_c.name == name)
                          .values(position=position, updated_at=now))
