"""Movements and counts as received from the API and the feeds, validated and given to the
ledger writer (services/ledger.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from ..domain.buckets import BUCKETS, available
from ..domain.errors import InvalidInput
from ..domain.ledger import Movement
from ..domain.movements import (
    MovementRequest,
    MovementType,
    TimeWindow,
    add_bounded,
    validate_counted,
    validate_timestamp,
)
from ..settings import get_settings
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import payload_hash
from .ledger import Applied, record

__all__ = ["Applied", "CountRequest", "apply_batch", "apply_count", "apply_counts",
           "apply_movement", "time_window"]


def time_window(db: Database) -> TimeWindow:
    """When facts may be dated, now, as the settings say."""
    settings = get_settings()
    return TimeWindow(db.clock(), settings.earliest_time,
                      timedelta(seconds=settings.max_future_skew_seconds),
                      timedelta(days=settings.max_expected_days))


@dataclass(frozen=True, slots=True)
class CountRequest:
    sku: str
    location: str
    counted_quantity: int
    counted_at: datetime
    source: str
    external_id: str
    reason: str | None = None
    # "available": the source counted what is sellable (Shopify's `available`), not what is
    # on the shelf; on_hand is then that plus what the position holds unsellable right now
    # (committed, reserved, damaged, quality control, safety stock), so that omnistock's
    # available equals the count.
    basis: Literal["on_hand", "available"] = "on_hand"
    compare_quantity: int | None = None  # on_hand the caller last saw (compare-and-set)

    def validate(self, window: TimeWindow | None = None) -> CountRequest:
        validate_counted(self.counted_quantity)
        validate_timestamp(self.counted_at, "counted_at", window)
        for name in ("sku", "location", "source", "external_id"):
            if not getattr(self, name).strip():
                raise InvalidInput(f"{name} must be a non-empty string", field=name)
        return self

    def payload(self) -> dict[str, Any]:
        payload = {"type": "count", "sku": self.sku, "location": self.location,
                   "counted_quantity": self.counted_quantity,
                   "counted_at": self.counted_at.isoformat(), "reason": self.reason}
        if self.compare_quantity is not None:  # counts without it keep their digests
            payload["compare_quantity"] = self.compare_quantity
        # The source's statement, not the on_hand derived from it, is what a replay must match.
        return payload if self.basis == "on_hand" else {**payload, "basis": self.basis}


def apply_movement(db: Database, request: MovementRequest, actor: str | None = None) -> Applied:
    """Record one movement. A replay of the same (source, external_id) and payload returns the
    first result; the same key with another payload raises IdempotencyConflict.

    The bucket bound (MAX_BUCKET) is checked by batches only: this path makes no read before
    its write, so here the check would belong in the writer's upsert (store/ledger.py)."""
    req = _validated(request, None, time_window(db))
    with db.uow() as uow:
        results = record(uow, [_movement(uow, req, actor, None)], db.clock())
        uow.commit()
    return results[0]


def apply_batch(db: Database, requests: list[MovementRequest], actor: str | None = None, *,
                with_ids: bool = True, fields: bool = True) -> list[Applied]:
    """Apply many movements in one transaction: all of them, or (on any error) none.

    Bulk feeds pass `with_ids=False`: rows are then inserted without reading back their ids
    (the results' `id` is None), which roughly halves the cost of the insert. Errors name the
    request's index (`movements[i].field`) unless `fields` is off (a batch of one)."""
    window = time_window(db)
    reqs = [_validated(r, i if fields else None, window) for i, r in enumerate(requests)]
    with db.uow() as uow:
        moves = [_movement(uow, r, actor, i if fields else None) for i, r in enumerate(reqs)]
        _check_bounds(uow, moves, fields)
        results = record(uow, moves, db.clock(), with_ids=with_ids)
        uow.commit()
    return results


def _check_bounds(uow: UnitOfWork, moves: list[Movement], fields: bool) -> None:
    """Refuse the batch if a movement would take a bucket past MAX_BUCKET: the positions'
    buckets plus the raw deltas of the movements before it (an upper bound of what the writer
    applies, since a count's rule only ever drops a delta)."""
    buckets = {key: {b: int(pos[b]) for b in BUCKETS}
               for key, pos in uow.ledger.lock({m.key for m in moves}).items()}
    for i, m in enumerate(moves):
        try:
            buckets[m.key] = add_bounded(buckets.get(m.key, {}), m.raw(),
                                         f"movements[{i}].quantity" if fields else "quantity")
        except InvalidInput as e:
            raise InvalidInput(f"movements[{i}]: {e.detail}" if fields else e.detail,
                               field=e.field) from None


def _validated(request: MovementRequest, index: int | None,
               window: TimeWindow) -> MovementRequest:
    try:
        req = request.validate(window)
        if req.type is MovementType.EXPECTED and req.expected_at is None:
            raise InvalidInput("an expected movement needs expected_at", field="expected_at")
    except InvalidInput as e:
        if index is None:
            raise
        raise type(e)(f"movements[{index}]: {e.detail}", field=f"movements[{index}].{e.field}",
                      **e.data) from None
    return req


def _movement(uow: UnitOfWork, req: MovementRequest, actor: str | None,
              index: int | None) -> Movement:
    prefix = "" if index is None else f"movements[{index}]."
    return Movement(req.type, uow.catalog.item_id(req.sku, f"{prefix}sku"),
                    uow.catalog.location_id(req.location, f"{prefix}location"), req.sku,
                    req.location, req.quantity, req.occurred_at, req.source, req.external_id,
                    req.digest(), reason=req.reason, reference=req.reference, actor=actor,
                    expected_at=req.expected_at)


def apply_count(db: Database, request: CountRequest, actor: str | None = None) -> Applied:
    return apply_counts(db, [request], actor)[0]


def apply_counts(db: Database, requests: list[CountRequest],
                 actor: str | None = None) -> list[Applied]:
    """Apply counts as of their time (domain/counts.py), in one transaction; a count with
    `compare_quantity` is refused (StaleQuantity, 409) unless on_hand is that quantity when it
    is applied, and then nothing of the transaction is written."""
    window = time_window(db)
    reqs = [r.validate(window) for r in requests]
    with db.uow() as uow:
        moves = [Movement(MovementType.COUNT, uow.catalog.item_id(r.sku),
                          uow.catalog.location_id(r.location), r.sku, r.location,
                          r.counted_quantity, r.counted_at, r.source, r.external_id,
                          payload_hash(r.payload()), reason=r.reason, actor=actor,
                          compare_on_hand=r.compare_quantity)
                 for r in reqs]
        if any(r.basis == "available" for r in reqs):
            moves = _on_hand_of_available(uow, reqs, moves)
        results = record(uow, moves, db.clock())
        uow.commit()
    return results


def _on_hand_of_available(uow: UnitOfWork, reqs: list[CountRequest],
                          moves: list[Movement]) -> list[Movement]:
    """Counts of available as counts of on_hand, from the positions locked in this
    transaction (the writer then locks them again, which costs nothing)."""
    held = {key: int(pos["on_hand"]) - available({b: int(pos[b]) for b in BUCKETS})
            for key, pos in uow.ledger.lock({m.key for m in moves}).items()}
    out = []
    for r, m in zip(reqs, moves, strict=True):
        extra = max(held.get(m.key, 0), 0) if r.basis == "available" else 0
        out.append(m if r.basis != "available" else replace(
            m, quantity=m.quantity + extra,
            reason=m.reason or f"available {m.quantity} counted; on_hand adds the {extra} "
                               "units held here"))
    return out
