"""A channel's sourcing policy: the shipping rate table, the cost weights, and their limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from .checks import check_integer, check_mapping, check_money, check_number
from .money import to_cents


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
        data = check_mapping(data, field, ("bands", "per_km_beyond"))
        raw = data.get("bands", [])
        if not isinstance(raw, list | tuple):
            raise InvalidInput(f"{field}.bands must be a list", field=f"{field}.bands")
        bands: list[RateBand] = []
        for i, item in enumerate(raw):
            where = f"{field}.bands[{i}]"
            item = check_mapping(item, where, ("max_km", "cost"))
            band = RateBand(check_number(item.get("max_km"), f"{where}.max_km", minimum=0.0),
                            check_money(item.get("cost"), f"{where}.cost"))
            # Farther must never be cheaper, or the table would reward long hauls.
            if bands and band.max_km <= bands[-1].max_km:
                raise InvalidInput("bands must have increasing max_km", field=f"{where}.max_km")
            if bands and band.cost < bands[-1].cost:
                raise InvalidInput("band costs must not decrease", field=f"{where}.cost")
            bands.append(band)
        default = cls()  # a slots class holds no field defaults as class attributes
        per_km = check_number(data.get("per_km_beyond", default.per_km_beyond),
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
        data = check_mapping(data, "", _POLICY_FIELDS)
        d = cls()
        flag = data.get("allow_endless_aisle", d.allow_endless_aisle)
        if not isinstance(flag, bool):
            raise InvalidInput("allow_endless_aisle must be true or false",
                               field="allow_endless_aisle")
        money = {k: check_money(data.get(k, getattr(d, k)), k) for k in _MONEY_FIELDS}
        return cls(
            rate_table=RateTable.from_dict(data["rate_table"]) if "rate_table" in data
            else d.rate_table,
            store_protection_units=check_integer(
                data.get("store_protection_units", d.store_protection_units),
                "store_protection_units"),
            allow_endless_aisle=flag,
            transfer_days=check_number(data.get("transfer_days", d.transfer_days),
                                       "transfer_days"),
            milp_max_variables=check_integer(
                data.get("milp_max_variables", d.milp_max_variables), "milp_max_variables"),
            bopis_hold_hours=check_integer(data.get("bopis_hold_hours", d.bopis_hold_hours),
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
