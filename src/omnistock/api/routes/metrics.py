"""GET /metrics: Prometheus text, no authentication (no business data).

The metrics themselves, and the collectors that read the database when scraped, are
omnistock/metrics.py; the app registers its collectors on `app.state.scrape_registry`.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

router = APIRouter(tags=["operations"])


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
