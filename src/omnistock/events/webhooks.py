"""Webhook subscriptions and their deliveries: the use cases behind /v1/webhooks."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from ..domain.errors import InvalidInput, InvalidState, NotFound
from ..services.context import iso
from ..store.database import Database
from ..store.webhooks import WebhookRepository
from .cloudevents import validate_patterns
from .deliveries import Status

MIN_SECRET, MAX_SECRET = 16, 200


def mask(secret: str) -> str:
    return "****" + secret[-4:]


def webhook_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "events": list(row.events), "secret": mask(row.secret),
            "created_at": iso(row.created_at)}


def delivery_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "webhook_id": row.webhook_id, "event_id": str(row.event_id),
            "event_type": row.event_type, "status": row.status, "attempts": row.attempts,
            "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
            "last_attempt_at": iso(row.last_attempt_at),
            "last_status_code": row.last_status_code, "last_error": row.last_error,
            "created_at": iso(row.created_at), "delivered_at": iso(row.delivered_at)}


def _validate(url: Any, events: Any, secret: Any) -> list[str]:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or len(url) > 2000:
        raise InvalidInput("url must be an absolute http(s) URL", field="url")
    if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise InvalidInput(f"secret must be {MIN_SECRET} to {MAX_SECRET} characters",
                           field="secret")
    return validate_patterns(events, "events")


def create_webhook(db: Database, *, url: str, events: list[str], secret: str) -> dict[str, Any]:
    patterns = _validate(url, events, secret)
    row: dict[str, Any] = {"id": str(uuid.uuid4()), "url": url, "events": patterns,
                           "secret": secret, "created_at": db.clock()}
    with db.uow() as uow:
        uow.webhooks.add(row)
        uow.commit()
    return get_webhook(db, row["id"])


def _live(webhooks: WebhookRepository, webhook_id: str) -> Any:
    row = webhooks.live(webhook_id)
    if row is None:
        raise NotFound(f"no webhook {webhook_id}", field="id")
    return row


def get_webhook(db: Database, webhook_id: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        return webhook_view(_live(uow.webhooks, webhook_id))


def list_webhooks(db: Database) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        rows = uow.webhooks.all_live()
    return [webhook_view(r) for r in rows]


def delete_webhook(db: Database, webhook_id: str) -> None:
    """Stop sending: the webhook goes, its pending deliveries are cancelled, history stays."""
    with db.uow() as uow:
        _live(uow.webhooks, webhook_id)
        uow.webhooks.delete(webhook_id, db.clock())
        uow.commit()


def list_deliveries(db: Database, *, webhook_id: str | None = None, status: str | None = None,
                    after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Oldest first; page with `after` = the last id seen."""
    if status is not None and status not in set(Status):
        raise InvalidInput(f"status must be one of {', '.join(Status)}", field="status")
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000", field="limit")
    with db.uow(readonly=True) as uow:
        if webhook_id is not None:
            _live(uow.webhooks, webhook_id)
        rows = uow.webhooks.deliveries(webhook_id=webhook_id, status=status, after=after,
                                       limit=limit)
    return [delivery_view(r) for r in rows]


def retry_delivery(db: Database, delivery_id: int) -> dict[str, Any]:
    """Send a parked (or delivered) delivery again now, with a fresh set of attempts."""
    with db.uow() as uow:
        row = uow.webhooks.delivery(delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}", field="id")
        if row.status not in (Status.PARKED, Status.DELIVERED):
            raise InvalidState(f"delivery {delivery_id} is {row.status}", field="status",
                               delivery_status=row.status)
        _live(uow.webhooks, row.webhook_id)
        uow.webhooks.send_again(delivery_id, db.clock())
        row = uow.webhooks.delivery(delivery_id)
        uow.commit()
    return delivery_view(row)
