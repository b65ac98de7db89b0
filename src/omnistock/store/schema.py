"""The whole schema: every table module, registered on the one `metadata`.

Alembic compares migrations against it, and tests that empty or create databases read its
tables from here, so a table defined in a new module is seen only once it is imported below.
"""

from __future__ import annotations

from . import (
    event_tables,
    feed_source_tables,
    feed_tables,
    hold_tables,
    integration_tables,
    order_tables,
    planning_tables,
    return_tables,
    sink_tables,
    tables,
    transfer_tables,
)
from .tables import metadata

__all__ = ["event_tables", "feed_source_tables", "feed_tables", "hold_tables",
           "integration_tables", "metadata",
           "order_tables", "planning_tables", "return_tables", "sink_tables", "tables",
           "transfer_tables"]
