"""Sourcing: which locations fulfil an order, at what cost, and why.

Pure: the channel's locations (candidates, with their stock and load) and a policy come in; a
plan with its cost terms and an explanation comes out. Services call
`sourcing_milp.plan_order`, which solves exactly when the model is small enough and otherwise
uses `heuristic_allocation` from here.

Cost of a plan = sum over its shipments of
    shipping    rate table by haversine km (nothing for a pickup at the store itself)
  + handling    per shipment
  + split       split_penalty for each shipment beyond the first
  + capacity    capacity_penalty * u**2, u = the node's utilisation including this shipment
  + protection  protection_penalty per unit drawn from a store's protected units
  - excess      excess_bonus per unit taken from the node's excess stock
Protected units are a hard limit: only a pickup at that very store may draw them.
A node whose open fulfillments already reach its daily_capacity is not usable at all (reason
no_capacity) rather than penalised: it cannot do more work today, whatever the price.

Money is counted in integer cents inside, so two plans compare exactly and the MILP can break a
tie toward the nearer node with a weight that never outweighs a real difference of one cent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from math import isfinite
from typing import Any

from .errors import InsufficientStock, InvalidInput
from .geo import haversine_km, validate_point

Allocation = dict[str, dict[str, int]]  # location code -> sku -> units


def to_cents(amount: float) -> int:
    return round(amount * 100)


def format_money(cents: int) -> str:
    return f"{cents / 100:.2f}"


# --- policy ------------------------------------------------------------------------------------


def _number(value: Any, field: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
        raise InvalidInput(f"{field} must be a number", field=field)
    if value < minimum:
        raise InvalidInput(f"{field} must be at least {minimum:g}, got {value:g}", field=field)
    return float(value)


def _money(value: Any, field: str) -> float:
    amount = _number(value, field)
    if abs(amount * 100 - round(amount * 100)) > 1e-6:
        raise InvalidInput(f"{field} must be a whole number of cents, got {amount}", field=field)
    return round(amount, 2)


def _integer(value: Any, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an integer", field=field)
    if value < minimum:
        raise InvalidInput(f"{field} must be at least {minimum}, got {value}", field=field)
    return value


def _mapping(value: Any, field: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field or 'policy'} must be an object", field=field or "policy")
    for key in value:
        if key not in allowed:
            name = f"{field}.{key}" if field else str(key)
            raise InvalidInput(f"unknown field {name}; expected one of {', '.join(allowed)}",
                               field=name)
    return value


@dataclass(frozen=True, slots=True)
class RateBand:
    max_km: float
    cost: float


@dataclass(frozen=True, slots=True)
class RateTable:
    """Shipping cost by distance: the first band whose max_km covers it, then per km beyond."""

    bands: tuple[RateBand, ...] = (
        RateBand(25, 4.50), RateBand(100, 6.00), RateBand(400, 8.50), RateBand(1000, 12.00),
    )
    per_km_beyond: float = 0.01

    def cost_cents(self, km: float) -> int:
        for band in self.bands:
            if km <= band.max_km:
                return to_cents(band.cost)
        last_km, last_cost = (self.bands[-1].max_km, self.bands[-1].cost) if self.bands else (0, 0)
        return round(to_cents(last_cost) + (km - last_km) * self.per_km_beyond * 100)

    def to_dict(self) -> dict[str, Any]:
        return {"bands": [{"max_km": b.max_km, "cost": b.cost} for b in self.bands],
                "per_km_beyond": self.per_km_beyond}

    @classmethod
    def from_dict(cls, data: Any, field: str = "rate_table") -> RateTable:
        data = _mapping(data, field, ("bands", "per_km_beyond"))
        raw = data.get("bands", [])
        if not isinstance(raw, list | tuple):
            raise InvalidInput(f"{field}.bands must be a list", field=f"{field}.bands")
        bands: list[RateBand] = []
        for i, item in enumerate(raw):
            where = f"{field}.bands[{i}]"
            item = _mapping(item, where, ("max_km", "cost"))
            band = RateBand(_number(item.get("max_km"), f"{where}.max_km", minimum=0.0),
                            _money(item.get("cost"), f"{where}.cost"))
            # Farther must never be cheaper, or the table would reward long hauls.
            if bands and band.max_km <= bands[-1].max_km:
                raise InvalidInput("bands must have increasing max_km", field=f"{where}.max_km")
            if bands and band.cost < bands[-1].cost:
                raise InvalidInput("band costs must not decrease", field=f"{where}.cost")
            bands.append(band)
        default = cls()  # a slots class holds no field defaults as class attributes
        per_km = _number(data.get("per_km_beyond", default.per_km_beyond),
                         f"{field}.per_km_beyond")
        return cls(tuple(bands) if "bands" in data else default.bands, per_km)


@dataclass(frozen=True, slots=True)
class SourcingPolicy:
    """A channel's sourcing rules, stored as JSON. Money in currency units (whole cents)."""

    rate_table: RateTable = field(default_factory=RateTable)
    handling_cost: float = 1.50
    split_penalty: float = 3.00
    capacity_penalty: float = 5.00
    excess_bonus: float = 0.20
    protection_penalty: float = 0.00
    store_protection_units: int = 0  # per sku at a store, when the candidate carries none
    allow_endless_aisle: bool = False
    transfer_days: float = 2.0
    milp_max_variables: int = 5000
    bopis_hold_hours: int = 72

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _POLICY_FIELDS}
        data["rate_table"] = self.rate_table.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SourcingPolicy:
        data = _mapping(data, "", _POLICY_FIELDS)
        d = cls()
        flag = data.get("allow_endless_aisle", d.allow_endless_aisle)
        if not isinstance(flag, bool):
            raise InvalidInput("allow_endless_aisle must be true or false",
                               field="allow_endless_aisle")
        money = {k: _money(data.get(k, getattr(d, k)), k) for k in _MONEY_FIELDS}
        return cls(
            rate_table=RateTable.from_dict(data["rate_table"]) if "rate_table" in data
            else d.rate_table,
            store_protection_units=_integer(
                data.get("store_protection_units", d.store_protection_units),
                "store_protection_units"),
            allow_endless_aisle=flag,
            transfer_days=_number(data.get("transfer_days", d.transfer_days), "transfer_days"),
            milp_max_variables=_integer(data.get("milp_max_variables", d.milp_max_variables),
                                        "milp_max_variables"),
            bopis_hold_hours=_integer(data.get("bopis_hold_hours", d.bopis_hold_hours),
                                      "bopis_hold_hours", minimum=1),
            **money,
        )


