"""Every Prometheus metric omnistock exports, in one place so no layer imports another for them.

With several server processes, prometheus_client's multiprocess mode aggregates them: set
PROMETHEUS_MULTIPROC_DIR (to an empty folder) before the processes import this module;
`omnistock serve --workers N` does. Gauges computed at scrape time (the outbox lag) are not
here: api/metrics.py reads them from the database when /metrics is asked.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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

# Observed by events/: time from a change's commit (or its occurred_at at the source) to its
# delivery to a sink (sse, webhook, nats).
DATA_LATENCY = Histogram(
    "omnistock_data_latency_seconds",
    "Time from a stock change to its delivery, by source and sink",
    ["source", "sink"], buckets=LATENCY_BUCKETS)
