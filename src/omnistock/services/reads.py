"""The lists an integrator pages through: channels, the ledger, one location's stock.

Each answer is `{<rows>, next}`, `next` an opaque cursor (domain/paging.py), null once the list
has ended. Keyset paging on a unique key means a row is never handed out twice and no row that
existed when paging began is skipped, however many are added meanwhile.

The ledger needs one more step on PostgreSQL, where movement ids are drawn when rows are
inserted, not when they commit: id 11 can be visible while id 10 is still being written, and
a page that moved past 11 would never show 10. A page therefore ends below any id that may
still appear: when the snapshot it reads shows writers in flight, it waits (at most
`settle_timeout`) until those writers have ended, and hands out only ids it read before them
(store/outbox.py `snapshot`/`settled` tell; the same rule keeps the event stream gap-free,
events/highwater.py). If they are still running after the timeout, the page stops where it
is and `next` lets the client ask again. SQLite commits ids in order: nothing to wait for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..domain.buckets import BUCKETS, available
from ..domain.errors import InvalidInput, NotFound
from ..domain.paging import decode_cursor, encode_cursor, next_cursor
from ..store.database import Database
from ..store.reads import MovementFilter
from ..store.unit_of_work import UnitOfWork
from .context import iso
from .ledger import movement_view


def list_channels(db: Database, cursor: str | None, limit: int) -> dict[str, Any]:
    page = decode_cursor(cursor, "channels", {}, limit)
    with db.uow(readonly=True) as uow:
        rows = uow.reads.channels(_text(page.after), limit)
    return {"channels": rows,
            "next": next_cursor("channels", rows, page, lambda r: r["code"], {})}


def location_stock(db: Database, code: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """Every item with a position at `code` (in the order items were created), with its
    buckets; holds past their expiry count as released."""
    page = decode_cursor(cursor, "stock", {"location": code}, limit)
    with db.uow(readonly=True) as uow:
        location_id = uow.catalog.location(code)["id"]  # NotFound (404) for an unknown one
        rows = uow.reads.location_stock(location_id, _int(page.after), limit, db.clock())
    items = []
    for r in rows:
        buckets = {b: int(r[b]) for b in BUCKETS}
        buckets["reserved"] -= int(r["lapsed"])
        items.append({"sku": r["sku"], **buckets, "available": available(buckets),
                      "sequence": int(r["seq"])})
    return {"location": code, "items": items,
            "next": next_cursor("stock", rows, page, lambda r: int(r["item_id"]),
                                {"location": code})}


@dataclass(frozen=True, slots=True)
class MovementQuery:
    """The filters of GET /v1/movements, as given; time ranges are [from, to)."""

    sku: str | None = None
    location: str | None = None
    source: str | None = None
    type: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {k: iso(v) if isinstance(v, datetime) else v for k, v in asdict(self).items()}

    def check(self) -> None:
        for axis in ("occurred", "recorded"):
            start, end = getattr(self, f"{axis}_from"), getattr(self, f"{axis}_to")
            if start is not None and end is not None and end < start:
                raise InvalidInput(f"{axis}_to is before {axis}_from", field=f"{axis}_to")


def list_movements(db: Database, query: MovementQuery, cursor: str | None, limit: int, *,
                   settle_timeout: float = 2.0) -> dict[str, Any]:
    """Movements in the order they were written (id order), filtered; `resume` is a cursor
    after the last one returned, to ask later for movements written since."""
    query.check()
    fingerprint = query.fingerprint()
    page = decode_cursor(cursor, "movements", fingerprint, limit)
    after = _int(page.after) or 0
    rows, cut = _settled_page(db, query, after, limit, settle_timeout)
    movements = [movement_view(r, r["sku"], r["location"]) for r in rows]
    return {"movements": movements,
            "next": next_cursor("movements", rows, page, lambda r: int(r["id"]), fingerprint,
                                more=cut),
            "resume": encode_cursor("movements", rows[-1]["id"] if rows else after,
                                    fingerprint)}


def _settled_page(db: Database, query: MovementQuery, after: int, limit: int,
                  timeout: float) -> tuple[list[dict[str, Any]], bool]:
    """The page, and whether it was cut short below ids that may still commit."""
    with db.uow(snapshot=True) as uow:
        f = _filter(uow, query)
        if f is None:
            return [], False
        token = uow.outbox.snapshot()
        if token is None or uow.outbox.settled(token):  # no writer in flight
            return uow.reads.movements(f, after, None, limit), False
        upto = uow.reads.last_movement_id()
    deadline = time.monotonic() + timeout
    delay = 0.002
    while time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
        with db.uow(snapshot=True) as uow:
            now_token = uow.outbox.snapshot()
            assert now_token is not None
            if uow.outbox.settled(now_token):
                return uow.reads.movements(f, after, None, limit), False
            if uow.outbox.settled(token):  # every id up to `upto` is final
                rows = uow.reads.movements(f, after, upto, limit)
                return rows, len(rows) < limit
    return [], True


def _filter(uow: UnitOfWork, q: MovementQuery) -> MovementFilter | None:
    """The filter on ids; None when it names an item or location that does not exist (no
    movement can match)."""
    item_id = location_id = None
    if q.sku is not None:
        item_id = uow.reads.item_ids([q.sku]).get(q.sku)
        if item_id is None:
            return None
    if q.location is not None:
        found = _lookup(lambda: uow.catalog.location(q.location or "")["id"])
        if found is None:
            return None
        location_id = int(found)
    return MovementFilter(item_id, location_id, q.source, q.type, q.occurred_from,
                          q.occurred_to, q.recorded_from, q.recorded_to)


def _lookup(find: Callable[[], Any]) -> Any:
    try:
        return find()
    except NotFound:
        return None


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("cursor is not a cursor this server handed out", field="cursor")
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("cursor is not a cursor this server handed out", field="cursor")
    return value