_MONEY_FIELDS = ("handling_cost", "split_penalty", "capacity_penalty", "excess_bonus",
                 "protection_penalty")
_POLICY_FIELDS = ("rate_table", *_MONEY_FIELDS, "store_protection_units", "allow_endless_aisle",
                  "transfer_days", "milp_max_variables", "bopis_hold_hours")


def capacity_cents(policy: SourcingPolicy, open_fulfillments: int,
                   daily_capacity: int | None, nth: int = 1) -> int | None:
    """Penalty of the nth new shipment at a node; None when it would exceed daily_capacity.

    Grows with the square of utilisation, so a nearly full node is avoided well before it is
    full; None (unlimited) costs nothing.
    """
    if daily_capacity is None:
        return 0
    load = max(0, open_fulfillments) + nth
    if load > daily_capacity:
        return None
    return round(to_cents(policy.capacity_penalty) * (load / daily_capacity) ** 2)


# --- inputs ------------------------------------------------------------------------------------


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    CURBSIDE = "curbside"


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """`ship` to latitude/longitude, or `pickup`/`curbside` at the store `location`."""

    method: DeliveryMethod | str
    latitude: float | None = None
    longitude: float | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class SourcingOrder:
    order_id: str
    lines: tuple[OrderLine, ...]
    delivery: Delivery


@dataclass(frozen=True, slots=True)
class Candidate:
    """One location of the channel as sourcing sees it.

    `available` per sku counts every unit an order may take, protected ones included;
    `protected` per sku says how many of them only a pickup at this store may take (a store
    without an entry gets the policy's store_protection_units); `excess` per sku counts units
    the retailer wants to move (they earn the excess bonus).
    """

    code: str
    latitude: float
    longitude: float
    kind: str = "store"
    can_ship: bool = True
    can_pickup: bool = False
    daily_capacity: int | None = None
    open_fulfillments: int = 0
    available: Mapping[str, int] = field(default_factory=dict)
    protected: Mapping[str, int] = field(default_factory=dict)
    excess: Mapping[str, int] = field(default_factory=dict)

    def protected_units(self, sku: str, policy: SourcingPolicy) -> int:
        if sku in self.protected:
            return max(0, self.protected[sku])
        return policy.store_protection_units if self.kind == "store" else 0


