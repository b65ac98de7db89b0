"""Webhook deliveries: created per matching event, claimed, and resolved.

Claiming moves `next_attempt_at` of the claimed rows to the end of a lease, in one
transaction (store/webhooks.py), so the senders of several processes take disjoint rows. A
sender that dies mid-send leaves its rows to be claimed again when the lease ends: webhooks
are delivered at least once. Per webhook and item (the event subject) they go in commit
order: a delivery is claimed only once every earlier one of that item for that webhook is
delivered, parked or cancelled, so a failing one holds back its item alone. A parked delivery
stops holding back (the endpoint would otherwise stall on one event for good); sending it
again with POST .../retry then delivers an older event after newer ones, which its id shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ..store.webhooks import WebhookRepository
from .cloudevents import Event, matches
from .config import EventsConfig


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


def create_for(webhooks: WebhookRepository, events: Sequence[Event], now: datetime) -> int:
    """One pending delivery per (live webhook, matching event); repeats are ignored."""
    hooks = webhooks.all_live()
    rows = [{"webhook_id": h.id, "event_id": e.id, "event_type": e.type,
             "status": Status.PENDING.value, "attempts": 0, "next_attempt_at": now,
             "created_at": now}
            for e in events for h in hooks if matches(e.type, h.events)]
    webhooks.add_deliveries(rows)
    return len(rows)


def claim(webhooks: WebhookRepository, now: datetime, until: datetime, limit: int,
          config: EventsConfig) -> list[Job]:
    return [Job(r["delivery_id"], r["attempts"], r["url"], r["secret"],
                r["deleted_at"] is not None, Event.from_row(r, config))
            for r in webhooks.claim(now, until, limit)]


def resolve(webhooks: WebhookRepository, job: Job, now: datetime, config: EventsConfig, *,
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
    webhooks.record_attempt(job.delivery_id, status.value, values)
    return status
