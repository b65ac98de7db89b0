"""What every transfer use case writes: its lines, status, history and `transfer.changed`
event, and the stock movements of its steps (source "transfer"), in the caller's transaction.

Lock order: the transfer row first (store/transfers.py), then positions through the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ...domain.errors import NotFound
from ...domain.ledger import Movement
from ...domain.movements import MovementType
from ...domain.transfers import Line, Move
from ...store.unit_of_work import UnitOfWork
from ..context import iso, payload_hash
from .view import event_data, transfer_view

SOURCE = "transfer"
TRANSIT_LOSS_REASON = "transit_loss"
# Units received beyond what was shipped were not in the books anywhere: found stock.
OVER_RECEIPT_REASON = "found"
_REASONS = {MovementType.TRANSIT_LOSS: TRANSIT_LOSS_REASON,
            MovementType.ADJUSTMENT: OVER_RECEIPT_REASON}


def locked_transfer(uow: UnitOfWork, transfer_id: str) -> dict[str, Any]:
    t = uow.transfers.get(transfer_id, lock=True)
    if t is None:
        raise NotFound(f"transfer {transfer_id!r} not found", field="id")
    return t


def movements(t: dict[str, Any], moves: Sequence[Move], item_ids: dict[str, int], step: str,
              now: datetime, actor: str | None) -> list[Movement]:
    """The ledger movements of a step (`ship`, `receipt3`, `close`) of transfer `t`."""
    out = []
    for mv in moves:
        side = "from" if mv.at == "from" else "to"
        where = (t[f"{side}_location_id"], t[f"{side}_location"])
        expected = mv.type is MovementType.EXPECTED
        out.append(Movement(
            mv.type, item_ids[mv.sku], where[0], mv.sku, where[1], mv.quantity, now, SOURCE,
            f"{t['id']}:{step}:{mv.sku}:{mv.type.value}",
            payload_hash({"transfer": t["id"], "step": step, "type": mv.type.value,
                          "sku": mv.sku, "quantity": mv.quantity}),
            reason=_REASONS.get(mv.type), reference=t["inbound_reference"], actor=actor,
            expected_at=t["expected_at"] if expected else None,
            inbound_kind="order" if t["order_id"] else "transfer"))
    return out


def save(uow: UnitOfWork, t: dict[str, Any], lines: tuple[Line, ...] | None,
         event: dict[str, Any], now: datetime, **changes: Any) -> dict[str, Any]:
    """Save the lines' counts and `changes`, append `event` to the history and queue the
    `transfer.changed` event; the transfer's view."""
    rows = uow.transfers.lines([t["id"]])[t["id"]]
    if lines is not None:
        by_sku = {ln.sku: ln for ln in lines}
        rows = [{**r, "shipped": by_sku[r["sku"]].shipped, "received": by_sku[r["sku"]].received,
                 "lost": by_sku[r["sku"]].lost, "over": by_sku[r["sku"]].over} for r in rows]
        uow.transfers.set_lines(t["id"], rows)
    history = [*t["history"], {"at": iso(now), **event}]
    saved = {**changes, "history": history, "updated_at": now}
    uow.transfers.update(t["id"], **saved)
    t = {**t, **saved}
    view = transfer_view(t, rows, now)
    uow.outbox.add("transfer.changed", t["id"], event_data(view, event["event"]), now, now)
    return view


def item_ids(uow: UnitOfWork, t: dict[str, Any]) -> dict[str, int]:
    return {r["sku"]: r["item_id"] for r in uow.transfers.lines([t["id"]])[t["id"]]}