# --- the prepared problem ----------------------------------------------------------------------


class Mode(StrEnum):
    SHIP = "ship"  # to the customer
    PICKUP = "pickup"  # the customer collects at this store (pickup or curbside)
    TRANSFER = "transfer"  # endless aisle: shipped into the pickup store first


class Exclusion(StrEnum):
    CANNOT_SHIP = "cannot_ship"
    ENDLESS_AISLE_DISABLED = "endless_aisle_disabled"
    NO_STOCK = "no_stock"
    PROTECTED = "protected"
    NO_CAPACITY = "no_capacity"


class UnitSource(StrEnum):
    EXCESS = "excess"
    FREE = "free"
    PROTECTED = "protected"


@dataclass(frozen=True, slots=True)
class Segment:
    """Units of one sku at one node that cost the same per unit (cents, negative = bonus)."""

    source: UnitSource
    units: int
    unit_cents: int


@dataclass(frozen=True, slots=True)
class Route:
    """A usable candidate for this order. Segments are in increasing unit cost."""

    code: str
    mode: Mode
    distance_km: float
    transfer_days: float
    shipping: int
    capacity: int
    segments: Mapping[str, tuple[Segment, ...]]
    withheld: Mapping[str, int]  # protected units this order may not take
    rank: int  # by distance then code; the tie-break
    units: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # allocatable() sits in every inner loop of the planners: count once
        object.__setattr__(self, "units", {sku: sum(seg.units for seg in segments)
                                           for sku, segments in self.segments.items()})

    def allocatable(self, sku: str) -> int:
        return self.units.get(sku, 0)


@dataclass(frozen=True, slots=True)
class Excluded:
    code: str
    reason: Exclusion
    mode: Mode | None
    distance_km: float | None
    withheld: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class SourcingProblem:
    order: SourcingOrder
    policy: SourcingPolicy
    quantities: Mapping[str, int]  # per sku, duplicate lines merged
    routes: tuple[Route, ...]  # in rank order
    excluded: tuple[Excluded, ...]
    by_code: Mapping[str, Route] = field(init=False, repr=False, compare=False)
    covering: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {r.code: r for r in self.routes})
        object.__setattr__(self, "covering", frozenset(
            r.code for r in self.routes
            if all(r.allocatable(s) >= q for s, q in self.quantities.items())))

    def route(self, code: str) -> Route:
        return self.by_code[code]

    def fixed_cents(self, route: Route) -> int:
        return route.shipping + to_cents(self.policy.handling_cost) + route.capacity

    def covers(self, route: Route) -> bool:
        return route.code in self.covering


def order_quantities(order: SourcingOrder) -> dict[str, int]:
    if not order.lines:
        raise InvalidInput("an order needs at least one line", field="lines")
    quantities: dict[str, int] = {}
    for i, line in enumerate(order.lines):
        if not isinstance(line.sku, str) or not line.sku:
            raise InvalidInput("sku must be a non-empty string", field=f"lines[{i}].sku")
        _integer(line.quantity, f"lines[{i}].quantity", minimum=1)
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return quantities


def _destination(delivery: Delivery, method: DeliveryMethod,
                 candidates: Sequence[Candidate]) -> tuple[float, float]:
    if method is DeliveryMethod.SHIP:
        validate_point(delivery.latitude, delivery.longitude, "delivery.")
        return float(delivery.latitude or 0), float(delivery.longitude or 0)
    store = next((c for c in candidates if c.code == delivery.location), None)
    if store is None:
        raise InvalidInput(f"pickup location {delivery.location!r} is not a location of the "
                           "channel", field="delivery.location")
    if not store.can_pickup:
        raise InvalidInput(f"{store.code} does not offer pickup", field="delivery.location")
    return store.latitude, store.longitude


