"""Who the caller's key is: a dashboard pins a store key's views to its own location."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import Reader
from ..problems import responses
from ..schemas.me import Me

router = APIRouter(prefix="/v1", tags=["operations"])


@router.get("/me", response_model=Me, responses=responses(401, 403))
async def me(who: Reader) -> Me:
    """The key's prefix, role and, for a store key, its location."""
    return Me(prefix=who.prefix, role=who.role.value, location=who.location)
