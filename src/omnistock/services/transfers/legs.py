"""An order's transfer leg (endless aisle) as a transfer record, kept in step with its
fulfillment by the order's own use cases, in their transactions.

The leg's stock movements stay the order's (services/orders/fulfillment.py): its units are
expected at the pickup store as kind `order` with the order's id as reference, so future ATP
never offers them again and only the order's receipt closes them. The record makes the leg
visible with every other transfer. Should the order be cancelled while the box is on its way,
the record is let go: it is then received or closed like any transfer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ...domain.transfers import TransferStatus, status_after_receipt
from ...store.unit_of_work import UnitOfWork
from .view import domain_lines
from .write import save

S = TransferStatus


def open_leg(uow: UnitOfWork, order_id: str, number: int, from_id: int, to_id: int,
             lines: Sequence[tuple[int, int]], expected_at: datetime, now: datetime,
             actor: str | None = None) -> None:
    transfer_id = str(uuid.uuid4())
    row = {"id": transfer_id, "status": S.REQUESTED.value, "from_location_id": from_id,
           "to_location_id": to_id, "expected_at": expected_at,
           "reference": f"order:{order_id}", "inbound_reference": order_id,
           "order_id": order_id, "fulfillment": number, "managed_by_order": True,
           "close_reason": None, "discrepancies": [], "history": [], "created_at": now,
           "updated_at": now, "shipped_at": None, "actor": actor}
    uow.transfers.insert(row, lines)
    t = uow.transfers.get(transfer_id)
    assert t is not None
    save(uow, t, None, {"event": "requested", "actor": actor, "order_id": order_id}, now)


def _leg(uow: UnitOfWork, order_id: str, number: int) -> dict[str, Any] | None:
    return uow.transfers.of_fulfillment(order_id, number, lock=True)


def ship_leg(uow: UnitOfWork, order_id: str, number: int, shipped: dict[str, int],
             expected_at: datetime, now: datetime, actor: str | None = None) -> None:
    """The fulfillment shipped `shipped` units per sku (a short may have left fewer)."""
    t = _leg(uow, order_id, number)
    if t is None:  # an order placed before transfers were recorded
        return
    lines = tuple(replace(ln, shipped=shipped.get(ln.sku, 0))
                  for ln in domain_lines(uow.transfers.lines([t["id"]])[t["id"]]))
    save(uow, t, lines, {"event": "shipped", "actor": actor, "lines": shipped}, now,
         status=S.SHIPPED.value, shipped_at=now, expected_at=expected_at)


def receive_leg(uow: UnitOfWork, order_id: str, number: int, now: datetime,
                actor: str | None = None) -> None:
    """The pickup store received the box (the fulfillment's `ready`)."""
    t = _leg(uow, order_id, number)
    if t is None:
        return
    lines = tuple(replace(ln, received=ln.received + ln.in_transit)
                  for ln in domain_lines(uow.transfers.lines([t["id"]])[t["id"]]))
    save(uow, t, lines, {"event": "received", "actor": actor,
                         "lines": {ln.sku: ln.received for ln in lines}}, now,
         status=status_after_receipt(lines).value)


def cancel_leg(uow: UnitOfWork, order_id: str, number: int, now: datetime,
               actor: str | None = None) -> None:
    """The order no longer wants the leg: cancelled before it ships, let go once it has."""
    t = _leg(uow, order_id, number)
    if t is None or not t["managed_by_order"]:
        return
    if t["status"] == S.REQUESTED:
        save(uow, t, None, {"event": "cancelled", "actor": actor}, now,
             status=S.CANCELLED.value, managed_by_order=False)
    else:
        save(uow, t, None, {"event": "released", "actor": actor,
                            "detail": f"order {order_id} was cancelled with the units on "
                                      "their way: receive or close them here"}, now,
             managed_by_order=False)
