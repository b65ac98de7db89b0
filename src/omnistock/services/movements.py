"""Movements and counts as received from the API and the feeds, validated and given to the
ledger writer (services/ledger.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.errors import InvalidInput
from ..domain.ledger import Movement
from ..domain.movements import MovementRequest, MovementType, validate_timestamp
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import payload_hash
from .ledger import Applied, record

__all__ = ["Applied", "CountRequest", "apply_batch", "apply_count", "apply_counts",
           "apply_movement"]


@dataclass(frozen=True, slots=True)
class CountRequest:
    sku: str
    location: str
    counted_quantity: int
    counted_at: datetime
    source: str
    external_id: str
    reason: str | None = None

    def validate(self) -> CountRequest:
        q = self.counted_quantity
        if isinstance(q, bool) or not isinstance(q, int) or q < 0:
            raise InvalidInput("counted_quantity must be an integer >= 0",
                               field="counted_quantity")
        validate_timestamp(self.counted_at, "counted_at")
        for name in ("sku", "location", "source", "external_id"):
            if not getattr(self, name).strip():
                raise InvalidInput(f"{name} must be a non-empty string", field=name)
        return self

    def payload(self) -> dict[str, Any]:
        return {"type": "count", "sku": self.sku, "location": self.location,
                "counted_quantity": self.counted_quantity,
                "counted_at": self.counted_at.isoformat(), "reason": self.reason}


def apply_movement(db: Database, request: MovementRequest, actor: str | None = None) -> Applied:
    """Record one movement. A replay of the same (source, external_id) and payload returns the
    first result; the same key with another payload raises IdempotencyConflict."""
    return apply_batch(db, [request], actor, fields=False)[0]


def apply_batch(db: Database, requests: list[MovementRequest], actor: str | None = None, *,
                with_ids: bool = True, fields: bool = True) -> list[Applied]:
    """Apply many movements in one transaction: all of them, or (on any error) none.

    Bulk feeds pass `with_ids=False`: rows are then inserted without reading back their ids
    (the results' `id` is None), which roughly halves the cost of the insert. Errors name the
    request's index (`movements[i].field`) unless `fields` is off (a single movement)."""
    reqs = [_validated(r, i if fields else None) for i, r in enumerate(requests)]
    with db.uow() as uow:
        moves = [_movement(uow, r, actor, i if fields else None) for i, r in enumerate(reqs)]
        results = record(uow, moves, db.clock(), with_ids=with_ids)
        uow.commit()
    return results


def _validated(request: MovementRequest, index: int | None) -> MovementRequest:
    try:
        req = request.validate()
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
    """Apply counts as of their time (domain/counts.py), in one transaction."""
    reqs = [r.validate() for r in requests]
    with db.uow() as uow:
        moves = [Movement(MovementType.COUNT, uow.catalog.item_id(r.sku),
                          uow.catalog.location_id(r.location), r.sku, r.location,
                          r.counted_quantity, r.counted_at, r.source, r.external_id,
                          payload_hash(r.payload()), reason=r.reason, actor=actor)
                 for r in reqs]
        results = record(uow, moves, db.clock())
        uow.commit()
    return results