def _mode(c: Candidate, delivery: Delivery, method: DeliveryMethod,
          policy: SourcingPolicy) -> Mode | Exclusion:
    if method is DeliveryMethod.SHIP:
        return Mode.SHIP if c.can_ship else Exclusion.CANNOT_SHIP
    if c.code == delivery.location:
        return Mode.PICKUP
    if not policy.allow_endless_aisle:
        return Exclusion.ENDLESS_AISLE_DISABLED
    return Mode.TRANSFER if c.can_ship else Exclusion.CANNOT_SHIP


def _segments(c: Candidate, sku: str, mode: Mode, policy: SourcingPolicy,
              ) -> tuple[tuple[Segment, ...], int]:
    """The sku's units at c in increasing unit cost, and the protected units withheld."""
    available = c.available.get(sku, 0)
    if available <= 0:
        return (), 0
    protected = min(available, c.protected_units(sku, policy))
    free = available - protected
    excess = min(free, max(0, c.excess.get(sku, 0)))
    parts = [Segment(UnitSource.EXCESS, excess, -to_cents(policy.excess_bonus)),
             Segment(UnitSource.FREE, free - excess, 0)]
    if mode is Mode.PICKUP:
        parts.append(Segment(UnitSource.PROTECTED, protected,
                             to_cents(policy.protection_penalty)))
        protected = 0
    return tuple(p for p in parts if p.units > 0), protected


def _assess(c: Candidate, order: SourcingOrder, method: DeliveryMethod,
            destination: tuple[float, float], quantities: Mapping[str, int],
            policy: SourcingPolicy) -> Route | Excluded:
    """The candidate as a route for this order (rank still 0), or why it cannot be one."""
    mode = _mode(c, order.delivery, method, policy)
    if isinstance(mode, Exclusion):
        return Excluded(c.code, mode, None, None, {})
    km = 0.0 if mode is Mode.PICKUP else haversine_km(c.latitude, c.longitude, *destination)
    parts = {sku: _segments(c, sku, mode, policy) for sku in quantities}
    segments = {sku: segs for sku, (segs, _) in parts.items() if segs}
    withheld = {sku: held for sku, (_, held) in parts.items() if held}
    load = capacity_cents(policy, c.open_fulfillments, c.daily_capacity)
    if not segments:
        reason = Exclusion.PROTECTED if withheld else Exclusion.NO_STOCK
        return Excluded(c.code, reason, mode, round(km, 1), withheld)
    if load is None:
        return Excluded(c.code, Exclusion.NO_CAPACITY, mode, round(km, 1), withheld)
    shipping = 0 if mode is Mode.PICKUP else policy.rate_table.cost_cents(km)
    days = policy.transfer_days if mode is Mode.TRANSFER else 0.0
    return Route(c.code, mode, km, days, shipping, load, segments, withheld, 0)


def prepare(order: SourcingOrder, candidates: Sequence[Candidate],
            policy: SourcingPolicy) -> SourcingProblem:
    """Validate the order, sort candidates into usable routes and exclusions, check coverage.

    Raises InvalidInput (naming the field) and InsufficientStock (naming the lines short).
    """
    quantities = order_quantities(order)
    try:
        method = DeliveryMethod(order.delivery.method)
    except ValueError:
        raise InvalidInput("delivery.method must be ship, pickup or curbside",
                           field="delivery.method") from None
    if len({c.code for c in candidates}) != len(candidates):
        raise InvalidInput("candidate location codes must be unique", field="candidates")
    destination = _destination(order.delivery, method, candidates)
    assessed = [_assess(c, order, method, destination, quantities, policy) for c in candidates]
    usable = sorted((r for r in assessed if isinstance(r, Route)),
                    key=lambda r: (r.distance_km, r.code))
    routes = tuple(replace(r, rank=rank) for rank, r in enumerate(usable))
    excluded = tuple(e for e in assessed if isinstance(e, Excluded))
    problem = SourcingProblem(order, policy, quantities, routes, excluded)
    _check_coverage(problem)
    return problem


def _check_coverage(problem: SourcingProblem) -> None:
    short: list[dict[str, Any]] = []
    for sku, requested in problem.quantities.items():
        available = sum(r.allocatable(sku) for r in problem.routes)
        if available < requested:
            short.append({"sku": sku, "requested": requested, "available": available})
    if short:
        skus = ", ".join(line["sku"] for line in short)
        raise InsufficientStock(f"order {problem.order.order_id} cannot be met: short of {skus}",
                                lines=short, order_id=problem.order.order_id)


