"""Outbox rows as CloudEvents 1.0 (structured JSON), and event type patterns.

The event id is the outbox id as a string: it is the SSE `id:`, the last part of the NATS
`Nats-Msg-Id` and the `X-Omnistock-Event-Id` of a webhook, so one change has one id on every
channel. It is unique per database; deployments sharing one NATS account or one consumer set
a distinct `source`. Ids are BIGINTs: `MAX_ID` bounds what a client may send back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from ..domain.errors import InvalidInput
from ..services.context import iso
from .config import EventsConfig

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
MAX_ID = 2**63 - 1
_PATTERN = re.compile(r"^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$")


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str  # the outbox type, e.g. "availability.changed"
    subject: str
    occurred_at: datetime  # at the source
    created_at: datetime  # committed by us
    body: bytes  # the CloudEvent, encoded once and shared by every channel

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], config: EventsConfig) -> Event:
        return cls(id=int(row["id"]), type=row["type"], subject=row["subject"],
                   occurred_at=row["occurred_at"], created_at=row["created_at"],
                   body=encode(cloudevent(row, config)))

    @property
    def text(self) -> str:
        return self.body.decode()


def cloudevent(row: Mapping[Any, Any], config: EventsConfig) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(row["id"]),
        "source": config.source,
        "type": config.type_prefix + row["type"],
        "subject": row["subject"],
        "time": iso(row["occurred_at"]),
        "datacontenttype": "application/json",
        "data": row["data"],
    }


def encode(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def validate_patterns(patterns: Sequence[str], field: str) -> list[str]:
    """`availability.changed`, `order.*` or `*`; lower case, dot separated."""
    if isinstance(patterns, str) or not patterns:
        raise InvalidInput(f"{field} must be a non-empty list of event types", field=field)
    for i, p in enumerate(patterns):
        if not isinstance(p, str) or len(p) > 100 or not _PATTERN.match(p):
            raise InvalidInput(f"{p!r} is not an event type pattern (like 'order.*')",
                               field=f"{field}[{i}]")
    return list(dict.fromkeys(patterns))


def matches(type_: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(type_, p) for p in patterns)
