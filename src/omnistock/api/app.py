"""The application factory: `create_app(store)` wires routers, problems, auth and background
tasks; nothing touches the database until a request or a task does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from ..events.background import background_task as events_background
from ..metrics import OutboxLag, SourceHealth
from ..store.database import Database
from ..web import routes as web_routes
from . import problems
from .auth import KeyCache, require
from .background import (
    BackgroundTask,
    idempotency_pruner,
    no_show_sweeper,
    reservation_sweeper,
)
from .metrics import RequestTimer
from .problems import responses
from .routes import catalog, edits, feeds, health, me, movements, orders, planning, reads, stock
from .routes import corrections as correction_routes
from .routes import events as event_routes
from .routes import kpis as kpi_routes
from .routes import returns as return_routes
from .routes import try_in_store as try_in_store_routes
from .routes.metrics import ScrapeCache
from .routes.metrics import router as metrics_router
from .routes.transfers import router as transfers_router


def _version() -> str:
    try:
        return version("omnistock")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def default_background() -> list[BackgroundTask]:
    return [reservation_sweeper, idempotency_pruner, no_show_sweeper, events_background]


def include_events(app: FastAPI) -> None:
    """The stream (GET /v1/events) is readable by every key; webhooks are managed by admins."""
    secured = responses(401, 403)
    app.include_router(event_routes.stream_router, dependencies=[Depends(require("read"))],
                       responses=secured)
    app.include_router(event_routes.webhooks_router,
                       dependencies=[Depends(require("webhooks:manage"))], responses=secured)


def operation_id(route: APIRoute) -> str:
    return route.name  # get_item, reserve, commit_reservation ...: stable, for links


def create_app(db: Database, *, background: Sequence[BackgroundTask] | None = None,
               key_cache_seconds: float = 30.0, threads: int | None = None) -> FastAPI:
    """The API over `store`. `background`: tasks run while the app lives (default: the
    reservation and no-show sweepers, the idempotency pruner and the outbox dispatcher).
    `threads`: at most this many blocking handlers at once (default: anyio's 40)."""
    tasks = default_background() if background is None else list(background)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        stop = asyncio.Event()
        running = [asyncio.create_task(task(db, stop)) for task in tasks]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*running, return_exceptions=True)

    app = FastAPI(title="omnistock", version=_version(), lifespan=lifespan,
                  description="Real-time inventory: one truth for every unit of stock. Errors "
                              "are RFC 9457 problems (application/problem+json).")
    app.state.db = db
    app.state.keys = KeyCache(db, key_cache_seconds)
    app.state.scrape = ScrapeCache([OutboxLag(db), SourceHealth(db)])
    problems.install(app)
    app.add_middleware(RequestTimer)
    for router in (health.router, metrics_router, me.router, catalog.router, movements.router,
                   stock.router, orders.router, feeds.router, planning.router,
                   transfers_router, correction_routes.router, reads.router, edits.router):
        app.include_router(router, generate_unique_id_function=operation_id)
    app.include_router(return_routes.router, generate_unique_id_function=operation_id)
    app.include_router(try_in_store_routes.router, generate_unique_id_function=operation_id)
    include_events(app)
    app.include_router(kpi_routes.make_router(require("read")),
                       generate_unique_id_function=operation_id)
    app.include_router(web_routes.router)  # the dashboard page and its assets

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.document(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