# --- cost --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostTerms:
    """Cost terms in cents; excess_bonus is a saving, subtracted in the total."""

    shipping: int = 0
    handling: int = 0
    split: int = 0
    capacity: int = 0
    protection: int = 0
    excess_bonus: int = 0

    @property
    def total(self) -> int:
        return (self.shipping + self.handling + self.split + self.capacity + self.protection
                - self.excess_bonus)

    def __add__(self, other: CostTerms) -> CostTerms:
        return CostTerms(*(getattr(self, n) + getattr(other, n) for n in _TERMS))

    def to_dict(self) -> dict[str, float]:
        data = {n: getattr(self, n) / 100 for n in _TERMS}
        data["total"] = self.total / 100
        return data


_TERMS = ("shipping", "handling", "split", "capacity", "protection", "excess_bonus")


def take(route: Route, sku: str, quantity: int) -> dict[UnitSource, int]:
    """Units per source when `quantity` is taken cheapest first (the optimal order)."""
    taken: dict[UnitSource, int] = {}
    left = quantity
    for seg in route.segments.get(sku, ()):
        n = min(left, seg.units)
        if n:
            taken[seg.source] = n
            left -= n
    if left:
        raise ValueError(f"{route.code} cannot supply {quantity} of {sku}")
    return taken


def taken_units(route: Route, lines: Mapping[str, int]) -> dict[UnitSource, int]:
    units: dict[UnitSource, int] = {}
    for sku, q in lines.items():
        for source, n in take(route, sku, q).items():
            units[source] = units.get(source, 0) + n
    return units


def units_cents(problem: SourcingProblem, route: Route, lines: Mapping[str, int]) -> int:
    """The per-unit part of a shipment's cost (protection minus excess bonus)."""
    taken = taken_units(route, lines)
    return (taken.get(UnitSource.PROTECTED, 0) * to_cents(problem.policy.protection_penalty)
            - taken.get(UnitSource.EXCESS, 0) * to_cents(problem.policy.excess_bonus))


def shipment_terms(problem: SourcingProblem, route: Route, lines: Mapping[str, int], *,
                   split: bool, capacity: int | None = None,
                   taken: Mapping[UnitSource, int] | None = None) -> CostTerms:
    """Terms of one shipment; `capacity` and `taken` override the single-order defaults."""
    if taken is None:
        taken = taken_units(route, lines)
    policy = problem.policy
    return CostTerms(
        shipping=route.shipping,
        handling=to_cents(policy.handling_cost),
        split=to_cents(policy.split_penalty) if split else 0,
        capacity=route.capacity if capacity is None else capacity,
        protection=taken.get(UnitSource.PROTECTED, 0) * to_cents(policy.protection_penalty),
        excess_bonus=taken.get(UnitSource.EXCESS, 0) * to_cents(policy.excess_bonus),
    )


@dataclass(frozen=True, slots=True)
class Shipment:
    """The part of the order one location fulfils (one fulfillment)."""

    location: str
    mode: Mode
    lines: tuple[OrderLine, ...]
    distance_km: float
    transfer_days: float
    terms: CostTerms

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "mode": self.mode.value,
                "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in self.lines],
                "distance_km": self.distance_km, "transfer_days": self.transfer_days,
                "terms": self.terms.to_dict()}


def shipments_for(problem: SourcingProblem, allocation: Allocation) -> tuple[Shipment, ...]:
    """Shipments of an allocation; the nearest is the first, the others carry the split."""
    used = sorted((problem.route(code) for code, lines in allocation.items()
                   if any(lines.values())), key=lambda r: r.rank)
    shipments = []
    for i, route in enumerate(used):
        lines = {s: q for s, q in allocation[route.code].items() if q}
        shipments.append(Shipment(
            route.code, route.mode,
            tuple(OrderLine(s, lines[s]) for s in problem.quantities if s in lines),
            round(route.distance_km, 1), route.transfer_days,
            shipment_terms(problem, route, lines, split=i > 0)))
    return tuple(shipments)


def allocation_cents(problem: SourcingProblem, allocation: Allocation) -> int:
    return sum(s.terms.total for s in shipments_for(problem, allocation))


