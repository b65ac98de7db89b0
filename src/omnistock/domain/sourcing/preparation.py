"""`prepare`: validate an order and sort the candidates into routes and exclusions.

Protected units are a hard limit: only a pickup at that very store may draw them. A node
whose open fulfillments already reach its daily_capacity is not usable at all (reason
no_capacity) rather than penalised: it cannot do more work today, whatever the price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..errors import InsufficientStock, InvalidInput
from ..geo import haversine_km, validate_point
from .inputs import Candidate, Delivery, DeliveryMethod, SourcingOrder, order_quantities
from .money import to_cents
from .policy import SourcingPolicy, capacity_cents
from .problem import Excluded, Exclusion, Mode, Route, Segment, SourcingProblem, UnitSource


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
