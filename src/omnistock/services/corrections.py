"""Correcting a mistaken count: its reversal, an audited movement of its own.

The count stays in the ledger (nothing is ever deleted or edited); the reversal names it, says
who and why, and makes the position what its ledger without that count gives
(domain/counts.py). One reversal per count: its idempotency key is ("count_reversal", the
count's id), so a retried request is a replay and a second, different one is refused.
"""

from __future__ import annotations

from ..domain.counts import REVERSAL_REFERENCE
from ..domain.errors import IdempotencyConflict, InvalidInput, InvalidState, NotFound
from ..domain.ledger import Movement
from ..domain.movements import MovementType
from ..store.database import Database
from .context import payload_hash
from .ledger import Applied, record

REVERSAL_SOURCE = "count_reversal"


def reverse_count(db: Database, movement_id: int, reason: str,
                  actor: str | None = None) -> Applied:
    """Reverse the count `movement_id`, in one transaction; the reversal movement (a replay
    when the same reversal was already made)."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 64:
        raise InvalidInput("a reversal needs a reason of 1 to 64 characters", field="reason")
    now = db.clock()
    with db.uow() as uow:
        count = uow.ledger.movement(movement_id)
        if count is None:
            raise NotFound(f"no movement {movement_id}", field="movement_id")
        if count["type"] != MovementType.COUNT.value:
            raise InvalidState(f"movement {movement_id} is a {count['type']}, not a count",
                               field="movement_id")
        key = (count["item_id"], count["location_id"])
        sku, location = uow.catalog.names([key])[key]
        reversal = Movement(
            MovementType.COUNT_REVERSAL, key[0], key[1], sku, location, count["counted"], now,
            source=REVERSAL_SOURCE, external_id=str(movement_id),
            digest=payload_hash({"reverses": movement_id, "reason": reason}), reason=reason,
            reference=f"{REVERSAL_REFERENCE}{movement_id}", actor=actor)
        earlier = uow.ledger.find(REVERSAL_SOURCE, str(movement_id))
        if earlier is not None and earlier["payload_hash"] != reversal.digest:
            if earlier["type"] != MovementType.COUNT_REVERSAL.value:
                raise IdempotencyConflict(
                    f"({REVERSAL_SOURCE}, {movement_id}) is taken by movement {earlier['id']}",
                    field="movement_id")
            raise InvalidState(f"count {movement_id} was already reversed by movement "
                               f"{earlier['id']}", field="movement_id")
        [applied] = record(uow, [reversal], now)
        uow.commit()
    return applied
