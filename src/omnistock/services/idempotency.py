"""Responses remembered under a client's Idempotency-Key, per actor.

A request first *claims* its key (a row with status 0, committed on its own), does its work,
then *completes* the row with the response. A second request with the key finds the row: a
completed one is replayed, a pending one is refused as in progress, so two concurrent retries
can never both do the work. A failed request *abandons* its claim: a rejected input changes
nothing, so retrying it is safe. If the process dies between the work's commit and `complete`,
the claim stays pending and the key keeps answering "in progress" until it is pruned: the
client is told the outcome is unknown instead of having the work done twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..store.database import Database
from ..store.tables import idempotency_keys as table

PENDING = 0


@dataclass(frozen=True, slots=True)
class Remembered:
    request_hash: str
    status_code: int
    body: str

    @property
    def pending(self) -> bool:
        return self.status_code == PENDING


def _where(key: str, actor: str):  # type: ignore[no-untyped-def]
    return (table.c.key == key) & (table.c.actor == actor)


def claim(db: Database, key: str, actor: str, request_hash: str) -> Remembered | None:
    """None when the key is now ours; otherwise what is already remembered under it."""
    try:
        with db.uow() as uow:
            uow.conn.execute(insert(table).values(
                key=key, actor=actor, request_hash=request_hash, status_code=PENDING, body="",
                created_at=db.clock()))
            uow.commit()
        return None
    except IntegrityError:
        pass
    with db.uow(readonly=True) as uow:
        row = uow.conn.execute(select(table.c.request_hash, table.c.status_code, table.c.body)
                               .where(_where(key, actor))).first()
    if row is None:  # abandoned between our insert and our read: try once more
        return claim(db, key, actor, request_hash)
    return Remembered(row.request_hash, row.status_code, row.body)


def complete(db: Database, key: str, actor: str, status_code: int, body: str) -> None:
    with db.uow() as uow:
        uow.conn.execute(update(table).where(_where(key, actor))
                         .values(status_code=status_code, body=body))
        uow.commit()


def abandon(db: Database, key: str, actor: str) -> None:
    with db.uow() as uow:
        uow.conn.execute(delete(table).where(_where(key, actor),
                                             table.c.status_code == PENDING))
        uow.commit()


def prune(db: Database, older_than: datetime) -> int:
    with db.uow() as uow:
        n = uow.conn.execute(delete(table).where(table.c.created_at < older_than)).rowcount
        uow.commit()
    return int(n or 0)
