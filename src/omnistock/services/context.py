"""What every use case needs: the engine, the shared id cache and a clock."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ..store.catalog import IdCache
from ..store.db import make_engine
from ..store.unit_of_work import UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Store:
    engine: Engine
    ids: IdCache = field(default_factory=IdCache)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def open(cls, url: str | None = None, **engine_kw: Any) -> Store:
        return cls(make_engine(url, **engine_kw))

    def uow(self, *, readonly: bool = False, snapshot: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.ids, readonly=readonly or snapshot,
                          snapshot=snapshot)

    def close(self) -> None:
        self.engine.dispose()


def payload_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
