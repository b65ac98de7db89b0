"""The Shopify sink's levels (store/integration_tables.py `shopify_levels`) and the mappings
that name Shopify's inventory items and locations.

A level is wanted by the dispatcher (`want`: a newer event's quantity replaces an older one,
never the reverse, so a batch sent again changes nothing) and pushed by the sender, which
claims due levels by moving `next_attempt_at` to the end of a lease (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so the senders of several processes take disjoint levels).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .feed_tables import code_mappings
from .integration_tables import shopify_levels as lv
from .tables import channel_locations, channels, locations

ITEM_PREFIX = "inventory_item:"  # how the Shopify webhooks' mappings name inventory items
PENDING, SYNCED, PARKED = "pending", "synced", "parked"


def _key(level: tuple[str, str]) -> Any:
    return and_(lv.c.inventory_item_id == level[0], lv.c.shopify_location_id == level[1])


class ShopifyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- mappings ---------------------------------------------------------------------------
    def inventory_items(self, source: str, skus: Sequence[str]) -> dict[str, list[str]]:
        """sku -> the Shopify inventory item ids mapped to it."""
        found: dict[str, list[str]] = {}
        rows = self.conn.execute(
            select(code_mappings.c.target, code_mappings.c.code)
            .where(code_mappings.c.source == source, code_mappings.c.kind == "item",
                   code_mappings.c.target.in_(sorted(set(skus))),
                   code_mappings.c.code.startswith(ITEM_PREFIX))
            .order_by(code_mappings.c.code))
        for sku, code in rows:
            found.setdefault(sku, []).append(code[len(ITEM_PREFIX):])
        return found

    def shopify_locations(self, source: str) -> dict[str, list[str]]:
        """Our location code -> the Shopify location ids mapped to it."""
        found: dict[str, list[str]] = {}
        for code, target in self.conn.execute(
                select(code_mappings.c.code, code_mappings.c.target)
                .where(code_mappings.c.source == source, code_mappings.c.kind == "location")
                .order_by(code_mappings.c.code)):
            found.setdefault(target, []).append(code)
        return found

    def channel_locations(self, channel: str) -> set[str] | None:
        """The codes of the locations a channel sells; None when there is no such channel."""
        channel_id = self.conn.execute(
            select(channels.c.id).where(channels.c.code == channel)).scalar()
        if channel_id is None:
            return None
        return set(self.conn.execute(
            select(locations.c.code)
            .join(channel_locations, channel_locations.c.location_id == locations.c.id)
            .where(channel_locations.c.channel_id == channel_id)).scalars())

    # -- levels -----------------------------------------------------------------------------
    def want(self, rows: list[dict[str, Any]], now: datetime) -> None:
        """Ask for these levels (inventory_item_id, shopify_location_id, sku, location, desired,
        desired_event); an older event than the one a level already has changes nothing. A
        pending level keeps its schedule (it may be claimed, or backing off)."""
        if not rows:
            return
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(lv).values([{**r, "pushed": None, "pushed_event": 0, "status": PENDING,
                                   "attempts": 0, "next_attempt_at": now, "updated_at": now}
                                  for r in rows])
        new = stmt.excluded
        waiting = lv.c.status == PENDING
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["inventory_item_id", "shopify_location_id"],
            set_={"desired": new.desired, "desired_event": new.desired_event,
                  "status": PENDING, "updated_at": new.updated_at,
                  "attempts": case((waiting, lv.c.attempts), else_=0),
                  "next_attempt_at": case((waiting, lv.c.next_attempt_at),
                                          else_=new.next_attempt_at)},
            where=lv.c.desired_event < new.desired_event))

    def any_due(self, now: datetime) -> bool:
        return self.conn.execute(select(lv.c.sku).where(
            lv.c.status == PENDING, lv.c.next_attempt_at <= now).limit(1)).first() is not None

    def claim(self, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
        q = (select(lv.c.inventory_item_id, lv.c.shopify_location_id)
             .where(lv.c.status == PENDING, lv.c.next_attempt_at <= now)
             .order_by(lv.c.next_attempt_at, lv.c.desired_event).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        keys = [tuple(r) for r in self.conn.execute(q).all()]
        claimed = []
        for key in keys:
            row = self.conn.execute(update(lv).where(_key(key)).values(next_attempt_at=until)
                                    .returning(*lv.c)).mappings().one()
            claimed.append(dict(row))
        return claimed

    def pushed(self, level: tuple[str, str], quantity: int, event: int, now: datetime,
               status_code: int | None) -> None:
        """Shopify holds `quantity`, as asked for by `event`: synced unless a newer event
        wants another level already."""
        self.conn.execute(update(lv).where(_key(level), lv.c.pushed_event < event).values(
            pushed=quantity, pushed_event=event, attempts=0, last_attempt_at=now,
            last_status_code=status_code, last_error=None, next_attempt_at=now, updated_at=now,
            status=case((lv.c.desired_event <= event, SYNCED), else_=PENDING)))

    def known(self, level: tuple[str, str], quantity: int | None, now: datetime, *,
              status_code: int | None = None, error: str | None = None,
              attempts: int | None = None, retry_at: datetime | None = None) -> None:
        """What Shopify holds as far as we know (None: unknown, read it before the next
        push), and when to try again."""
        values: dict[str, Any] = {"pushed": quantity, "next_attempt_at": retry_at or now,
                                  "last_attempt_at": now, "updated_at": now,
                                  "last_status_code": status_code, "last_error": error}
        if attempts is not None:
            values["attempts"] = attempts
        self.conn.execute(update(lv).where(_key(level), lv.c.status == PENDING)
                          .values(**values))

    def failed(self, level: tuple[str, str], now: datetime, *, attempts: int,
               retry_at: datetime | None, status_code: int | None, error: str) -> None:
        """An attempt failed: pending again at `retry_at`, or parked (None) until a newer
        change is wanted."""
        self.conn.execute(update(lv).where(_key(level), lv.c.status == PENDING).values(
            attempts=attempts, last_attempt_at=now, last_status_code=status_code,
            last_error=error[:500], updated_at=now,
            status=PENDING if retry_at is not None else PARKED,
            next_attempt_at=retry_at or now))

    def levels(self, *, status: str | None, after: tuple[str, str] | None,
               limit: int) -> list[dict[str, Any]]:
        q = select(lv).order_by(lv.c.inventory_item_id, lv.c.shopify_location_id).limit(limit)
        if status is not None:
            q = q.where(lv.c.status == status)
        if after is not None:
            q = q.where((lv.c.inventory_item_id > after[0]) | and_(
                lv.c.inventory_item_id == after[0], lv.c.shopify_location_id > after[1]))
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def level(self, level: tuple[str, str]) -> dict[str, Any] | None:
        row = self.conn.execute(select(lv).where(_key(level))).mappings().first()
        return dict(row) if row else None
