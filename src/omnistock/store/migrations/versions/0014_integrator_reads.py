"""integrator reads: location addresses, a location's stock index, the Shopify sink's levels

Revision ID: 0014
Revises: 0007
Create Date: 2026-12-03 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnistock.store.types

revision = "0014"
down_revision = "0007"
branch_labels = None
depends_on = None

_TIME = omnistock.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index("ix_positions_location_item", ["location_id", "item_id"],
                              unique=False)
    op.create_table(
        "location_addresses",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=True),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name=op.f("fk_location_addresses_location_id_locations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location_addresses")),
    )
    op.create_table(
        "shopify_levels",
        sa.Column("inventory_item_id", sa.String(length=64), nullable=False),
        sa.Column("shopify_location_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("desired", sa.BigInteger(), nullable=False),
        sa.Column("desired_event", sa.BigInteger(), nullable=False),
        sa.Column("pushed", sa.BigInteger(), nullable=True),
        sa.Column("pushed_event", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("last_attempt_at", _TIME, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("inventory_item_id", "shopify_location_id",
                                name=op.f("pk_shopify_levels")),
    )
    with op.batch_alter_table("shopify_levels", schema=None) as batch_op:
        batch_op.create_index("ix_shopify_levels_due", ["status", "next_attempt_at"],
                              unique=False)
        batch_op.create_index("ix_shopify_levels_position", ["sku", "location"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shopify_levels", schema=None) as batch_op:
        batch_op.drop_index("ix_shopify_levels_position")
        batch_op.drop_index("ix_shopify_levels_due")
    op.drop_table("shopify_levels")
    op.drop_table("location_addresses")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_location_item")
