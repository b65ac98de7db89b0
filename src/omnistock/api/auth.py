"""Bearer API keys, roles and their rights.

| right               | admin | integration | store            | viewer |
|---------------------|-------|-------------|------------------|--------|
| read                | yes   | yes         | yes (everywhere) | yes    |
| items:write         | yes   | yes         |                  |        |
| network:write       | yes   |             |                  |        |
| movements:write     | yes   | yes         |                  |        |
| counts:write        | yes   | yes         | its location     |        |
| reservations:write  | yes   | yes         |                  |        |
| orders:write        | yes   | yes         |                  |        |
| fulfillment:write   | yes   | yes         | its location     |        |
| returns:write       | yes   | yes         | its location     |        |
| webhooks:manage     | yes   |             |                  |        |

Integrations (ERP, PIM, e-commerce) create items; the network (locations, channels: which
stock each channel may sell) and webhooks (where our events go) are admin matters only. Keys
are managed with the CLI.

Lookups are cached in memory for `ttl` seconds (30 by default), so authentication is not a
database read per request; a revocation therefore takes effect within `ttl`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..domain.errors import Forbidden
from ..services import keys
from ..services.keys import Role
from ..store.database import Database
from .problems import Unauthenticated

_ALL = frozenset({"read", "items:write", "network:write", "movements:write", "counts:write",
                  "reservations:write", "orders:write", "fulfillment:write", "returns:write",
                  "webhooks:manage"})
RIGHTS: dict[Role, frozenset[str]] = {
    Role.ADMIN: _ALL,
    Role.INTEGRATION: _ALL - {"network:write", "webhooks:manage"},
    Role.STORE: frozenset({"read", "counts:write", "fulfillment:write", "returns:write"}),
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
    """key digest -> (Principal or None, expiry). Unknown keys are cached too, bounded."""

    def __init__(self, db: Database, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self.db, self.ttl, self.max_entries = db, ttl, max_entries
        self._entries: dict[str, tuple[Principal | None, float]] = {}

    async def principal(self, key: str) -> Principal | None:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        found = await run_in_threadpool(keys.authenticate, self.db, key)
        principal = Principal(found.prefix, found.role, found.location) if found else None
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[digest] = (principal, now + self.ttl)
        return principal


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
    async def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        if right not in RIGHTS[principal.role]:
            raise Forbidden(f"a {principal.role} key may not do this (needs {right})",
                            field="Authorization", role=str(principal.role), right=right)
        return principal

    return dependency
