"""Reorder points, order-up-to levels, and the proposals they make.

Periodic review with a reorder point: a position is reviewed every `review_days`; its
inventory position (available + incoming) at or below the reorder point (demand over the lead
time + safety stock) asks for enough to reach the order-up-to level (demand over lead time and
review period + safety stock), rounded up to the pack size and at least the minimum order.
Stores are replenished from a DC (a transfer proposal, as far as the DC has units beyond its
own reorder point), DCs and stores no DC can serve from their supplier (a purchase order
proposal).

Rebalancing moves units that a location holds beyond its order-up-to level to a location short
of its reorder point, when the margin of the units expected to sell there within the horizon
beats what the move costs (per unit and per transfer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Policy:
    review_days: float = 7.0
    lead_time_days: float = 3.0  # DC -> store
    supplier_lead_time_days: float = 10.0  # supplier -> DC
    pack_size: int = 1
    min_order: int = 1
    unit_margin: float = 1.0  # of a unit sold, when the item has no cost to derive it from
    margin_rate: float = 0.5  # of cost: margin = cost x rate, when the item has a cost
    transfer_unit_cost: float = 0.2
    transfer_fixed_cost: float = 5.0
    horizon_days: float = 14.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        policy = cls(**known)
        if policy.pack_size < 1 or policy.min_order < 1 or policy.review_days <= 0:
            raise ValueError("pack_size and min_order are at least 1, review_days positive")
        return policy


@dataclass(frozen=True, slots=True)
class PositionPlan:
    """What planning knows of one item at one location."""

    sku: str
    location: str
    kind: str  # the location's kind: dc, store ...
    available: int  # before safety stock, which the reorder point adds as a target
    incoming: int
    safety_stock: int
    daily_demand: float
    unit_cost: float | None = None

    @property
    def inventory_position(self) -> int:
        return self.available + self.incoming


@dataclass(frozen=True, slots=True)
class Proposal:
    kind: str  # purchase_order | transfer | rebalance
    sku: str
    to_location: str
    quantity: int
    from_location: str | None
    why: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sku": self.sku, "from_location": self.from_location,
                "to_location": self.to_location, "quantity": self.quantity, "why": self.why}


def lead_time(p: PositionPlan, policy: Policy, has_dc: bool) -> float:
    return policy.lead_time_days if p.kind != "dc" and has_dc else \
        policy.supplier_lead_time_days


def reorder_point(p: PositionPlan, lead_days: float) -> float:
    return p.daily_demand * lead_days + p.safety_stock


def order_up_to(p: PositionPlan, lead_days: float, policy: Policy) -> float:
    return p.daily_demand * (lead_days + policy.review_days) + p.safety_stock


def _rounded(units: float, policy: Policy) -> int:
    units = max(units, policy.min_order)
    return math.ceil(units / policy.pack_size - 1e-9) * policy.pack_size


def replenish(positions: Sequence[PositionPlan], policy: Policy) -> list[Proposal]:
    """Proposals for one item's positions across the network (all of one sku)."""
    dcs = sorted((p for p in positions if p.kind == "dc"),
                 key=lambda p: -p.available)
    spare = {p.location: p.available - math.ceil(reorder_point(p, policy.supplier_lead_time_days))
             for p in dcs}
    out: list[Proposal] = []
    wanted: dict[str, int] = {}
    for p in sorted(positions, key=lambda p: (p.kind == "dc", p.location)):
        lead = lead_time(p, policy, bool(dcs))
        rop, target = reorder_point(p, lead), order_up_to(p, lead, policy)
        if target <= 0 or p.inventory_position > rop:
            continue  # nothing to sell, or enough on hand and on the way
        need = _rounded(target - p.inventory_position, policy)
        why = {"inventory_position": p.inventory_position, "reorder_point": round(rop, 2),
               "order_up_to": round(target, 2), "daily_demand": round(p.daily_demand, 3),
               "safety_stock": p.safety_stock, "lead_time_days": lead}
        if p.kind != "dc":
            for dc in dcs:
                give = min(need, max(0, spare[dc.location]))
                if give > 0:
                    spare[dc.location] -= give
                    wanted[dc.location] = wanted.get(dc.location, 0) + give
                    out.append(Proposal("transfer", p.sku, p.location, give, dc.location, why))
                    need -= give
                if need <= 0:
                    break
        if need > 0:
            out.append(Proposal("purchase_order", p.sku, p.location, need, None, why))
    return out


