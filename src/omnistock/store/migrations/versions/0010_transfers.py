"""transfers: the record of stock moved between locations, its lines and its receipts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:15:01.392937
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnistock.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("expected_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("inbound_reference", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("fulfillment", sa.Integer(), nullable=True),
        sa.Column("managed_by_order", sa.Boolean(), nullable=False),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.Column("discrepancies", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_transfers_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_transfers_to_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transfers_from_status", ["from_location_id", "status"], unique=False
        )
        batch_op.create_index("ix_transfers_order", ["order_id", "fulfillment"], unique=False)
        batch_op.create_index("ix_transfers_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_transfers_to_status", ["to_location_id", "status"], unique=False)

    op.create_table(
        "transfer_lines",
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("shipped", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("lost", sa.BigInteger(), nullable=False),
        sa.Column("over", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_transfer_lines_positive_quantity")),
        sa.CheckConstraint(
            "received + lost <= shipped", name=op.f("ck_transfer_lines_within_shipped")
        ),
        sa.CheckConstraint(
            "shipped >= 0 AND received >= 0 AND lost >= 0 AND over >= 0",
            name=op.f("ck_transfer_lines_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_transfer_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_lines_transfer_id_transfers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transfer_id", "item_id", name=op.f("pk_transfer_lines")),
    )
    op.create_table(
        "transfer_receipts",
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_receipts_transfer_id_transfers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transfer_id", "number", name=op.f("pk_transfer_receipts")),
        sa.UniqueConstraint("transfer_id", "external_id", name="uq_transfer_receipts_external_id"),
    )


def downgrade() -> None:
    op.drop_table("transfer_receipts")
    op.drop_table("transfer_lines")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_transfers_to_status")
        batch_op.drop_index("ix_transfers_status_created")
        batch_op.drop_index("ix_transfers_order")
        batch_op.drop_index("ix_transfers_from_status")

    op.drop_table("transfers")
