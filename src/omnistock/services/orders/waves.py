"""A backlog of orders planned as one wave against shared stock and node capacity.

Orders are grouped by channel (each channel has its own locations and policy); each group is
planned jointly by the engine's plan_batch and compared with planning them one by one.
Applying places every order with its wave plan first (a lost race re-plans it alone).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...domain.errors import DomainError, UnknownReference
from ...domain.sourcing.batch import BatchPlan, plan_batch
from ...solver import quiet_highs
from ...store.database import Database
from ...store.unit_of_work import UnitOfWork
from .network import read_network
from .place import place_order
from .request import OrderRequest


@dataclass
class Backlog:
    requests: list[OrderRequest] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {line, order_id, error}


@dataclass(frozen=True, slots=True)
class Wave:
    channel: str
    requests: tuple[OrderRequest, ...]
    plan: BatchPlan

    def summary(self) -> dict[str, Any]:
        p = self.plan
        return {"channel": self.channel, "orders": len(self.requests), "strategy": p.strategy,
                "served": len(p.plans), "total_cost": p.total_cost,
                "served_one_by_one": len(p.sequential_plans),
                "one_by_one_cost": p.sequential_cost,
                "saving": round(p.sequential_cost - p.total_cost, 2),
                "unserved": list(p.unserved), "notes": list(p.notes)}


def read_backlog(lines: Iterable[str]) -> Backlog:
    """JSON Lines of {order_id, channel, lines, delivery}; a bad line is rejected, not fatal."""
    backlog, seen = Backlog(), set()
    for n, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("a line must be a JSON object")
            request = OrderRequest.parse(data.get("order_id"), data.get("channel"),
                                         data.get("lines"), data.get("delivery"))
        except (ValueError, DomainError) as e:
            backlog.rejected.append({"line": n, "error": getattr(e, "detail", str(e))})
            continue
        if request.order_id in seen:
            backlog.rejected.append({"line": n, "order_id": request.order_id,
                                     "error": "order_id appears twice in the backlog"})
            continue
        seen.add(request.order_id)
        backlog.requests.append(request)
    return backlog


def plan_waves(db: Database, backlog: Backlog) -> list[Wave]:
    """One wave per channel, in order of first appearance; orders naming an unknown channel
    or sku, or already placed, are moved to `backlog.rejected`."""
    groups: dict[str, list[OrderRequest]] = {}
    for r in backlog.requests:
        groups.setdefault(r.channel, []).append(r)
    waves = []
    for channel, requests in groups.items():
        with db.uow(readonly=True) as uow:
            usable = [r for r in requests if _usable(uow, r, backlog)]
            skus = sorted({s for r in usable for s in r.skus})
            try:
                network = read_network(uow, channel, skus, db.clock())
            except DomainError as e:
                backlog.rejected += [{"order_id": r.order_id, "error": e.detail} for r in usable]
                continue
        plan = plan_batch([r.sourcing() for r in usable], network.candidates, network.policy,
                          new_solver=quiet_highs)
        waves.append(Wave(channel, tuple(usable), plan))
    return waves


def _usable(uow: UnitOfWork, request: OrderRequest, backlog: Backlog) -> bool:
    if uow.orders.get(request.order_id) is not None:
        backlog.rejected.append({"order_id": request.order_id, "error": "already placed"})
        return False
    try:
        for sku in request.skus:
            uow.catalog.item_id(sku)
    except UnknownReference as e:
        backlog.rejected.append({"order_id": request.order_id, "error": e.detail})
        return False
    return True


def apply_wave(db: Database, wave: Wave, actor: str | None = None) -> dict[str, Any]:
    """Place the wave's orders, each with its joint plan when it has one."""
    plans = {p.order_id: p for p in wave.plan.plans}
    placed, refused = [], []
    for r in wave.requests:
        try:
            place_order(db, r.order_id, r.channel,
                        [{"sku": ln.sku, "quantity": ln.quantity} for ln in r.lines],
                        r.delivery_dict(), actor, plan=plans.get(r.order_id))
            placed.append(r.order_id)
        except DomainError as e:
            refused.append({"order_id": r.order_id, "error": e.detail})
    return {"channel": wave.channel, "placed": placed, "refused": refused}
