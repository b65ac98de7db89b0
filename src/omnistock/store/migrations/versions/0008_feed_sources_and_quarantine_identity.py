"""feed sources' settings, and quarantine rows identified per source record

Revision ID: 0008
Revises: 0011
Create Date: 2026-12-03 09:40:00

Quarantine rows from before this revision have no fingerprint: they stay as they are, and a
retry of one gives its record a fingerprinted row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnistock.store.types

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_sources",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=True),
        sa.Column("types", sa.JSON(), nullable=True),
        sa.Column("date_format", sa.String(length=40), nullable=True),
        sa.Column("updated_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_feed_sources")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("seen", sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column(
            "last_seen_at", omnistock.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("uq_quarantine_source_fingerprint", ["source", "fingerprint"],
                              unique=True)


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("uq_quarantine_source_fingerprint")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("seen")
        batch_op.drop_column("fingerprint")
    op.drop_table("feed_sources")
