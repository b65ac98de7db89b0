"""Bearer API keys, roles and their rights.

| right               | admin | integration | store            | viewer |
|---------------------|-------|-------------|------------------|--------|
| read                | yes   | yes         | yes (everywhere) | yes    |
| items:write         | yes   | yes         |                  |        |
| network:write       | yes   |             |                  |        |
| movements:write     | yes   | yes         |                  |        |
| counts:write        | yes   | yes         | its location     |        |
| counts:reverse      | yes   |             |                  |        |
| reservations:write  | yes   | yes         |                  |        |
| orders:write        | yes   | yes         |                  |        |
| fulfillment:write   | yes   | yes         | its location     |        |
| returns:write       | yes   | yes         | its location     |        |
| transfers:write     | yes   | yes         |                  |        |
| transfers:move      | yes   | yes         | its location     |        |
| webhooks:manage     | yes   |             |                  |        |
| planning:write      | yes   |             |                  |        |

Integrations (ERP, PIM, e-commerce) create items; the network (locations, channels: which
stock each channel may sell) and webhooks (where our events go) are admin matters only. Keys
are managed with the CLI.
Reversing a mistaken count, an audited correction of the ledger, is for admin keys only.

A return is a movement (POST /v1/movements, `type: return`): it takes `returns:write`, every
other movement `movements:write`, so a store key records returns at its location and no other
movement. Requesting, closing and cancelling a transfer takes `transfers:write`; shipping and
receiving one `transfers:move`, so a store key ships from and receives at its own location.
movement. `POST /v1/returns` (a return with its disposition) takes `returns:write` as well.

Lookups are cached in memory for `ttl` seconds (30 by default), so authentication is not a
database read per request; a revocation therefore takes effect within `ttl`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..domain.errors import Forbidden
from ..services import keys
from ..services.keys import Role
from ..store.database import Database
from .problems import Unauthenticated

V = TypeVar("V")

_ALL = frozenset({"read", "items:write", "network:write", "movements:write", "counts:write",
                  "reservations:write", "orders:write", "fulfillment:write", "returns:write",
                  "webhooks:manage", "planning:write", "transfers:write", "transfers:move",
                  "counts:reverse"})
RIGHTS: dict[Role, frozenset[str]] = {
    Role.ADMIN: _ALL,
    Role.INTEGRATION: _ALL - {"network:write", "webhooks:manage", "planning:write",
                              "counts:reverse"},
    Role.STORE: frozenset({"read", "counts:write", "fulfillment:write", "returns:write",
                           "transfers:move"}),
    Role.VIEWER: frozenset({"read"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    prefix: str
    role: Role
    location: str | None

    def at(self, location: str, field: str = "location") -> None:
        """Refuse (403) when the key is bound to another location."""
        if self.location is not None and location != self.location:
            raise Forbidden(f"this key acts at {self.location} only, not at {location}",
                            field=field, key_location=self.location)


class KeyCache:
    """key digest -> Principal, for `ttl` seconds, in two least-recently-used maps: live keys
    (up to `max_entries`) and unknown ones (up to `max_unknown`). A flood of random keys only
    churns the small map of unknown keys, never evicting a live one; a malformed key is
    refused without a lookup and never cached."""

    def __init__(self, db: Database, ttl: float = 30.0, max_entries: int = 10_000,
                 max_unknown: int = 1_000) -> None:
        self.db, self.ttl = db, ttl
        self._known: _Lru[Principal] = _Lru(max_entries)
        self._unknown: _Lru[None] = _Lru(max_unknown)

    async def principal(self, key: str) -> Principal | None:
        if keys.KEY_PATTERN.fullmatch(key) is None:
            return None
        digest = keys.digest(key)
        now = time.monotonic()
        known = self._known.get(digest, now)
        if known is not None or self._unknown.has(digest, now):
            return known
        found = await run_in_threadpool(keys.authenticate, self.db, key)
        if found is None:
            self._unknown.put(digest, None, now + self.ttl)
            return None
        principal = Principal(found.prefix, found.role, found.location)
        self._known.put(digest, principal, now + self.ttl)
        return principal


class _Lru(Generic[V]):
    """digest -> (value, expiry), the least recently used dropped beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[V, float]] = OrderedDict()

    def _live(self, digest: str, now: float) -> tuple[V, float] | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return entry

    def get(self, digest: str, now: float) -> V | None:
        entry = self._live(digest, now)
        return entry[0] if entry is not None else None

    def has(self, digest: str, now: float) -> bool:
        return self._live(digest, now) is not None

    def put(self, digest: str, value: V, expires: float) -> None:
        self._entries[digest] = (value, expires)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


bearer = HTTPBearer(auto_error=False, description="an API key: `Bearer osk_...`")


async def authenticated(request: Request,
                        credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
                        ) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send an API key as `Authorization: Bearer <key>`",
                              field="Authorization")
    principal = await request.app.state.keys.principal(credentials.credentials)
    if principal is None:
        raise Unauthenticated("the API key is unknown or revoked", field="Authorization")
    return principal


def require(right: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    if right == "movements:write":
        return movement_writer

    async def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        _check(principal, right)
        return principal

    return dependency


def _check(principal: Principal, right: str) -> None:
    if right not in RIGHTS[principal.role]:
        raise Forbidden(f"a {principal.role} key may not do this (needs {right})",
                        field="Authorization", role=str(principal.role), right=right)


# The right a movement type takes instead of movements:write.
MOVEMENT_RIGHTS = {"return": "returns:write"}


async def movement_writer(request: Request, principal: Principal = Depends(authenticated)
                          ) -> Principal:
    """The key may record every movement of the body (one, or a batch): a key without
    movements:write only the types of MOVEMENT_RIGHTS it holds. Where it may act is the
    route's check (`Principal.at`)."""
    if "movements:write" in RIGHTS[principal.role]:
        return principal
    for type_ in await _movement_types(request):
        _check(principal, MOVEMENT_RIGHTS.get(type_, "movements:write"))
    return principal


async def _movement_types(request: Request) -> list[str]:
    """The `type` of each movement in the JSON body; "" for what is not a movement (it takes
    movements:write, and validation says what is wrong with it)."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        return [""]
    movements = body.get("movements") if isinstance(body, dict) else None
    entries = movements if isinstance(movements, list) and movements else [body]
    types = [e.get("type") if isinstance(e, dict) else None for e in entries]
    return [t if isinstance(t, str) else "" for t in types]
