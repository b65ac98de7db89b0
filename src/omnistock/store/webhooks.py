"""Webhook subscriptions and their deliveries (the rules: events/webhooks.py, events/deliveries.py).

A delivery is `pending` until it is delivered, parked or cancelled; a pending row's
`next_attempt_at` doubles as the sender's claim lease. Claiming moves it to the end of that
lease in one transaction: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so the senders of
several processes take disjoint rows; on SQLite under the write lock.

Only the oldest pending delivery of a webhook for one event subject (an item) may be claimed:
deliveries are created in the order the dispatcher publishes, which is commit order per item,
so while one is being sent or waits for its retry, the later ones of that item for that
webhook wait behind it. A claimed delivery stays pending until resolved, so the senders of
other processes see it and wait too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .event_tables import webhook_deliveries as d
from .event_tables import webhooks as w
from .tables import outbox

PENDING = "pending"
_before = d.alias("before")
_before_event = outbox.alias("before_event")
# A pending delivery of the same webhook and subject created earlier (see the module doc).
_earlier_pending = (
    exists().select_from(_before.join(_before_event, _before_event.c.id == _before.c.event_id))
    .where(_before.c.webhook_id == d.c.webhook_id, _before.c.status == PENDING,
           _before.c.id < d.c.id, _before_event.c.subject == outbox.c.subject))


class WebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- subscriptions ------------------------------------------------------------------------
    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(w.insert().values(**row))

    def live(self, webhook_id: str) -> Row[Any] | None:
        """The webhook, unless it is unknown or deleted."""
        return self.conn.execute(select(w).where(w.c.id == webhook_id,
                                                 w.c.deleted_at.is_(None))).first()

    def all_live(self) -> list[Row[Any]]:
        return list(self.conn.execute(select(w).where(w.c.deleted_at.is_(None))
                                      .order_by(w.c.created_at, w.c.id)))

    def delete(self, webhook_id: str, now: datetime) -> None:
        """Mark it deleted and cancel its pending deliveries; past deliveries stay."""
        self.conn.execute(update(w).where(w.c.id == webhook_id).values(deleted_at=now))
        self.conn.execute(update(d).where(d.c.webhook_id == webhook_id, d.c.status == PENDING)
                          .values(status="cancelled"))

    # -- deliveries ---------------------------------------------------------------------------
    def add_deliveries(self, rows: list[dict[str, Any]]) -> None:
        """Insert deliveries; one that exists for its (webhook, event) is left as it is."""
        if rows:
            insert = postgresql.insert if self.conn.dialect.name == "postgresql" \
                else sqlite.insert
            self.conn.execute(insert(d).on_conflict_do_nothing(
                index_elements=["webhook_id", "event_id"]), rows)

    def delivery(self, delivery_id: int) -> Row[Any] | None:
        return self.conn.execute(select(d).where(d.c.id == delivery_id)).first()

    def deliveries(self, *, webhook_id: str | None, status: str | None, after: int,
                   limit: int) -> list[Row[Any]]:
        """Oldest first, ids after `after`."""
        q = select(d).where(d.c.id > after).order_by(d.c.id).limit(limit)
        if status is not None:
            q = q.where(d.c.status == status)
        if webhook_id is not None:
            q = q.where(d.c.webhook_id == webhook_id)
        return list(self.conn.execute(q))

    def send_again(self, delivery_id: int, now: datetime) -> None:
        """Pending from `now`, with a fresh count of attempts."""
        self.conn.execute(update(d).where(d.c.id == delivery_id).values(
            status=PENDING, attempts=0, next_attempt_at=now))

    def any_due(self, now: datetime) -> bool:
        return self.conn.execute(select(d.c.id).where(d.c.status == PENDING,
                                                      d.c.next_attempt_at <= now).limit(1)
                                 ).first() is not None

    def claim(self, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` due deliveries, claimed until `until`, each with its webhook's url,
        secret and deleted_at and every column of its outbox event."""
        q = (select(d.c.id).join(outbox, outbox.c.id == d.c.event_id)
             .where(d.c.status == PENDING, d.c.next_attempt_at <= now, ~_earlier_pending)
             .order_by(d.c.next_attempt_at, d.c.id).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=d)
        ids = list(self.conn.execute(q).scalars())
        if not ids:
            return []
        self.conn.execute(update(d).where(d.c.id.in_(ids)).values(next_attempt_at=until))
        rows = self.conn.execute(
            select(d.c.id.label("delivery_id"), d.c.attempts, w.c.url, w.c.secret,
                   w.c.deleted_at, *outbox.c)
            .select_from(d.join(w, w.c.id == d.c.webhook_id)
                         .join(outbox, outbox.c.id == d.c.event_id))
            .where(d.c.id.in_(ids)).order_by(d.c.id)).mappings()
        return [dict(r) for r in rows]

    def record_attempt(self, delivery_id: int, status: str, values: dict[str, Any]) -> None:
        """Set the outcome of an attempt, if the delivery is still pending."""
        self.conn.execute(update(d).where(d.c.id == delivery_id, d.c.status == PENDING)
                          .values(status=status, **values))
