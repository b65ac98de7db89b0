"""Webhook deliveries in the database: created per matching event, claimed, and resolved.

Claiming moves `next_attempt_at` of the claimed rows to the end of a lease, in one
transaction; on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so the senders of several processes
take disjoint rows, and on SQLite under the write lock. A sender that dies mid-send leaves its
rows to be claimed again when the lease ends: webhooks are delivered at least once, and not
in order (each event carries the whole position, and its id to compare).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..store.tables import outbox
from .cloudevents import Event, matches
from .config import EventsConfig
from .tables import webhook_deliveries as d
from .tables import webhooks as w


class Status(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    deleted: bool
    event: Event


def backoff(attempts: int, config: EventsConfig) -> float:
    """Seconds before the next attempt after `attempts` failures: base, 2 base, 4 base ..."""
    return min(config.webhook_backoff_base * 2 ** (attempts - 1), config.webhook_backoff_cap)


def create_for(conn: Connection, events: Sequence[Event], now: datetime) -> int:
    """One pending delivery per (live webhook, matching event); repeats are ignored."""
    hooks = conn.execute(select(w.c.id, w.c.events).where(w.c.deleted_at.is_(None))).all()
    rows = [{"webhook_id": h.id, "event_id": e.id, "event_type": e.type,
             "status": Status.PENDING.value, "attempts": 0, "next_attempt_at": now,
             "created_at": now}
            for e in events for h in hooks if matches(e.type, h.events)]
    if rows:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(d).on_conflict_do_nothing(
            index_elements=["webhook_id", "event_id"]), rows)
    return len(rows)


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(select(d.c.id).where(d.c.status == Status.PENDING.value,
                                             d.c.next_attempt_at <= now).limit(1)).first() \
        is not None


def claim(conn: Connection, now: datetime, until: datetime, limit: int,
          config: EventsConfig) -> list[Job]:
    q = (select(d.c.id).where(d.c.status == Status.PENDING.value, d.c.next_attempt_at <= now)
         .order_by(d.c.next_attempt_at, d.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    ids = list(conn.execute(q).scalars())
    if not ids:
        return []
    conn.execute(update(d).where(d.c.id.in_(ids)).values(next_attempt_at=until))
    rows = conn.execute(
        select(d.c.id.label("delivery_id"), d.c.attempts, w.c.url, w.c.secret, w.c.deleted_at,
               *outbox.c)
        .select_from(d.join(w, w.c.id == d.c.webhook_id).join(outbox, outbox.c.id == d.c.event_id))
        .where(d.c.id.in_(ids)).order_by(d.c.id)).mappings()
    return [Job(r["delivery_id"], r["attempts"], r["url"], r["secret"],
                r["deleted_at"] is not None, Event.from_row(r, config)) for r in rows]


def resolve(conn: Connection, job: Job, now: datetime, config: EventsConfig, *,
            status_code: int | None, error: str | None) -> Status:
    """Record one attempt: delivered, pending again after a backoff, or parked."""
    attempts = job.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now,
                              "last_status_code": status_code,
                              "last_error": error[:500] if error else None}
    if job.deleted:
        status = Status.CANCELLED
        values = {}
    elif error is None:
        status = Status.DELIVERED
        values["delivered_at"] = now
    elif attempts >= config.webhook_max_attempts:
        status = Status.PARKED
    else:
        status = Status.PENDING
        values["next_attempt_at"] = now + timedelta(seconds=backoff(attempts, config))
    conn.execute(update(d).where(d.c.id == job.delivery_id, d.c.status == Status.PENDING.value)
                 .values(status=status.value, **values))
    return status
