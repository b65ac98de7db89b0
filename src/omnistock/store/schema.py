"""The whole schema: every table module, registered on the one `metadata`.

Alembic compares migrations against it, and tests that empty or create databases read its
tables from here, so a table defined in a new module is seen only once it is imported below.
"""

from __future__ import annotations

from . import event_tables, feed_tables, order_tables, tables
from .integration_tables import location_addresses  # noqa: F401 (registers the module)
from .tables import metadata

__all__ = ["event_tables", "feed_tables", "metadata", "order_tables", "tables"]
