"""Returns: what becomes of the units a customer brings back, decided by rules kept as data.

A `ReturnPolicy` is an ordered list of rules and a par level. The first rule for the
return's condition whose facts (`when`) all hold decides; every condition must end with a
rule without facts, so a decision is always found. The built-in policy:

| rule                  | condition | when                     | action           |
|-----------------------|-----------|--------------------------|------------------|
| restock_here          | sellable  | sold_here, under_target  | restock          |
| transfer_where_needed | sellable  |                          | transfer, needed |
| damaged               | damaged   |                          | damaged          |
| return_to_vendor      | defective |                          | return_to_vendor |
| open_box_inspection   | open_box  |                          | quality_control  |

Facts of the return's location, before the return: `sold_here`, it holds a position of the
item and belongs to a channel; `under_target`, its free units (on_hand less committed,
reserved, damaged and quality_control: safety stock counts as shelf stock) are below its
target, the larger of its safety stock and the policy's par level.

A transfer goes `to` "needed" (the selling store or dark store furthest below its target,
else the nearest DC), "dc" (the nearest DC) or a location code. What comes back to a DC is
sent to no other DC. Where no such place exists the units are restocked here, and the reason
says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput, InvalidState
from .geo import haversine_km
from .movements import MovementType
from .return_rules import DEFAULT_POLICY, NEAREST_DC, NEEDED, Action, Condition, ReturnPolicy

__all__ = ["DEFAULT_POLICY", "MOVEMENTS", "Action", "Condition", "Disposition", "OrderLineSale",
           "ReturnPolicy", "Shelf", "check_returnable", "decide"]

# The movements at the return's location, in order: (type, reason). Units bound for a transfer
# stay on hand (sellable) until the transfer ships them: held out of availability they would
# be stranded should no transfer follow. Units for the vendor wait in `damaged` until they
# leave (a write_off with reason return_to_vendor).
MOVEMENTS: dict[Action, tuple[tuple[MovementType, str], ...]] = {
    Action.RESTOCK: ((MovementType.RETURN, "customer_return"),),
    Action.TRANSFER: ((MovementType.RETURN, "customer_return"),),
    Action.DAMAGED: ((MovementType.RETURN, "customer_return"),
                     (MovementType.DAMAGE, "return_damaged")),
    Action.RETURN_TO_VENDOR: ((MovementType.RETURN, "customer_return"),
                              (MovementType.DAMAGE, "return_to_vendor")),
    Action.QUALITY_CONTROL: ((MovementType.RETURN, "customer_return"),
                             (MovementType.QUALITY_CONTROL_IN, "open_box")),
}



@dataclass(frozen=True, slots=True)
class Shelf:
    """One location's stock of the returned item, as the rules see it."""

    location: str
    kind: str  # dc | store | dark_store | 3pl | ...
    sells: bool  # holds a position of the item and belongs to a channel
    free: int = 0  # on_hand - committed - reserved - damaged - quality_control
    safety_stock: int = 0
    latitude: float | None = None
    longitude: float | None = None

    def target(self, par_level: int) -> int:
        return max(self.safety_stock, par_level)

    def shortfall(self, par_level: int) -> int:
        return self.target(par_level) - self.free


@dataclass(frozen=True, slots=True)
class Disposition:
    action: Action
    location: str
    reason: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action.value, "location": self.location, "reason": self.reason,
                "rule": self.rule}


def facts(here: Shelf, par_level: int) -> dict[str, bool]:
    return {"sold_here": here.sells, "under_target": here.shortfall(par_level) > 0}


