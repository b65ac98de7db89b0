"""Typed dependencies shared by the routers: the store, and who may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..services.context import Store
from .auth import Principal, require


async def get_store(request: Request) -> Store:  # async: no thread hop for a lookup
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]
Reader = Annotated[Principal, Depends(require("read"))]
