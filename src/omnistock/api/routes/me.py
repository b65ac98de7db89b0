"""Who the caller's key is: a dashboard pins a store key's views to its own location."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import Reader
from ..problems import responses

router = APIRouter(prefix="/v1", tags=["operations"])


class Me(BaseModel):
    prefix: str
    role: Literal["admin", "integration", "store", "viewer"]
    location: str | None


@router.get("/me", response_model=Me, responses=responses(401, 403))
async def me(who: Reader) -> Me:
    """The key's prefix, role and, for a store key, its location."""
    return Me(prefix=who.prefix, role=who.role.value, location=who.location)