def check_allocation(problem: SourcingProblem, allocation: Allocation) -> None:
    """Raise ValueError unless the allocation covers the order exactly within allocatable units."""
    for sku, requested in problem.quantities.items():
        got = sum(lines.get(sku, 0) for lines in allocation.values())
        if got != requested:
            raise ValueError(f"allocation gives {got} of {sku}, the order wants {requested}")
    for code, lines in allocation.items():
        route = problem.route(code)
        for sku, q in lines.items():
            if sku not in problem.quantities or not 0 <= q <= route.allocatable(sku):
                raise ValueError(f"{code} cannot supply {q} of {sku}")


# --- heuristic ---------------------------------------------------------------------------------


def distribute(problem: SourcingProblem, codes: Sequence[str]) -> Allocation | None:
    """Cheapest spread of the order's units over these nodes (None if they cannot cover it).

    Unit costs are convex per node, so taking the cheapest units first is optimal for a fixed
    set of nodes; nodes left without units drop out of the plan.
    """
    routes = [problem.route(c) for c in codes]
    allocation: Allocation = {}
    for sku, requested in problem.quantities.items():
        offers = sorted((seg.unit_cents, r.rank, i, r.code, seg.units)
                        for r in routes for i, seg in enumerate(r.segments.get(sku, ())))
        left = requested
        for _, _, _, code, units in offers:
            n = min(left, units)
            lines = allocation.setdefault(code, {})
            lines[sku] = lines.get(sku, 0) + n
            left -= n
            if not left:
                break
        if left:
            return None
    return {c: {s: q for s, q in lines.items() if q} for c, lines in allocation.items()
            if any(lines.values())}


def _greedy_cover(problem: SourcingProblem,
                  score: Callable[[int, int], tuple[float, ...]]) -> list[str]:
    """Add nodes one at a time by `score(marginal cents, units gained)`, lowest first."""
    remaining = dict(problem.quantities)
    chosen: list[str] = []
    split = to_cents(problem.policy.split_penalty)
    while any(remaining.values()):
        best: tuple[tuple[float, ...], Route, dict[str, int]] | None = None
        for route in problem.routes:
            if route.code in chosen:
                continue
            gain = {s: min(q, route.allocatable(s)) for s, q in remaining.items() if q}
            units = sum(gain.values())
            if not units:
                continue
            cents = (problem.fixed_cents(route) + (split if chosen else 0)
                     + units_cents(problem, route, gain))
            key = (*score(cents, units), route.rank)
            if best is None or key < best[0]:
                best = (key, route, gain)
        if best is None:  # cannot happen after prepare's coverage check
            raise ValueError("order cannot be covered")
        chosen.append(best[1].code)
        for sku, n in best[2].items():
            remaining[sku] -= n
    return chosen


def _drop_improve(problem: SourcingProblem, allocation: Allocation) -> Allocation:
    """Drop a node and respread its units over the rest while that lowers the cost."""
    best, best_cents = allocation, allocation_cents(problem, allocation)
    improved = True
    while improved and len(best) > 1:
        improved = False
        for code in sorted(best, key=lambda c: -problem.fixed_cents(problem.route(c))):
            trial = distribute(problem, [c for c in best if c != code])
            if trial is not None and (cents := allocation_cents(problem, trial)) < best_cents:
                best, best_cents, improved = trial, cents, True
                break
    return best


def heuristic_allocation(problem: SourcingProblem) -> Allocation:
    """Fast plan: the cheapest of every single node that covers the order and of two greedy
    covers (by cost per unit, by units), each improved by dropping nodes."""
    options = [{r.code: dict(problem.quantities)} for r in problem.routes if problem.covers(r)]
    for score in (lambda cents, units: (cents / units,), lambda cents, units: (-units, cents)):
        found = distribute(problem, _greedy_cover(problem, score))
        if found is not None:
            options.append(_drop_improve(problem, found))
    return min(options, key=lambda a: (allocation_cents(problem, a),
                                       sum(problem.route(c).rank for c in a)))


def plan_heuristic(problem: SourcingProblem) -> SourcingPlan:
    return build_plan(problem, heuristic_allocation(problem), "heuristic")


