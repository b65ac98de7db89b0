"""Transfers: request one, read one, list them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ...domain.errors import InvalidInput, NotFound
from ...domain.transfers import IN_TRANSIT, OPEN, TransferRequest, TransferStatus
from ...store.database import Database
from ..movements import time_window
from .view import transfer_view
from .write import save

# `status` filters: a status, or one of these groups.
GROUPS = {"open": tuple(s.value for s in OPEN), "in_transit": tuple(s.value for s in IN_TRANSIT)}
STATUS_FILTERS = (*GROUPS, *(s.value for s in TransferStatus))


def create_transfer(db: Database, *, from_location: str, to_location: str,
                    lines: list[dict[str, Any]], expected_at: datetime,
                    reference: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """A transfer in status `requested`: nothing moves until it is shipped."""
    request = TransferRequest(from_location, to_location,
                              tuple((ln["sku"], ln["quantity"]) for ln in lines), expected_at,
                              reference).validate(time_window(db))
    transfer_id = str(uuid.uuid4())
    with db.uow() as uow:
        now = db.clock()
        row = {"id": transfer_id, "status": TransferStatus.REQUESTED.value,
               "from_location_id": uow.catalog.location_id(from_location, "from_location"),
               "to_location_id": uow.catalog.location_id(to_location, "to_location"),
               "expected_at": request.expected_at, "reference": reference,
               "inbound_reference": f"transfer:{transfer_id}", "order_id": None,
               "fulfillment": None, "managed_by_order": False, "close_reason": None,
               "discrepancies": [], "history": [], "created_at": now, "updated_at": now,
               "shipped_at": None, "actor": actor}
        uow.transfers.insert(row, [(uow.catalog.item_id(sku, f"lines[{i}].sku"), q)
                                   for i, (sku, q) in enumerate(request.lines)])
        t = {**row, "from_location": from_location, "to_location": to_location}
        view = save(uow, t, None, {"event": "requested", "actor": actor}, now)
        uow.commit()
    return view


def get_transfer(db: Database, transfer_id: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        t = uow.transfers.get(transfer_id)
        if t is None:
            raise NotFound(f"transfer {transfer_id!r} not found", field="id")
        lines = uow.transfers.lines([transfer_id])[transfer_id]
    return transfer_view(t, lines, db.clock())


def list_transfers(db: Database, *, status: str | None = None, location: str | None = None,
                   sku: str | None = None, order_id: str | None = None,
                   limit: int = 50) -> dict[str, Any]:
    """Newest first; `status` is a status, `open` or `in_transit` (shipped or partly
    received); `location` matches either end."""
    if status is not None and status not in STATUS_FILTERS:
        raise InvalidInput(f"status must be one of {', '.join(STATUS_FILTERS)}", field="status")
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", field="limit")
    statuses = GROUPS.get(status, (status,)) if status else None
    with db.uow(readonly=True) as uow:
        rows = uow.transfers.search(
            statuses=statuses, order_id=order_id, limit=limit,
            location_id=uow.catalog.location_id(location) if location else None,
            item_id=uow.catalog.item_id(sku) if sku else None)
        lines = uow.transfers.lines([r["id"] for r in rows])
    now = db.clock()
    return {"transfers": [transfer_view(r, lines[r["id"]], now, full=False) for r in rows]}
