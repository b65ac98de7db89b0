"""planning: the latest forecast of each position, and replenishment proposals

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-03 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from omnistock.store.types import UTCDateTime

revision = "0016"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecasts",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("error_sd", sa.Float(), nullable=False),
        sa.Column("wape", sa.Float(), nullable=True),
        sa.Column("mase", sa.Float(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name="fk_forecasts_item_id_items"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name="fk_forecasts_location_id_locations"),
        sa.PrimaryKeyConstraint("item_id", "location_id", name="pk_forecasts"),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=True),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name="fk_proposals_item_id_items"),
        sa.ForeignKeyConstraint(["from_location_id"], ["locations.id"],
                                name="fk_proposals_from_location_id_locations"),
        sa.ForeignKeyConstraint(["to_location_id"], ["locations.id"],
                                name="fk_proposals_to_location_id_locations"),
        sa.PrimaryKeyConstraint("id", name="pk_proposals"),
    )
    op.create_index("ix_proposals_status", "proposals", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_proposals_status", table_name="proposals")
    op.drop_table("proposals")
    op.drop_table("forecasts")
