"""The core tables (items, locations, the ledger, the outbox ...) and the shared `metadata`.

Tables are SQLAlchemy Core; domain objects never inherit from them. The whole schema, with
the feed, order and event tables, is `store/schema.py`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..domain.buckets import BUCKETS
from .types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger ids that are still SQLite's rowid alias (SQLite only auto-increments INTEGER PKs).
BigId = BigInteger().with_variant(Integer(), "sqlite")

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("gtin", String(14), unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("unit_cost", Numeric(12, 4)),
    Column("created_at", UTCDateTime, nullable=False),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("kind", String(16), nullable=False),
    Column("gln", String(13), unique=True),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("can_ship", Boolean, nullable=False, default=False),
    Column("can_pickup", Boolean, nullable=False, default=False),
    Column("daily_capacity", Integer),
    Column("created_at", UTCDateTime, nullable=False),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("policy", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
)

channel_locations = Table(
    "channel_locations",
    metadata,
    Column("channel_id", ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
)

_bucket_columns = [Column(b, BigInteger, nullable=False, default=0) for b in BUCKETS]

positions = Table(
    "positions",
    metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
    *_bucket_columns,
    # The latest count applied to this position (see domain/counts.py).
    Column("count_at", UTCDateTime),
    Column("count_key", String(200)),
    # The head of the position's hash chain: its length and the hash of its last link.
    Column("seq", BigInteger, nullable=False, default=0, server_default="0"),
    Column("chain_head", String(64), nullable=False, default="", server_default=""),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_positions_location", "location_id"),
)

movements = Table(
    "movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("type", String(24), nullable=False),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    # Effective deltas (what the position changed by) and the raw on_hand delta (the intent,
    # before a count suppressed it), so the ledger can be both summed and replayed.
    *[Column(f"d_{b}", BigInteger, nullable=False, default=0) for b in BUCKETS],
    Column("raw_on_hand", BigInteger, nullable=False, default=0),
    Column("counted", BigInteger),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("source", String(64), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("reason", String(64)),
    Column("reference", String(200)),
    Column("actor", String(64)),
    # Its link in the position's hash chain (domain/ledger.py).
    Column("seq", BigInteger),
    Column("chain_hash", String(64)),
    UniqueConstraint("source", "external_id", name="uq_movements_idempotency"),
    Index("ix_movements_position_time", "item_id", "location_id", "occurred_at"),
    Index("ix_movements_recorded", "recorded_at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("reference", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("actor", String(64)),
    CheckConstraint("quantity > 0", name="positive_quantity"),
    Index("ix_reservations_status_expires", "status", "expires_at"),
    Index("ix_reservations_position", "item_id", "location_id", "status"),
)

# Units expected at a location (transfers in transit, purchase orders), for future ATP.
inbound = Table(
    "inbound",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("quantity_open", BigInteger, nullable=False),
    Column("expected_at", UTCDateTime, nullable=False),
    Column("reference", String(200)),
    Column("movement_id", ForeignKey("movements.id"), nullable=False),
    Column("kind", String(16), nullable=False, server_default="notice"),  # INBOUND_KINDS
    Index("ix_inbound_position", "item_id", "location_id", "expected_at"),
)

# Transactional outbox: written in the same transaction as the change it announces.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
    Index("ix_outbox_unpublished", "published_at", "id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("location_id", ForeignKey("locations.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# Holds and orders refused for want of stock. They change no stock, so the ledger has no trace
# of them; this is what the "oversell attempts refused" figure counts.
refusals = Table(
    "refusals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # reservation | order
    Column("reference", String(200)),
    Column("lines", JSON, nullable=False),
    Column("refused_at", UTCDateTime, nullable=False),
    Index("ix_refusals_refused_at", "refused_at"),
)

# Responses remembered for the Idempotency-Key header of the HTTP API.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("actor", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
