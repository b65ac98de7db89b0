"""Every Prometheus metric omnistock exports, in one place so no layer imports another for them.

With several server processes, prometheus_client's multiprocess mode aggregates them: set
PROMETHEUS_MULTIPROC_DIR (to an empty folder) before the processes import this module;
`omnistock serve --workers N` does. Figures read from the database (the outbox lag, the sync
health of sources) are collectors, computed when scraped, so they are right whichever process
did the work; `GET /metrics` is api/routes/metrics.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .services.sources import source_health
from .store.database import Database

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_LATENCY = Histogram(
    "omnistock_http_request_duration_seconds",
    "HTTP request latency, by route template, method and status code",
    ["route", "method", "status"], buckets=LATENCY_BUCKETS)

MOVEMENTS_APPLIED = Counter(
    "omnistock_movements_applied_total",
    "Movements applied to the ledger through the API (replays not counted), by type",
    ["type"])

RESERVATIONS_REFUSED = Counter(
    "omnistock_reservations_refused_total",
    "Reservations refused because the stock was not available")

RESERVATIONS_EXPIRED = Counter(
    "omnistock_reservations_expired_total",
    "Reservations expired by the sweeper")

# -- the event machinery (events/) ------------------------------------------------------------
# Time from a change to its delivery to a sink. `source`: `occurred_at` = from the time at the
# source, `commit` = from our commit; `sink`: `nats`, `webhook` at a successful delivery, `sse`
# when a change becomes readable by every open stream.
DATA_LATENCY = Histogram(
    "omnistock_data_latency_seconds",
    "Time from a stock change to its delivery, by source and sink",
    ["source", "sink"], buckets=LATENCY_BUCKETS)

EVENTS_PUBLISHED = Counter(
    "omnistock_events_published_total", "Outbox events handed to a sink", ["sink"])
WEBHOOK_ATTEMPTS = Counter(
    "omnistock_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered, failed, parked, cancelled)", ["outcome"])
DISPATCHER_LEADER = Gauge(
    "omnistock_event_dispatcher_leader", "1 while this process holds the dispatcher lease",
    multiprocess_mode="livemax")
SSE_CLIENTS = Gauge("omnistock_sse_clients", "Open server-sent event streams",
                    multiprocess_mode="livesum")


def observe(sink: str, times: Iterable[tuple[datetime, datetime]], now: datetime) -> None:
    """Record (occurred_at, created_at) pairs as published by `sink` at `now`."""
    at_source, at_commit = DATA_LATENCY.labels("occurred_at", sink), DATA_LATENCY.labels(
        "commit", sink)
    n = 0
    for occurred_at, created_at in times:
        at_source.observe(max((now - occurred_at).total_seconds(), 0.0))
        at_commit.observe(max((now - created_at).total_seconds(), 0.0))
        n += 1
    EVENTS_PUBLISHED.labels(sink).inc(n)


# -- computed when scraped -----------------------------------------------------------------------
def outbox_lag_seconds(db: Database) -> float:
    """Age of the oldest event not yet published (0 when all are)."""
    with db.uow(readonly=True) as uow:
        oldest = uow.outbox.oldest_unpublished_at()
    return max((db.clock() - oldest).total_seconds(), 0.0) if oldest else 0.0


class OutboxLag(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("omnistock_outbox_lag_seconds",
                                "Age of the oldest unpublished outbox event",
                                value=outbox_lag_seconds(self.db))


class SourceHealth(Collector):
    """Sync health per feed source (services.sources)."""

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
