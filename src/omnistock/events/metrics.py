"""Prometheus metrics of the event machinery.

Latency goes to `omnistock.metrics.DATA_LATENCY` (labels `source`: `occurred_at` = from the
time at the source, `commit` = from our commit; `sink`: `nats`, `webhook` at a successful
delivery, `sse` when a change becomes readable by every open stream). The rest is defined here
until it moves to omnistock/metrics.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import Counter, Gauge

from ..metrics import DATA_LATENCY

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