# --- explanation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateReport:
    """One candidate in an explanation. `terms` price this node alone shipping what it can of
    the order (split 0), which is what the winner is compared against."""

    code: str
    status: str  # selected | considered | excluded
    mode: Mode | None
    distance_km: float | None
    reason: Exclusion | None
    allocatable: Mapping[str, int]
    withheld: Mapping[str, int]
    covers_order: bool
    terms: CostTerms | None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "status": self.status,
                "mode": self.mode.value if self.mode else None,
                "distance_km": self.distance_km,
                "reason": self.reason.value if self.reason else None,
                "allocatable": dict(self.allocatable), "protected": dict(self.withheld),
                "covers_order": self.covers_order,
                "terms": self.terms.to_dict() if self.terms else None}


@dataclass(frozen=True, slots=True)
class Explanation:
    strategy: str  # milp | heuristic | batch_milp | sequential
    reason: str
    candidates: tuple[CandidateReport, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "reason": self.reason, "notes": list(self.notes),
                "candidates": [c.to_dict() for c in self.candidates]}


@dataclass(frozen=True, slots=True)
class SourcingPlan:
    order_id: str
    shipments: tuple[Shipment, ...]
    terms: CostTerms
    explanation: Explanation

    @property
    def total_cents(self) -> int:
        return self.terms.total

    @property
    def total_cost(self) -> float:
        return self.terms.total / 100

    def allocation(self) -> Allocation:
        return {s.location: {ln.sku: ln.quantity for ln in s.lines} for s in self.shipments}

    def to_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "total_cost": self.total_cost,
                "terms": self.terms.to_dict(),
                "shipments": [s.to_dict() for s in self.shipments],
                "explanation": self.explanation.to_dict()}


def _reports(problem: SourcingProblem, selected: set[str]) -> list[CandidateReport]:
    eligible = []
    for r in problem.routes:
        lines = {s: min(q, r.allocatable(s)) for s, q in problem.quantities.items()}
        eligible.append(CandidateReport(
            r.code, "selected" if r.code in selected else "considered", r.mode,
            round(r.distance_km, 1),
            None, {s: r.allocatable(s) for s in problem.quantities}, dict(r.withheld),
            problem.covers(r), shipment_terms(problem, r, lines, split=False)))
    eligible.sort(key=lambda c: (c.status != "selected", not c.covers_order,
                                 c.terms.total if c.terms else 0))
    excluded = [CandidateReport(e.code, "excluded", e.mode, e.distance_km, e.reason, {},
                                dict(e.withheld), False, None) for e in problem.excluded]
    return eligible + excluded


def _winner_reason(reports: Sequence[CandidateReport], shipments: Sequence[Shipment],
                   total: int) -> str:
    singles = [c for c in reports if c.covers_order and c.terms is not None]
    if len(shipments) == 1:
        winner = shipments[0].location
        others = [c for c in singles if c.code != winner]
        if not others:
            return f"only {winner} can serve the whole order (total cost {format_money(total)})"
        nxt = others[0]
        assert nxt.terms is not None
        tie = " (tie broken by distance)" if nxt.terms.total == total else ""
        return (f"lowest total cost {format_money(total)} vs next "
                f"{format_money(nxt.terms.total)} at {nxt.code}{tie}")
    count = f"split into {len(shipments)} shipments"
    if not singles or singles[0].terms is None:
        return (f"{count}: no single candidate holds the whole order; lowest total cost "
                f"{format_money(total)}")
    return (f"{count} costs {format_money(total)} vs {format_money(singles[0].terms.total)} in "
            f"one shipment from {singles[0].code}")


def make_plan(problem: SourcingProblem, shipments: Sequence[Shipment], strategy: str, *,
              reason: str | None = None, notes: Sequence[str] = ()) -> SourcingPlan:
    terms = sum((s.terms for s in shipments), CostTerms())
    reports = _reports(problem, {s.location for s in shipments})
    why = reason or _winner_reason(reports, shipments, terms.total)
    return SourcingPlan(problem.order.order_id, tuple(shipments), terms,
                        Explanation(strategy, why, tuple(reports), tuple(notes)))


def build_plan(problem: SourcingProblem, allocation: Allocation, strategy: str,
               notes: Sequence[str] = ()) -> SourcingPlan:
    check_allocation(problem, allocation)
    return make_plan(problem, shipments_for(problem, allocation), strategy, notes=notes)