def rebalance(positions: Sequence[PositionPlan], policy: Policy) -> list[Proposal]:
    """Moves of excess from store to store (one item) that pay for themselves."""
    stores = [p for p in positions if p.kind != "dc"]
    excess = {p.location: p.available - math.ceil(order_up_to(p, policy.lead_time_days,
                                                               policy))
              for p in stores}
    out = []
    short = sorted((p for p in stores if p.inventory_position <= reorder_point(
        p, policy.lead_time_days)), key=lambda p: p.inventory_position - p.daily_demand)
    for p in short:
        need = math.ceil(order_up_to(p, policy.lead_time_days, policy)) - p.inventory_position
        sells = min(need, math.floor(p.daily_demand * policy.horizon_days))
        for donor in sorted(stores, key=lambda d: -excess[d.location]):
            if sells <= 0 or donor.location == p.location or excess[donor.location] <= 0:
                continue
            units = min(sells, excess[donor.location])
            margin = (p.unit_cost * policy.margin_rate if p.unit_cost else policy.unit_margin)
            gain = units * margin
            cost = units * policy.transfer_unit_cost + policy.transfer_fixed_cost
            if gain <= cost:
                continue
            excess[donor.location] -= units
            sells -= units
            out.append(Proposal("rebalance", p.sku, p.location, units, donor.location, {
                "expected_margin": round(gain, 2), "transfer_cost": round(cost, 2),
                "donor_excess": excess[donor.location] + units,
                "inventory_position": p.inventory_position}))
    return out


def plan_item(positions: Sequence[PositionPlan], policy: Policy) -> list[Proposal]:
    """Rebalancing first (it moves units already bought), then replenishment of what is
    still short, so no shortage is covered twice."""
    moves = rebalance(positions, policy)
    into: dict[str, int] = {}
    out_of: dict[str, int] = {}
    for m in moves:
        into[m.to_location] = into.get(m.to_location, 0) + m.quantity
        out_of[m.from_location or ""] = out_of.get(m.from_location or "", 0) + m.quantity
    after = [PositionPlan(p.sku, p.location, p.kind, p.available - out_of.get(p.location, 0),
                          p.incoming + into.get(p.location, 0), p.safety_stock,
                          p.daily_demand, p.unit_cost) for p in positions]
    return moves + replenish(after, policy)


@dataclass(frozen=True, slots=True)
class AutoRule:
    """A limit within which proposals are accepted without a planner: of these kinds, up to
    this many units and this value at cost, optionally only into these locations. A proposal
    without a value (its item has no cost) passes a value limit only when there is none."""

    name: str
    kinds: tuple[str, ...] = ("transfer", "rebalance")
    max_quantity: int | None = None
    max_value: float | None = None
    locations: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AutoRule:
        if not isinstance(data, Mapping) or not data.get("name"):
            raise ValueError("an auto_accept rule needs a name")
        locations = data.get("locations")
        return cls(str(data["name"]), tuple(data.get("kinds", ("transfer", "rebalance"))),
                   data.get("max_quantity"), data.get("max_value"),
                   tuple(locations) if locations else None)

    def allows(self, proposal: Proposal, value: float | None) -> bool:
        if proposal.kind not in self.kinds:
            return False
        if self.max_quantity is not None and proposal.quantity > self.max_quantity:
            return False
        if self.max_value is not None and (value is None or value > self.max_value):
            return False
        return self.locations is None or proposal.to_location in self.locations
