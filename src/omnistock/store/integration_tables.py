"""Tables behind the integrator's API: location addresses, the index that pages a location's
stock, and the levels the Shopify sink keeps in step with omnistock's ATP."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from .tables import metadata, positions
from .types import UTCDateTime

# GET /v1/locations/{code}/stock reads a location's positions in item id order.
Index("ix_positions_location_item", positions.c.location_id, positions.c.item_id)

location_addresses = Table(
    "location_addresses",
    metadata,
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
    Column("line1", String(200)),
    Column("line2", String(200)),
    Column("city", String(100)),
    Column("region", String(100)),
    Column("postal_code", String(20)),
    Column("country", String(2)),  # ISO 3166-1 alpha-2
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per Shopify inventory level (inventory item x Shopify location) that omnistock sets.
# `desired` is the quantity the latest availability event asks for; `pushed` what Shopify holds
# as far as omnistock knows (set by a push, or read back; NULL: unknown, read it first), and
# the compareQuantity of the next push. A level is due while desired_event > pushed_event.
# `next_attempt_at` doubles as the sender's claim lease, as for webhook deliveries.
shopify_levels = Table(
    "shopify_levels",
    metadata,
    Column("inventory_item_id", String(64), primary_key=True),
    Column("shopify_location_id", String(64), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(64), nullable=False),
    Column("desired", BigInteger, nullable=False),
    Column("desired_event", BigInteger, nullable=False),
    Column("pushed", BigInteger),
    Column("pushed_event", BigInteger, nullable=False, default=0),
    Column("status", String(16), nullable=False),  # pending | synced | parked
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime),
    Column("last_status_code", Integer),
    Column("last_error", String(500)),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_shopify_levels_due", "status", "next_attempt_at"),
    Index("ix_shopify_levels_position", "sku", "location"),
)
