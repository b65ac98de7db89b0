"""Liveness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    """The process answers (no authentication, no database access)."""
    return {"status": "ok"}
