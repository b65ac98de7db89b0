"""The return rules in force at a location (its own, else its order's channel's, else the
default, else the built-in policy), the network's shelves they are applied to, and the rules'
administration per scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.errors import InvalidInput, NotFound, UnknownReference
from ..domain.return_rules import DEFAULT_POLICY, ReturnPolicy
from ..domain.returns import Shelf
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import iso

BUILT_IN = "built-in"
DEFAULT = "default"


def scope_of(location: str | None = None, channel: str | None = None) -> str:
    if location is not None and channel is not None:
        raise InvalidInput("rules belong to a location or a channel, not both", field="channel")
    if location is not None:
        return f"location:{location}"
    return f"channel:{channel}" if channel is not None else DEFAULT


def _chain(location: str | None, channel: str | None) -> list[str]:
    """The scopes whose rules apply, first one first."""
    scopes = [scope_of(location=location)] if location is not None else []
    if channel is not None:
        scopes.append(scope_of(channel=channel))
    return [*scopes, DEFAULT]


def policy_in_force(uow: UnitOfWork, location: str | None,
                    channel: str | None) -> tuple[ReturnPolicy, str]:
    """The policy that decides a return here, and the scope it comes from."""
    stored = uow.returns.policies(_chain(location, channel))
    for scope in _chain(location, channel):
        if scope in stored:
            return ReturnPolicy.from_dict(stored[scope]["policy"]), scope
    return DEFAULT_POLICY, BUILT_IN


def shelves(uow: UnitOfWork, item_id: int, here: str,
            now: datetime) -> tuple[Shelf, list[Shelf]]:
    """The return's location and every other location, as the rules see them (units of holds
    past their expiry count as free)."""
    found = [_shelf(r) for r in uow.returns.shelves(item_id, now)]
    return (next(s for s in found if s.location == here),
            [s for s in found if s.location != here])


def _shelf(r: dict[str, Any]) -> Shelf:
    if r["stocked"] is None:
        return Shelf(r["code"], r["kind"], False, latitude=r["latitude"],
                     longitude=r["longitude"])
    held = int(r["committed"]) + int(r["reserved"]) - int(r["lapsed"]) + int(r["damaged"]) + \
        int(r["quality_control"])
    return Shelf(r["code"], r["kind"], bool(r["in_channel"]), int(r["on_hand"]) - held,
                 int(r["safety_stock"]), r["latitude"], r["longitude"])


# -- administration ----------------------------------------------------------------------------

def _check_scope(uow: UnitOfWork, location: str | None, channel: str | None) -> None:
    if location is not None:
        try:
            uow.catalog.location_id(location)
        except UnknownReference:
            raise NotFound(f"location {location!r} not found", field="location") from None
    if channel is not None and uow.orders.channel(channel) is None:
        raise NotFound(f"channel {channel!r} not found", field="channel")


def get_rules(db: Database, *, location: str | None = None,
              channel: str | None = None) -> dict[str, Any]:
    """The rules in force for a scope, where they come from, and what the scope itself holds."""
    scope = scope_of(location, channel)
    with db.uow(readonly=True) as uow:
        _check_scope(uow, location, channel)
        policy, source = policy_in_force(uow, location, channel)
        own = uow.returns.policies([scope]).get(scope)
    return {"scope": scope, "policy": policy.to_dict(), "source": source,
            "stored": own["policy"] if own else None,
            "updated_at": iso(own["updated_at"]) if own else None}


def set_rules(db: Database, policy: dict[str, Any], *, location: str | None = None,
              channel: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Replace a scope's rules; InvalidInput names the offending field and nothing changes."""
    scope = scope_of(location, channel)
    parsed = ReturnPolicy.from_dict(policy)
    with db.uow() as uow:
        _check_scope(uow, location, channel)
        for i, rule in enumerate(parsed.rules):
            if rule.to in parsed.destinations():
                uow.catalog.location_id(rule.to, f"rules[{i}].to")
        uow.returns.set_policy(scope, parsed.to_dict(), db.clock(), actor)
        uow.commit()
    return get_rules(db, location=location, channel=channel)


def clear_rules(db: Database, *, location: str | None = None,
                channel: str | None = None) -> dict[str, Any]:
    """Drop a scope's rules: it inherits again."""
    scope = scope_of(location, channel)
    with db.uow() as uow:
        _check_scope(uow, location, channel)
        uow.returns.clear_policy(scope)
        uow.commit()
    return get_rules(db, location=location, channel=channel)
