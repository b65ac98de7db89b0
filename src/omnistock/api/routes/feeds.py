"""Feeds over HTTP: push imports, Shopify webhooks, code mappings, quarantine, sync health."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...domain.errors import InvalidInput, InvalidState
from ...domain.feed_sources import SourceSettings
from ...ingest.mapping_files import read_mappings
from ...ingest.registry import FORMATS, parse
from ...ingest.shopify import NOTES, TOPICS, parse_webhook, verify_hmac
from ...services import idempotency
from ...services.feed_sources import list_source_settings, put_source_settings, source_settings
from ...services.feeds import import_records, list_quarantine, retry_quarantine
from ...services.mappings import add_mapping, list_mappings, put_mappings, remove_mapping
from ...services.sources import source_health
from ...settings import get_settings
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import json_response
from ..problems import Unauthenticated, responses
from ..schemas.feeds import FeedSource, MappingIn, RetryIn, SourceSettingsIn, Summary

router = APIRouter(prefix="/v1", tags=["feeds"])
Importer = Annotated[Principal, Depends(require("movements:write"))]
MAX_PUSH_BYTES = 20 * 1024 * 1024
SHOPIFY_SOURCE = "shopify"


async def _body(request: Request) -> bytes:
    data = await request.body()
    if not data:
        raise InvalidInput("the body is empty: send the feed file as the body", field="body")
    if len(data) > MAX_PUSH_BYTES:
        raise InvalidInput(f"body larger than {MAX_PUSH_BYTES} bytes; use `omnistock import`",
                           field="body")
    return data


@router.post("/ingest/{format}", response_model=Summary,
             responses=responses(400, 401, 403, 404, 422),
             openapi_extra={"requestBody": {"required": True, "content": {
                 # The file as it is: CSV, JSON Lines, EPCIS JSON-LD or EDIFACT, by `format`.
                 "application/octet-stream": {"schema": {"type": "string",
                                                         "format": "binary"}}}}})
async def push_feed(request: Request, db: DbDep, who: Importer,
                    format: Annotated[Literal["pos", "snapshot", "epcis", "edifact"], Path()],
                    source: Annotated[FeedSource | None, Query()] = None) -> Response:
    """A feed file in the body, applied like `omnistock import FORMAT FILE` and read with the
    source's settings (time zone, column names): records that cannot be applied are
    quarantined with their reason, and the summary adds up. Movements record the key."""
    data = await _body(request)
    assert format in FORMATS
    name = source or format

    def run() -> dict[str, Any]:
        records = parse(format, data, source_settings(db, name))
        return import_records(db, records, source=name, fmt=format, actor=who.prefix).as_dict()

    return json_response(200, await run_in_threadpool(run))


@router.post("/ingest/shopify/{topic:path}", response_model=Summary,
             responses=responses(400, 401, 404, 409, 422),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}}}}})
async def shopify_webhook(
        request: Request, db: DbDep, topic: str,
        hmac_header: Annotated[str, Header(alias="X-Shopify-Hmac-Sha256")] = "",
        webhook_id: Annotated[str, Header(alias="X-Shopify-Webhook-Id",
                                          max_length=200)] = "") -> Response:
    """Shopify webhooks (`orders/create`, `orders/cancelled`, `refunds/create`,
    `inventory_levels/update`, `fulfillments/create|update`, `fulfillment_orders/*`).
    Authenticated by `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the raw body with the
    shop's secret, `OMNISTOCK_SHOPIFY_SECRET`; a 401 naming it while it is not set),
    de-duplicated on
    `X-Shopify-Webhook-Id`."""
    data = await _body(request)
    secret = get_settings().shopify_secret
    if not secret:
        # Not the sender's fault, but no delivery can be authenticated: Shopify retries a 401.
        raise Unauthenticated("OMNISTOCK_SHOPIFY_SECRET is not set, so no Shopify webhook can "
                              "be verified: set it to the app's client secret; Shopify "
                              "retries the delivery", field="OMNISTOCK_SHOPIFY_SECRET")
    if not hmac_header or not verify_hmac(data, hmac_header, secret):
        raise Unauthenticated("X-Shopify-Hmac-Sha256 does not match the body")
    if topic not in TOPICS:
        raise InvalidInput(f"topic must be one of {', '.join(TOPICS)}", field="topic")
    key = webhook_id or hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256(data).hexdigest()
    seen = await run_in_threadpool(idempotency.claim, db, key, SHOPIFY_SOURCE, digest)
    if seen is not None:
        if seen.pending:
            raise InvalidState("this webhook is being applied", field="X-Shopify-Webhook-Id")
        return Response(seen.body, status_code=200, media_type="application/json")
    try:
        summary = await run_in_threadpool(
            lambda: import_records(db, parse_webhook(topic, data), source=SHOPIFY_SOURCE,
                                   fmt="shopify", actor=f"feed:{SHOPIFY_SOURCE}"))
    except Exception:
        await run_in_threadpool(idempotency.abandon, db, key, SHOPIFY_SOURCE)
        raise
    reply = summary.as_dict()
    if topic in NOTES:
        reply["note"] = NOTES[topic]
    body = json.dumps(reply)
    await run_in_threadpool(idempotency.complete, db, key, SHOPIFY_SOURCE, 200, body)
    return Response(body, status_code=200, media_type="application/json")


@router.get("/mappings", responses=responses(401, 403, 422))
def get_mappings(db: DbDep, _: Reader,
                 source: Annotated[FeedSource | None, Query()] = None) -> dict[str, Any]:
    return {"mappings": list_mappings(db, source)}


@router.post("/mappings", status_code=201, responses=responses(400, 401, 403, 409, 422))
def post_mapping(body: MappingIn, db: DbDep, _: Importer) -> dict[str, Any]:
    """How a source names one of our items or locations (a POS store number, a platform id)."""
    return add_mapping(db, **body.model_dump())


@router.delete("/mappings/{source}/{kind}/{code}", status_code=204,
               responses=responses(401, 403, 404, 422))
def delete_mapping(db: DbDep, _: Importer, source: FeedSource,
                   kind: Literal["item", "location"], code: str) -> Response:
    remove_mapping(db, source=source, kind=kind, code=code)
    return Response(status_code=204)


@router.get("/quarantine", responses=responses(401, 403, 422))
def get_quarantine(db: DbDep, _: Reader,
                   source: Annotated[FeedSource | None, Query()] = None,
                   status: Annotated[Literal["open", "resolved"], Query()] = "open"
                   ) -> dict[str, Any]:
    """Feed records that could not be applied, with their raw text, position and reason."""
    return {"records": list_quarantine(db, source, status)}


@router.post("/quarantine/retry", response_model=Summary,
             responses=responses(401, 403, 422))
def post_quarantine_retry(db: DbDep, who: Importer,
                          source: Annotated[FeedSource | None, Query()] = None,
                          body: RetryIn | None = None) -> Response:
    """Apply again the quarantined records that parsed (e.g. after adding a mapping): all, a
    source's (`source` in the body or the query), or the rows `ids`."""
    chosen = (body.source if body else None) or source
    ids = body.ids if body else None
    return json_response(200, retry_quarantine(db, chosen, ids, actor=who.prefix).as_dict())


@router.get("/sources/settings", responses=responses(401, 403, 422))
def get_all_source_settings(db: DbDep, _: Reader) -> dict[str, Any]:
    """Every source's settings: time zone, column names, type values, date format."""
    return {"sources": list_source_settings(db)}


@router.get("/sources/{source}/settings", responses=responses(401, 403, 422))
def get_source_settings(db: DbDep, _: Reader, source: FeedSource) -> dict[str, Any]:
    s = source_settings(db, source)
    return {"source": source, "time_zone": s.time_zone, "columns": dict(s.columns),
            "types": dict(s.types), "date_format": s.date_format}


@router.put("/sources/{source}/settings", responses=responses(400, 401, 403, 422))
def put_settings(db: DbDep, _: Importer, source: FeedSource,
                 body: SourceSettingsIn) -> dict[str, Any]:
    """How the source writes its files: the time zone of times it writes without an offset,
    its own names for omnistock's columns, its type values, its date format."""
    return put_source_settings(db, SourceSettings(source, body.time_zone, body.columns,
                                                  body.types, body.date_format))


@router.post("/mappings/import", responses=responses(400, 401, 403, 422),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}}}}})
async def import_mappings(request: Request, db: DbDep, _: Importer,
                          source: Annotated[FeedSource, Query()]) -> dict[str, Any]:
    """Mappings in bulk from a CSV body: `kind,code,target`, or Shopify ids beside our codes
    (`inventory_item_id,sku`, `variant_id,sku`, `location_id,location`). All or nothing."""
    data = await _body(request)
    return await run_in_threadpool(
        lambda: put_mappings(db, source, read_mappings(io.BytesIO(data))))


@router.get("/sources", responses=responses(401, 403, 422))
def get_sources(db: DbDep, _: Reader,
                stale_after_minutes: Annotated[int, Query(ge=1, le=10_080)] = 15
                ) -> dict[str, Any]:
    """Sync health per source: data latency p50/p99, last record, `stale`."""
    return {"sources": source_health(db, timedelta(minutes=stale_after_minutes))}

