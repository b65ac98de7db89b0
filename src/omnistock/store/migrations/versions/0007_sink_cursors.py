"""sink cursors: each outbox sink keeps its own position

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-03 10:30:00

A sink without a row starts where the shared `published_at` mark left off (events/dispatcher.py),
so an upgraded deployment neither re-sends nor skips events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnistock.store.types

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sink_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", omnistock.store.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sink_cursors")),
    )


def downgrade() -> None:
    op.drop_table("sink_cursors")
