"""`GET /v1/kpis?from=&to=` and `GET /v1/exceptions`, for the dashboard.

`make_router(auth)` takes the API's authentication dependency (any key may read), so the app
includes it as `app.include_router(make_router(auth_dependency))`. The database is
`request.app.state.db` unless `get_db` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from ...domain.errors import InvalidInput
from ...services import kpis as service
from ...store.database import Database

KPIS = "omnistock_kpis"


def parse_time(value: str | None, field: str) -> datetime | None:
    """ISO 8601 with a zone, or a bare date (midnight UTC)."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO 8601 date or time, got {value!r}",
                           field=field) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} must include a time zone (Z or an offset)", field=field)
    return parsed


def _app_db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def make_router(auth: Callable[..., Any] | None = None,
                get_db: Callable[..., Database] | None = None) -> APIRouter:
    router = APIRouter(tags=["dashboard"],
                       dependencies=[Depends(auth)] if auth is not None else [])
    db_dep = Depends(get_db or _app_db)

    @router.get("/v1/kpis", name=KPIS,
                summary="Key figures over a period, from the ledger and orders")
    def get_kpis(db: Database = db_dep,
                 from_: str | None = Query(None, alias="from", description="ISO 8601; "
                                           "default: 6 days before today, 00:00 UTC"),
                 to: str | None = Query(None, description="ISO 8601; default: now")
                 ) -> dict[str, Any]:
        now = db.clock()
        default_start, _ = service.default_period(now)
        end = parse_time(to, "to") or now
        start = parse_time(from_, "from") or min(default_start, end)
        return service.kpis(db, start, end)

    @router.get("/v1/exceptions", summary="Negative availability and large count adjustments")
    def get_exceptions(db: Database = db_dep,
                       count_threshold: int = Query(20, ge=1, le=1_000_000),
                       since: str | None = Query(None, description="ISO 8601"),
                       limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
        return service.exceptions(db, count_threshold=count_threshold,
                                  since=parse_time(since, "since"), limit=limit)

    return router