def decide(condition: Condition, here: Shelf, others: Sequence[Shelf],
           policy: ReturnPolicy = DEFAULT_POLICY) -> Disposition:
    """The disposition of a return at `here`; `others` are the rest of the network."""
    known = facts(here, policy.par_level)
    rule = next(r for r in policy.rules
                if r.condition is condition and all(known[f] for f in r.when))
    why = _circumstances(condition, here, known, policy.par_level)
    if rule.action is not Action.TRANSFER:
        return Disposition(rule.action, here.location, f"{why}: {_DONE[rule.action]}", rule.name)
    assert rule.to is not None
    target, how = _destination(rule.to, here, others, policy.par_level)
    if target is None:
        return Disposition(Action.RESTOCK, here.location, f"{why}; {how}: restocked here",
                           rule.name)
    return Disposition(Action.TRANSFER, target.location, f"{why}; {how}", rule.name)


_DONE = {Action.RESTOCK: "restocked here", Action.DAMAGED: "kept here as damaged",
         Action.RETURN_TO_VENDOR: "kept here unsellable, to go back to the vendor",
         Action.QUALITY_CONTROL: "sent to quality control here"}


def _circumstances(condition: Condition, here: Shelf, known: dict[str, bool],
                   par_level: int) -> str:
    if condition is not Condition.SELLABLE:
        return f"returned {condition.value.replace('_', ' ')}"
    if not known["sold_here"]:
        return f"sellable; {here.location} does not sell it"
    return (f"sellable; {here.location} has {here.free} free of a target of "
            f"{here.target(par_level)}")


def _destination(to: str, here: Shelf, others: Sequence[Shelf],
                 par_level: int) -> tuple[Shelf | None, str]:
    if to == NEEDED:
        short = [s for s in others if s.sells and s.kind in ("store", "dark_store")
                 and s.shortfall(par_level) > 0]
        if short:
            best = min(short, key=lambda s: (-s.shortfall(par_level), _km(here, s), s.location))
            return best, (f"{best.location} needs it most ({best.free} free of a target of "
                          f"{best.target(par_level)}): transfer there")
        dc = _nearest_dc(here, others)
        if dc is None:
            return None, "no location is below its target and there is no other DC"
        return dc, f"no location is below its target: transfer to the DC {dc.location}"
    if to == NEAREST_DC:
        dc = _nearest_dc(here, others)
        return (dc, f"transfer to the DC {dc.location}") if dc else (None, "there is no other DC")
    named = next((s for s in others if s.location == to), None)
    if named is None:
        return None, f"the rule's destination {to} is this location or unknown"
    return named, f"the rule sends it to {to}"


def _nearest_dc(here: Shelf, others: Sequence[Shelf]) -> Shelf | None:
    """None at a DC: what came back to a DC stays there unless a store needs it."""
    dcs = [s for s in others if s.kind == "dc"] if here.kind != "dc" else []
    return min(dcs, key=lambda s: (_km(here, s), s.location)) if dcs else None


def _km(a: Shelf, b: Shelf) -> float:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return float("inf")
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)  # type: ignore[arg-type]


# -- returns against an order ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OrderLineSale:
    """What an order sold of one sku: units ordered and not cancelled, units delivered (shipped
    or picked up), and units already returned."""

    sold: int
    delivered: int
    returned: int

    @property
    def returnable(self) -> int:
        return max(0, self.sold - self.returned)


def check_returnable(order_id: str, sku: str, sale: OrderLineSale, quantity: int) -> bool:
    """Refuse a return beyond what the order sold (earlier returns counted); True when the
    return arrives before the units' shipment was recorded.

    Such a return is accepted, up to what was ordered: the customer is at the counter with the
    units, and a shipment feed running late must not turn them away. The ledger stays true
    either way (the node's ship movement follows on its own)."""
    if sale.sold == 0:
        raise InvalidInput(f"order {order_id} sold no {sku}", field="sku")
    if quantity > sale.returnable:
        raise InvalidState(
            f"order {order_id} sold {sale.sold} of {sku} and {sale.returned} came back "
            f"already: at most {sale.returnable} can be returned", field="quantity",
            sold=sale.sold, returned=sale.returned, returnable=sale.returnable)
    return sale.returned + quantity > sale.delivered
