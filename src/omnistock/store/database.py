"""The database a deployment runs on: its engine, the shared id cache and a clock.

Every use case takes one and opens a unit of work on it; nothing above `store/` sees the
engine, a connection or the dialect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from .catalog import IdCache
from .db import make_engine
from .unit_of_work import UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Database:
    engine: Engine
    ids: IdCache = field(default_factory=IdCache)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def open(cls, url: str | None = None, **engine_kw: Any) -> Database:
        return cls(make_engine(url, **engine_kw))

    def uow(self, *, readonly: bool = False, snapshot: bool = False,
            autocommit: bool = False) -> UnitOfWork:
        """A unit of work: read-only (`snapshot`: one consistent view), or a write
        transaction, or (`autocommit`) statements that each commit alone."""
        return UnitOfWork(self.engine, self.ids, readonly=readonly or snapshot,
                          snapshot=snapshot, autocommit=autocommit)

    @property
    def holds_in_one_statement(self) -> bool:
        """Whether a hold can be written by one autocommitted statement (store/hot_path.py)."""
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()
