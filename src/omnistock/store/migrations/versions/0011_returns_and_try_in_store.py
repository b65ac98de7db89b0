"""returns with their dispositions, return rules, try-in-store holds

Revision ID: 0011
Revises: 0016
Create Date: 2026-12-03 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnistock.store.types

revision = "0011"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC = omnistock.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("disposition", sa.JSON(), nullable=False),
        sa.Column("before_shipment", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_returns_positive_quantity")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_returns_item_id_items")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name=op.f("fk_returns_location_id_locations")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name=op.f("fk_returns_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("external_id", name=op.f("uq_returns_external_id")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index("ix_returns_location_recorded", ["location_id", "recorded_at"],
                              unique=False)
        batch_op.create_index("ix_returns_order_item", ["order_id", "item_id"], unique=False)
        batch_op.create_index("ix_returns_recorded", ["recorded_at"], unique=False)

    op.create_table(
        "return_policies",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_return_policies")),
    )

    op.create_table(
        "try_in_store",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["id"], ["reservations.id"],
                                name=op.f("fk_try_in_store_id_reservations")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name=op.f("fk_try_in_store_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_try_in_store")),
    )
    with op.batch_alter_table("try_in_store", schema=None) as batch_op:
        batch_op.create_index("ix_try_in_store_location_outcome", ["location_id", "outcome"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("try_in_store", schema=None) as batch_op:
        batch_op.drop_index("ix_try_in_store_location_outcome")
    op.drop_table("try_in_store")
    op.drop_table("return_policies")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_recorded")
        batch_op.drop_index("ix_returns_order_item")
        batch_op.drop_index("ix_returns_location_recorded")
    op.drop_table("returns")
