"""How a transfer reads, and its `transfer.changed` event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.transfers import Line, allowed_actions, is_late
from ..context import iso


def domain_lines(rows: list[dict[str, Any]]) -> tuple[Line, ...]:
    return tuple(Line(r["sku"], r["quantity"], r["shipped"], r["received"], r["lost"], r["over"])
                 for r in rows)


def line_view(ln: Line) -> dict[str, Any]:
    return {"sku": ln.sku, "quantity": ln.quantity, "shipped": ln.shipped,
            "received": ln.received, "lost": ln.lost, "in_transit": ln.in_transit,
            "over_received": ln.over}


def transfer_view(t: dict[str, Any], lines: list[dict[str, Any]], now: datetime, *,
                  full: bool = True) -> dict[str, Any]:
    view = {
        "id": t["id"], "status": t["status"], "from_location": t["from_location"],
        "to_location": t["to_location"], "expected_at": iso(t["expected_at"]),
        "late": is_late(t["status"], t["expected_at"], now), "reference": t["reference"],
        "order_id": t["order_id"], "fulfillment": t["fulfillment"],
        "lines": [line_view(ln) for ln in domain_lines(lines)],
        "in_transit": sum(ln.in_transit for ln in domain_lines(lines)),
        "discrepancies": t["discrepancies"], "close_reason": t["close_reason"],
        "allowed_actions": [] if t["managed_by_order"] else allowed_actions(t["status"]),
        "created_at": iso(t["created_at"]), "updated_at": iso(t["updated_at"]),
        "shipped_at": iso(t["shipped_at"]),
    }
    if full:
        view["history"] = t["history"]
    return view


def event_data(view: dict[str, Any], event: str) -> dict[str, Any]:
    """The `transfer.changed` outbox event: the transfer as it now reads, and what happened."""
    return {"event": event, **{k: v for k, v in view.items() if k != "history"}}
