"""What sourcing sees of a channel's network: its policy and one candidate per location.

A candidate's `available` per sku is the position's available (on_hand less committed,
reserved, damaged, quality control and safety stock, so the same figure the channel's ATP
shows) with the units of lapsed holds counted back in: the allocation returns those holds
before its guarded update. Safety stock is therefore never offered to an order. Its load is
the location's fulfillments still to work or taken on today (UTC), against daily_capacity.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from ...domain.buckets import available
from ...domain.errors import NotFound
from ...domain.sourcing.inputs import Candidate
from ...domain.sourcing.policy import SourcingPolicy
from ...store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Network:
    channel_id: int
    channel: str
    policy: SourcingPolicy
    candidates: tuple[Candidate, ...]
    location_ids: dict[str, int]  # every location of the channel, code -> id
    item_ids: dict[str, int]  # sku -> id
    skipped: tuple[str, ...]  # locations without coordinates: sourcing cannot place them

    def notes(self) -> list[str]:
        return [f"{code} has no coordinates and was not considered" for code in self.skipped]


def channel_policy(row: dict[str, Any]) -> SourcingPolicy:
    return SourcingPolicy.from_dict(row["policy"] or {})


def channel_row(uow: UnitOfWork, code: str) -> dict[str, Any]:
    row = uow.orders.channel(code)
    if row is None:
        raise NotFound(f"channel {code!r} not found", field="channel")
    return row


def item_ids(uow: UnitOfWork, skus: Sequence[str],
             fields: dict[str, str] | None = None) -> dict[str, int]:
    fields = fields or {}
    return {sku: uow.catalog.item_id(sku, fields.get(sku, "sku")) for sku in skus}


def read_network(uow: UnitOfWork, channel: str, skus: Sequence[str], now: datetime, *,
                 exclude: Collection[str] = (), fields: dict[str, str] | None = None) -> Network:
    """The channel's candidates for these skus; `exclude` lists nodes offered no stock (a node
    that was just short keeps its place, so a pickup there can still be served by a transfer)."""
    row = channel_row(uow, channel)
    policy = channel_policy(row)
    ids = item_ids(uow, skus, fields)
    nodes = uow.orders.channel_nodes(row["id"])
    by_id = {n["id"]: n for n in nodes}
    stock: dict[int, dict[str, int]] = {n["id"]: {} for n in nodes}
    sku_of = {v: k for k, v in ids.items()}
    for p in uow.orders.stock(ids.values(), by_id, now):
        if by_id[p["location_id"]]["code"] not in exclude:
            units = available(p) + int(p["lapsed"])
            stock[p["location_id"]][sku_of[p["item_id"]]] = max(0, units)
    day_start = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    load = uow.orders.load(by_id, day_start)
    candidates = tuple(
        Candidate(n["code"], n["latitude"], n["longitude"], kind=n["kind"],
                  can_ship=n["can_ship"], can_pickup=n["can_pickup"],
                  daily_capacity=n["daily_capacity"], open_fulfillments=load.get(n["id"], 0),
                  available=stock[n["id"]])
        for n in nodes if n["latitude"] is not None and n["longitude"] is not None)
    skipped = tuple(n["code"] for n in nodes if n["latitude"] is None or n["longitude"] is None)
    return Network(row["id"], channel, policy, candidates, {n["code"]: n["id"] for n in nodes},
                   ids, skipped)
