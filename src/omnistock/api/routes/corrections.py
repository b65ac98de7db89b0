"""Corrections of the ledger: `POST /v1/counts/{movement_id}/reverse`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from ...events.cloudevents import MAX_ID
from ...services.corrections import reverse_count
from ..auth import Principal, require
from ..deps import DbDep
from ..idempotency import Idempotent, idempotent_for, replayed
from ..problems import responses
from ..schemas.corrections import CountReversalIn
from ..schemas.movements import Movement

router = APIRouter(prefix="/v1", tags=["ledger"])

_reverse = require("counts:reverse")
Reverser = Annotated[Principal, Depends(_reverse)]
ReversalsOnce = Annotated[Idempotent, Depends(idempotent_for(_reverse))]
CountId = Annotated[int, Path(ge=1, le=MAX_ID, description="the count's movement id")]


@router.post("/counts/{movement_id}/reverse", status_code=201, response_model=Movement,
             responses={**responses(400, 401, 403, 404, 409, 422), **replayed(Movement)})
def reverse_a_count(movement_id: CountId, body: CountReversalIn, db: DbDep, who: Reverser,
                    once: ReversalsOnce):
    """Reverse a mistaken count (admin): on_hand becomes what the ledger gives without it, as
    of its time (a later count still wins), and the count no longer hides the movements it
    had seen. Returns the `count_reversal` movement, with the key's prefix as `actor` and the
    `reason` (201); 200 with the same body for the same reversal again; 409 `invalid-state`
    when the movement is not a count or the count was already reversed (another reason)."""

    def work() -> tuple[int, Any]:
        done = reverse_count(db, movement_id, body.reason, actor=who.prefix)
        return (200 if done.replayed else 201), done.movement

    return once.respond(work)
