"""Changing items, locations and channels (PATCH, JSON Merge Patch: RFC 7396).

A field left out stays as it is; `null` clears an optional one (a GTIN, GLN, coordinates, the
capacity, the address). The result is validated as a whole, with the rules creation applies
(domain/catalog.py), so a patch cannot make what a POST would refuse; codes and skus never
change. Each change is one transaction that also writes `item.changed`, `location.changed` or
`channel.changed` to the outbox with the fields that changed, so the event channels see it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..domain.catalog import Item, Location
from ..domain.errors import InvalidInput
from ..domain.sourcing.policy import SourcingPolicy
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from . import catalog

_ITEM = ("name", "gtin", "unit_cost")
_LOCATION = ("name", "kind", "gln", "latitude", "longitude", "can_ship", "can_pickup",
             "daily_capacity")


def patch_item(db: Database, sku: str, patch: dict[str, Any]) -> dict[str, Any]:
    with db.uow() as uow:
        row = uow.edits.item_for_update(sku)
        before = {f: _plain(row[f]) for f in _ITEM}
        after = Item(sku=sku, **{**before, **_only(patch, _ITEM)}).validated()
        changed = _changes(before, {f: getattr(after, f) for f in _ITEM})
        uow.edits.update("items", row["id"], changed)
        _announce(uow, "item.changed", sku, {"sku": sku}, changed, db.clock())
        uow.commit()
    return catalog.get_item(db, sku)


def patch_location(db: Database, code: str, patch: dict[str, Any]) -> dict[str, Any]:
    now = db.clock()
    with db.uow() as uow:
        row = uow.edits.location_for_update(code)
        before = {f: row[f] for f in _LOCATION}
        after = Location(code=code, **{**before, **_only(patch, _LOCATION)}).validated()
        changed = _changes(before, {f: getattr(after, f) for f in _LOCATION})
        uow.edits.update("locations", row["id"], changed)
        if "address" in patch:
            old = uow.edits.address(row["id"])
            new = _address(patch["address"])
            if new != old:
                uow.edits.set_address(row["id"], new, now)
                changed["address"] = new
        _announce(uow, "location.changed", code, {"location": code}, changed, now)
        uow.commit()
    return catalog.get_location(db, code)


def patch_channel(db: Database, code: str, patch: dict[str, Any]) -> dict[str, Any]:
    """`locations` replaces the set a channel sells; `policy` merges into the stored sourcing
    policy field by field (PUT .../policy replaces it whole)."""
    with db.uow() as uow:
        row = uow.edits.channel_for_update(code)
        current = uow.catalog.channel(code)
        changed: dict[str, Any] = {}
        if "name" in patch and patch["name"] != row["name"]:
            changed["name"] = patch["name"]
        if "policy" in patch:
            policy = {**(row["policy"] or {}), **patch["policy"]}
            SourcingPolicy.from_dict(policy)  # InvalidInput names the field
            if policy != (row["policy"] or {}):
                changed["policy"] = policy
        uow.edits.update("channels", row["id"], changed)
        if "locations" in patch:
            codes = sorted(set(patch["locations"]))
            if codes != current["locations"]:
                uow.edits.set_channel_locations(
                    row["id"], [uow.catalog.location_id(c, "locations") for c in codes])
                changed["locations"] = codes
        _announce(uow, "channel.changed", code, {"channel": code}, changed, db.clock())
        uow.commit()
    return catalog.get_channel(db, code)


def _only(patch: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in patch.items() if k in fields}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    address = {k: v for k, v in value.items() if v is not None}
    if not address:
        raise InvalidInput("an address needs at least one field (null removes it)",
                           field="address")
    return address


def _announce(uow: UnitOfWork, type_: str, subject: str, who: dict[str, Any],
              changed: dict[str, Any], now: datetime) -> None:
    if changed:
        uow.outbox.add(type_, subject, {**who, "changed": sorted(changed), **changed}, now,
                       now)
