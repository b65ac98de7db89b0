"""The caller's key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Me(BaseModel):
    prefix: str
    role: Literal["admin", "integration", "store", "viewer"]
    location: str | None
