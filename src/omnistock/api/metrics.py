"""Request latency, and GET /metrics (Prometheus text, no authentication: no business data).

Metric objects live in omnistock/metrics.py. The outbox lag is computed when scraped, from the
oldest unpublished outbox row, so it is right whichever process publishes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..metrics import REQUEST_LATENCY
from ..services.sources import source_health
from ..store.database import Database
from ..store.tables import outbox

router = APIRouter(tags=["operations"])


def outbox_lag_seconds(db: Database) -> float:
    """Age of the oldest event not yet published (0 when all are)."""
    with db.uow(readonly=True) as uow:
        oldest = uow.conn.execute(
            select(outbox.c.created_at).where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id).limit(1)).scalar()
    return max((db.clock() - oldest).total_seconds(), 0.0) if oldest else 0.0


class OutboxLag(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("omnistock_outbox_lag_seconds",
                                "Age of the oldest unpublished outbox event",
                                value=outbox_lag_seconds(self.db))


class SourceHealth(Collector):
    """Sync health per feed source (services.sources), computed when scraped."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        health = source_health(self.db)
        families = {
            "stale": GaugeMetricFamily("omnistock_source_stale",
                                       "1 when a source went quiet or lags beyond the limit",
                                       labels=["source"]),
            "age": GaugeMetricFamily("omnistock_source_last_record_age_seconds",
                                     "Seconds since the source's last record", labels=["source"]),
            "p50": GaugeMetricFamily("omnistock_source_latency_p50_seconds",
                                     "Data latency (occurred_at to recorded_at), median",
                                     labels=["source"]),
            "p99": GaugeMetricFamily("omnistock_source_latency_p99_seconds",
                                     "Data latency (occurred_at to recorded_at), p99",
                                     labels=["source"]),
        }
        now = self.db.clock()
        for h in health:
            src = [h["source"]]
            families["stale"].add_metric(src, 1.0 if h["stale"] else 0.0)
            last = datetime.fromisoformat(h["last_recorded_at"])
            families["age"].add_metric(src, max((now - last).total_seconds(), 0.0))
            if h["latency_p50_seconds"] is not None:
                families["p50"].add_metric(src, h["latency_p50_seconds"])
                families["p99"].add_metric(src, h["latency_p99_seconds"])
        yield from families.values()


class RequestTimer:
    """ASGI middleware: latency by route template (not raw path), method and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUEST_LATENCY.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - start)


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    body = generate_latest(_registry()) + generate_latest(request.app.state.scrape_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
