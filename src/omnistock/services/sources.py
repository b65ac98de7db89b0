"""Sync health per source: how late its data arrives, and whether it has gone quiet."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

from ..store.database import Database
from .context import iso

DEFAULT_STALE_AFTER = timedelta(minutes=15)
INTERNAL_SOURCES = ("reservation", "order")
SAMPLE = 1000


def source_health(db: Database, stale_after: timedelta = DEFAULT_STALE_AFTER
                  ) -> list[dict[str, Any]]:
    """Per source: records, last record times, data latency (occurred_at -> recorded_at) p50 and
    p99 over its latest records, and `stale` when it has been quiet or late beyond the limit."""
    with db.uow(readonly=True) as uow:
        now = db.clock()
        rows = uow.feeds.source_totals(INTERNAL_SOURCES)
        samples = {src: uow.feeds.latest_times(src, SAMPLE) for src, *_ in rows}
    out = []
    for src, n, last_recorded, last_occurred in rows:
        lags = sorted(max((r - o).total_seconds(), 0.0) for r, o in samples[src])
        p50 = statistics.median(lags) if lags else None
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else None
        quiet = now - last_recorded > stale_after
        late = p50 is not None and p50 > stale_after.total_seconds()
        out.append({"source": src, "records": n, "last_recorded_at": iso(last_recorded),
                    "last_occurred_at": iso(last_occurred), "latency_p50_seconds": p50,
                    "latency_p99_seconds": p99, "stale": quiet or late,
                    "stale_reason": "quiet" if quiet else "lagging" if late else None})
    return out
