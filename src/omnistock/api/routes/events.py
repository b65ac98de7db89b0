"""HTTP routes: `GET /v1/events` (server-sent events) and `/v1/webhooks`.

Two routers so the API can guard them with different roles; `router` holds both. The database
is `request.app.state.db` (override the `current_db` dependency otherwise), the settings
`request.app.state.events_config` when set, else the environment. Domain errors are raised for
the API's RFC 9457 handler.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from sse_starlette import EventSourceResponse

from ...events import webhooks as service
from ...events.cloudevents import MAX_ID
from ...events.config import EventsConfig
from ...events.sse import Filter, resume_point, stream
from ...events.tail import tail_for
from ...settings import get_settings
from ...store.database import Database
from ..schemas.events import DeliveryList, DeliveryOut, WebhookIn, WebhookList, WebhookOut

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def current_db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


@cache
def _env_config() -> EventsConfig:
    return EventsConfig.from_settings(get_settings())


def current_config(request: Request) -> EventsConfig:
    return getattr(request.app.state, "events_config", None) or _env_config()


DbDep = Annotated[Database, Depends(current_db)]
# Ids are BIGINTs: a larger one is a 422 problem here, not a database error.
AfterId = Annotated[int, Query(ge=0, le=MAX_ID)]
ConfigDep = Annotated[EventsConfig, Depends(current_config)]
stream_router = APIRouter(tags=["events"])
webhooks_router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@stream_router.get(
    "/v1/events", response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "id: outbox id, event: type, data: CloudEvent JSON"},
               422: {"description": "bad filter or resume point", **PROBLEM}})
async def events(db: DbDep, config: ConfigDep,
                 after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                 types: Annotated[str | None, Query(max_length=1000)] = None,
                 sku: Annotated[str | None, Query(max_length=64)] = None,
                 last_event_id: Annotated[str | None, Header(max_length=40)] = None,
                 ) -> EventSourceResponse:
    accept = Filter.parse(types, sku)
    last = resume_point(last_event_id, after)
    return EventSourceResponse(stream(tail_for(db, config), last, accept),
                               ping=config.heartbeat, sep="\n")


@webhooks_router.post("", status_code=201, response_model=WebhookOut,
                      responses={422: {"description": "invalid url, events or secret", **PROBLEM}})
def create_webhook(body: WebhookIn, db: DbDep) -> dict:
    return service.create_webhook(db, url=body.url, events=body.events, secret=body.secret)


@webhooks_router.get("", response_model=WebhookList)
def list_webhooks(db: DbDep) -> dict:
    return {"webhooks": service.list_webhooks(db)}


def _page(rows: list[dict], limit: int) -> dict:
    return {"deliveries": rows, "next_after": rows[-1]["id"] if len(rows) == limit else None}


@webhooks_router.get("/deliveries", response_model=DeliveryList,
                     responses={422: {"description": "unknown status", **PROBLEM}})
def list_deliveries(db: DbDep, status: str | None = None,
                    after: AfterId = 0,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    return _page(service.list_deliveries(db, status=status, after=after, limit=limit), limit)


@webhooks_router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut,
                      responses={404: PROBLEM, 409: {"description": "not parked", **PROBLEM}})
def retry_delivery(delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)], db: DbDep) -> dict:
    return service.retry_delivery(db, delivery_id)


@webhooks_router.get("/{webhook_id}", response_model=WebhookOut, responses={404: PROBLEM})
def get_webhook(webhook_id: str, db: DbDep) -> dict:
    return service.get_webhook(db, webhook_id)


@webhooks_router.delete("/{webhook_id}", status_code=204, response_class=Response,
                        responses={404: PROBLEM})
def delete_webhook(webhook_id: str, db: DbDep) -> Response:
    service.delete_webhook(db, webhook_id)
    return Response(status_code=204)


@webhooks_router.get("/{webhook_id}/deliveries", response_model=DeliveryList,
                     responses={404: PROBLEM})
def webhook_deliveries(webhook_id: str, db: DbDep, status: str | None = None,
                       after: AfterId = 0,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    rows = service.list_deliveries(db, webhook_id=webhook_id, status=status, after=after,
                                   limit=limit)
    return _page(rows, limit)


router = APIRouter()
router.include_router(stream_router)
router.include_router(webhooks_router)
