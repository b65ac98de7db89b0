"""The ledger's inputs: movements (one, or a batch in one transaction) and counts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...domain.movements import MovementRequest, MovementType
from ...metrics import MOVEMENTS_APPLIED
from ...services.movements import Applied, CountRequest, apply_batch, apply_count, apply_movement
from ..auth import Principal, require
from ..deps import DbDep
from ..idempotency import Idempotent, idempotent_for, replayed
from ..problems import responses
from ..schemas.movements import CountIn, Movement, MovementBatch, MovementBatchIn, MovementsBody

router = APIRouter(prefix="/v1", tags=["ledger"])

_movements = require("movements:write")
_counts = require("counts:write")
MovementWriter = Annotated[Principal, Depends(_movements)]
MovementsOnce = Annotated[Idempotent, Depends(idempotent_for(_movements))]
CountWriter = Annotated[Principal, Depends(_counts)]
CountsOnce = Annotated[Idempotent, Depends(idempotent_for(_counts))]

ANSWERS = {**responses(400, 401, 403, 409, 422),
           **replayed(Movement | MovementBatch)}


def to_request(m: Any) -> MovementRequest:
    return MovementRequest(
        type=MovementType(m.type), sku=m.sku, location=m.location, quantity=m.quantity,
        occurred_at=m.occurred_at, source=m.source, external_id=m.external_id,
        reason=m.reason, reference=m.reference, expected_at=getattr(m, "expected_at", None))


def _counted(results: list[Applied]) -> int:
    fresh = [r for r in results if not r.replayed]
    for r in fresh:
        MOVEMENTS_APPLIED.labels(r.movement["type"]).inc()
    return 201 if fresh else 200


@router.post("/movements", status_code=201,
             response_model=Movement | MovementBatch, responses=ANSWERS)
def post_movements(body: MovementsBody, db: DbDep, who: MovementWriter,
                   once: MovementsOnce):
    """Apply one movement, or `{"movements": [...]}` all in one transaction (all or none).

    201 when applied; 200 with the same body when every movement is an identical replay of
    its `(source, external_id)`; 409 when such a key was used with another payload."""
    batch = isinstance(body, MovementBatchIn)
    items = body.movements if isinstance(body, MovementBatchIn) else [body]
    for i, m in enumerate(items):
        who.at(m.location, f"movements[{i}].location" if batch else "location")
    requests = [to_request(m) for m in items]

    def work() -> tuple[int, Any]:
        if batch:
            results = apply_batch(db, requests, actor=who.prefix)
            return _counted(results), {"movements": [r.movement for r in results]}
        result = apply_movement(db, requests[0], actor=who.prefix)
        return _counted([result]), result.movement

    return once.respond(work)


@router.post("/counts", status_code=201, response_model=Movement,
             responses={**ANSWERS, **replayed(Movement)})
def post_count(body: CountIn, db: DbDep, who: CountWriter, once: CountsOnce):
    """Record a count: on_hand was `counted_quantity` at `counted_at`. Returns the count
    movement with the adjustment it made (movements after `counted_at` stay on top).

    With `compare_quantity` (the on_hand you last saw), the count applies only if on_hand is
    still that quantity: otherwise 409 `stale-quantity` with the current `on_hand`, and
    nothing is recorded."""
    who.at(body.location)
    request = CountRequest(**body.model_dump())

    def work() -> tuple[int, Any]:
        result = apply_count(db, request, actor=who.prefix)
        return _counted([result]), result.movement

    return once.respond(work)
