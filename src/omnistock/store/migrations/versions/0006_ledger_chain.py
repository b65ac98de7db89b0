"""ledger hash chain: each movement's link, each position's head

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:00:00

Movements recorded before this revision are chained in the order they were recorded (by id),
so `omnistock verify` checks the whole ledger from the start.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from omnistock.domain.ledger import CHAIN_FIELDS, GENESIS, chain_content, chain_link
from omnistock.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NUMBERS = ("item_id", "location_id", "quantity", "raw_on_hand", "counted")
_movements = sa.table(
    "movements", sa.column("id", sa.BigInteger), sa.column("seq", sa.BigInteger),
    sa.column("chain_hash", sa.String),
    *[sa.column(f, UTCDateTime if f == "occurred_at" else
                sa.BigInteger if f in _NUMBERS else sa.String) for f in CHAIN_FIELDS])
_positions = sa.table("positions", sa.column("item_id", sa.Integer),
                      sa.column("location_id", sa.Integer), sa.column("seq", sa.BigInteger),
                      sa.column("chain_head", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("chain_head", sa.String(length=64), server_default="",
                                      nullable=False))
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), nullable=True))
    _chain_existing(op.get_bind())


def _chain_existing(conn: sa.Connection) -> None:
    m = _movements.c
    rows = conn.execute(sa.select(_movements).order_by(m.item_id, m.location_id, m.id)).mappings()
    heads: dict[tuple[int, int], tuple[int, str]] = {}
    links = []
    for row in rows:
        key = (row["item_id"], row["location_id"])
        seq, head = heads.get(key, (0, GENESIS))
        head = chain_link(head, seq + 1, chain_content(dict(row)))
        heads[key] = (seq + 1, head)
        links.append({"b_id": row["id"], "b_seq": seq + 1, "b_hash": head})
    if links:
        conn.execute(sa.update(_movements).where(m.id == sa.bindparam("b_id"))
                     .values(seq=sa.bindparam("b_seq"), chain_hash=sa.bindparam("b_hash")),
                     links)
    p = _positions.c
    if heads:
        conn.execute(sa.update(_positions)
                     .where(p.item_id == sa.bindparam("b_item"),
                            p.location_id == sa.bindparam("b_location"))
                     .values(seq=sa.bindparam("b_seq"), chain_head=sa.bindparam("b_head")),
                     [{"b_item": k[0], "b_location": k[1], "b_seq": s, "b_head": h}
                      for k, (s, h) in heads.items()])


def downgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("chain_head")
        batch_op.drop_column("seq")
