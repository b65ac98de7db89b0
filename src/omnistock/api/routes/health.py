"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter

from ..schemas.health import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    """The process answers (no authentication, no database access)."""
    return {"status": "ok"}
