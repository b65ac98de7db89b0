"""Typed dependencies shared by the routers: the store, and who may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..store.database import Database
from .auth import Principal, require


async def get_db(request: Request) -> Database:  # async: no thread hop for a lookup
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]
Reader = Annotated[Principal, Depends(require("read"))]
