"""GET /metrics: Prometheus text, for any key with `read` (a `viewer` key is enough).

The metrics themselves, and the collectors that read the database when scraped, are
omnistock/metrics.py; the app gives them to a `ScrapeCache` on `app.state.scrape`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ..deps import Reader

router = APIRouter(tags=["operations"])

SCRAPE_CACHE_SECONDS = 5.0


class ScrapeCache:
    """The figures read from the database, collected at most once per `seconds`: however
    many Prometheus servers scrape, and however often, they cost a few queries per interval."""

    def __init__(self, collectors: Iterable[Collector],
                 seconds: float = SCRAPE_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._registry = CollectorRegistry()
        for collector in collectors:
            self._registry.register(collector)
        self._lock = threading.Lock()  # one collection at a time; the others wait for it
        self._text, self._until = b"", 0.0

    def text(self) -> bytes:
        with self._lock:
            now = time.monotonic()
            if now >= self._until:
                self._text, self._until = generate_latest(self._registry), now + self.seconds
            return self._text


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, _: Reader) -> Response:
    body = generate_latest(_registry()) + request.app.state.scrape.text()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
