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

from ..store.database import Database

PENDING = 0


@dataclass(frozen=True, slots=True)
class Remembered:
    request_hash: str
    status_code: int
    body: str

    @property
    def pending(self) -> bool:
        return self.status_code == PENDING


def claim(db: Database, key: str, actor: str, request_hash: str) -> Remembered | None:
    """None when the key is now ours; otherwise what is already remembered under it."""
    with db.uow() as uow:
        if uow.idempotency.add(key, actor, request_hash, PENDING, "", db.clock()):
            uow.commit()
            return None
    with db.uow(readonly=True) as uow:
        row = uow.idempotency.get(key, actor)
    if row is None:  # abandoned between our insert and our read: try once more
        return claim(db, key, actor, request_hash)
    return Remembered(row["request_hash"], row["status_code"], row["body"])


def complete(db: Database, key: str, actor: str, status_code: int, body: str) -> None:
    with db.uow() as uow:
        uow.idempotency.update(key, actor, status_code, body)
        uow.commit()


def abandon(db: Database, key: str, actor: str) -> None:
    with db.uow() as uow:
        uow.idempotency.delete(key, actor, status_code=PENDING)
        uow.commit()


def prune(db: Database, older_than: datetime) -> int:
    with db.uow() as uow:
        n = uow.idempotency.prune(older_than)
        uow.commit()
    return n
