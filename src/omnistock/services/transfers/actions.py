"""Transfer actions: ship, receive (partial, repeatable, idempotent), close, cancel.

| action  | stock movements (source "transfer", reference "transfer:<id>")                    |
|---------|-----------------------------------------------------------------------------------|
| ship    | `transfer_out` at the source, refused (insufficient-stock) beyond its available   |
|         | units; `expected` at the destination, kind transfer, due at the expected date    |
| receive | `transfer_in` at the destination of what was in transit (closing the transfer's  |
|         | expected units); with accept_over, units beyond it as an `adjustment` (found)    |
| close   | `transit_loss` of what is still in transit (closing the transfer's units only)   |
| cancel  | none (only before shipping)                                                      |

An order's leg (endless aisle) is moved by its order's fulfillment actions while the order
lives; once the order is cancelled with the box on its way, it is received or closed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ...domain.buckets import available
from ...domain.errors import IdempotencyConflict, InsufficientStock, InvalidInput, InvalidState
from ...domain.ledger import Key
from ...domain.movements import MovementType
from ...domain.transfers import (
    Move,
    TransferAction,
    TransferStatus,
    check,
    status_after_receipt,
)
from ...domain.transfers import close as close_lines
from ...domain.transfers import receive as receive_lines
from ...domain.transfers import ship as ship_lines
from ...store.database import Database
from ...store.unit_of_work import UnitOfWork
from ..context import iso, payload_hash
from ..ledger import expire_lapsed, record
from .view import domain_lines, transfer_view
from .write import item_ids, locked_transfer, movements, save

Authorize = Callable[[str], None] | None
Lines = list[Mapping[str, Any]]


def _pairs(lines: Lines | None) -> list[tuple[str, int]] | None:
    return None if lines is None else [(ln["sku"], ln["quantity"]) for ln in lines]


def _open(uow: UnitOfWork, transfer_id: str, action: TransferAction,
          authorize: Authorize = None, side: str = "to") -> dict[str, Any]:
    """The transfer, locked, once `authorize` (at its `side`) and its state allow `action`."""
    t = locked_transfer(uow, transfer_id)
    if authorize is not None:
        authorize(t[f"{side}_location"])
    return _allowed(t, action)


def _allowed(t: dict[str, Any], action: TransferAction) -> dict[str, Any]:
    check(t["status"], action)
    if t["managed_by_order"]:
        raise InvalidState(f"transfer {t['id']} is order {t['order_id']}'s fulfillment "
                           f"{t['fulfillment']}: its fulfillment actions move it",
                           field="id", status_now=t["status"], order_id=t["order_id"])
    return t


def ship(db: Database, transfer_id: str, lines: Lines | None = None, *,
         actor: str | None = None, authorize: Authorize = None) -> dict[str, Any]:
    """Ship every line, or `lines` (fewer units; lines left out ship none)."""
    with db.uow() as uow:
        now = db.clock()
        t = _open(uow, transfer_id, TransferAction.SHIP, authorize, "from")
        after, moves = ship_lines(domain_lines(uow.transfers.lines([t["id"]])[t["id"]]),
                                  _pairs(lines))
        ids = item_ids(uow, t)
        _check_available(uow, t, moves, ids, now)
        record(uow, movements(t, moves, ids, "ship", now, actor), now)
        view = save(uow, t, after, {"event": "shipped", "actor": actor,
                                    "lines": {ln.sku: ln.shipped for ln in after}}, now,
                    status=TransferStatus.SHIPPED.value, shipped_at=now)
        uow.commit()
    return view


def _check_available(uow: UnitOfWork, t: dict[str, Any], moves: list[Move],
                     ids: dict[str, int], now: datetime) -> None:
    """Refuse to ship more than the source has available: every position of the batch is
    locked first, in key order (the order the ledger writer locks them in), so nothing can
    take the units between this check and the write."""
    source, dest = t["from_location_id"], t["to_location_id"]
    keys = sorted({(ids[m.sku], source if m.at == "from" else dest) for m in moves})
    locked = uow.ledger.lock_or_create(keys, now)
    short = []
    for m in moves:
        if m.type is not MovementType.TRANSFER_OUT:
            continue
        key: Key = (ids[m.sku], source)
        have = available(locked[key])
        if have < m.quantity and expire_lapsed(uow, now, key=key):
            have = available(uow.ledger.lock([key])[key])
        if have < m.quantity:
            short.append({"sku": m.sku, "location": t["from_location"],
                          "requested": m.quantity, "available": max(have, 0)})
    if short:
        raise InsufficientStock(
            f"{t['from_location']} cannot ship " + ", ".join(
                f"{s['requested']} of {s['sku']} ({s['available']} available)" for s in short),
            lines=short)


def receive(db: Database, transfer_id: str, lines: Lines, *, external_id: str | None = None,
            accept_over: bool = False, actor: str | None = None,
            authorize: Authorize = None) -> dict[str, Any]:
    """Receive units at the destination. The same `external_id` again is a replay (the
    transfer as it is now, nothing moved); with other lines, an idempotency conflict."""
    pairs = _pairs(lines) or []
    digest = payload_hash({"lines": pairs, "accept_over": accept_over})
    with db.uow() as uow:
        now = db.clock()
        t = locked_transfer(uow, transfer_id)
        if authorize is not None:
            authorize(t["to_location"])
        if external_id is not None:
            seen = uow.transfers.receipt(t["id"], external_id)
            if seen is not None:
                if seen["payload_hash"] != digest:
                    raise IdempotencyConflict(f"receipt {external_id!r} of transfer "
                                              f"{transfer_id} was sent with other lines",
                                              field="external_id")
                return transfer_view(t, uow.transfers.lines([t["id"]])[t["id"]], now)
        _allowed(t, TransferAction.RECEIVE)
        after, moves = receive_lines(domain_lines(uow.transfers.lines([t["id"]])[t["id"]]),
                                     pairs, accept_over=accept_over)
        number = uow.transfers.add_receipt({"transfer_id": t["id"], "external_id": external_id,
                                            "payload_hash": digest, "created_at": now})
        record(uow, movements(t, moves, item_ids(uow, t), f"receipt{number}", now, actor), now)
        over = [{"at": iso(now), "kind": "over_receipt", "sku": m.sku, "quantity": m.quantity,
                 "receipt": number} for m in moves if m.type is MovementType.ADJUSTMENT]
        view = save(uow, t, after, {"event": "received", "actor": actor, "receipt": number,
                                    "external_id": external_id, "lines": dict(pairs),
                                    **({"over": {o["sku"]: o["quantity"] for o in over}}
                                       if over else {})}, now,
                    status=status_after_receipt(after).value,
                    discrepancies=[*t["discrepancies"], *over])
        uow.commit()
    return view


def close(db: Database, transfer_id: str, reason: str, *,
          actor: str | None = None) -> dict[str, Any]:
    """Record what is still in transit as lost (`transit_loss`), with the reason why."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a close needs a reason", field="reason")
    with db.uow() as uow:
        now = db.clock()
        t = _open(uow, transfer_id, TransferAction.CLOSE)
        after, moves = close_lines(domain_lines(uow.transfers.lines([t["id"]])[t["id"]]))
        record(uow, movements(t, moves, item_ids(uow, t), "close", now, actor), now)
        view = save(uow, t, after, {"event": "closed", "actor": actor, "reason": reason,
                                    "lost": {m.sku: m.quantity for m in moves}}, now,
                    status=TransferStatus.CLOSED_SHORT.value, close_reason=reason)
        uow.commit()
    return view


def cancel(db: Database, transfer_id: str, *, actor: str | None = None) -> dict[str, Any]:
    """Cancel a transfer that has not shipped; nothing has moved, so nothing moves."""
    with db.uow() as uow:
        now = db.clock()
        t = _open(uow, transfer_id, TransferAction.CANCEL)
        view = save(uow, t, None, {"event": "cancelled", "actor": actor}, now,
                    status=TransferStatus.CANCELLED.value)
        uow.commit()
    return view
