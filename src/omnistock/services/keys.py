"""API keys: create, list, revoke, authenticate.

A key reads `osk_<prefix>_<secret>`. Only the prefix (for lookup, and as the actor recorded on
every movement the key makes) and the SHA-256 of the whole key are stored; the key itself is
shown once, at creation. A secret of 256 random bits needs no slow hash: nobody can guess it,
and a leaked table does not give the keys back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..domain.errors import InvalidInput, NotFound
from ..store.database import Database
from .context import iso

KEY_PATTERN = re.compile(r"osk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class Role(StrEnum):
    ADMIN = "admin"
    INTEGRATION = "integration"
    STORE = "store"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class ApiKey:
    prefix: str
    role: Role
    location: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None

    def view(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "role": str(self.role), "location": self.location,
                "name": self.name, "created_at": iso(self.created_at),
                "revoked_at": iso(self.revoked_at)}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role must be one of {roles}", field="role") from None


def create_key(db: Database, *, role: str, location: str | None = None,
               name: str = "") -> tuple[str, ApiKey]:
    """A new key and its record. A `store` key must name its location; no other role may."""
    role_ = _role(role)
    if (role_ is Role.STORE) != (location is not None):
        raise InvalidInput("a store key needs --location, and only a store key takes one",
                           field="location")
    with db.uow() as uow:
        location_id = uow.catalog.location_id(location) if location is not None else None
        now = db.clock()
        for _ in range(5):  # a prefix collision (48 random bits) is rare; draw again
            prefix = secrets.token_hex(6)
            key = f"osk_{prefix}_{secrets.token_urlsafe(32)}"
            if uow.keys.add(prefix=prefix, key_hash=digest(key), name=name, role=role_.value,
                            location_id=location_id, now=now):
                break
        else:  # pragma: no cover
            raise RuntimeError("could not draw a free key prefix")
        uow.commit()
    return key, ApiKey(prefix, role_, location, name, now, None)


def _key(row: Any) -> ApiKey:
    return ApiKey(row["prefix"], Role(row["role"]), row["location"], row["name"],
                  row["created_at"], row["revoked_at"])


def list_keys(db: Database) -> list[ApiKey]:
    with db.uow(readonly=True) as uow:
        return [_key(r) for r in uow.keys.all()]


def revoke_key(db: Database, prefix: str) -> ApiKey:
    """Revoke a key (idempotent: a revoked key stays revoked at its first revocation time)."""
    with db.uow() as uow:
        uow.keys.revoke(prefix, db.clock())
        row = uow.keys.get(prefix)
        if row is None:
            raise NotFound(f"no key with prefix {prefix!r}", field="prefix")
        uow.commit()
    return _key(row)


def authenticate(db: Database, key: str) -> ApiKey | None:
    """The live key `key` is, or None (malformed, unknown, wrong secret or revoked)."""
    match = KEY_PATTERN.fullmatch(key)
    if match is None:
        return None
    with db.uow(readonly=True) as uow:
        row = uow.keys.get(match.group(1))
    if row is None or not hmac.compare_digest(row["key_hash"], digest(key)):
        return None
    found = _key(row)
    return None if found.revoked_at is not None else found
