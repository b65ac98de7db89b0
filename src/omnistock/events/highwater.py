"""The settled prefix of the outbox: what a reader may hand out, in id order, without holes.

On SQLite writers are serialised, so an id is visible only after every smaller id that will
ever commit: rows are final as read. On PostgreSQL ids come from a sequence when rows are
inserted, not when they commit: id 11 can be visible while id 10 is still in flight, and a
reader that moved past 10 would never send it. So when a reader finds a hole it keeps the rows
above it back and remembers the snapshot of that read (the `token`): the hole can only be
filled by a transaction that was in progress in that snapshot (a transaction starting later
draws a larger id). Once a later read's own snapshot sees none of those as running (`settle`),
that read holds every row they committed, and any id still missing below the highest id of the
first read is final (a rollback) and is passed. `timeout` bounds the wait if an unrelated long
transaction keeps the snapshot unsettled: a row committed after that is skipped by live
streams (it is still published by the dispatcher and the webhooks), with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Hole:
    token: str  # snapshot taken after the read that found it
    upto: int  # highest id in that read: every missing id below was drawn before the snapshot
    since: float
    settled: bool = False


class HighWater:
    def __init__(self, cursor: int, *, in_order: bool, timeout: float) -> None:
        self.cursor = cursor  # ids <= cursor are settled
        self.in_order = in_order
        self.timeout = timeout
        self.hole: Hole | None = None
        # Ids passed on `timeout` while still missing, (first, last): a row among them that
        # commits later was never released (the dispatcher looks for such late rows).
        self.skipped: list[tuple[int, int]] = []

    def pending_token(self) -> str | None:
        return self.hole.token if self.hole is not None and not self.hole.settled else None

    def settle(self) -> None:
        if self.hole is not None:
            self.hole.settled = True

    def advance(self, rows: Sequence[Mapping[str, Any]], token: str | None,
                now: float) -> list[Mapping[str, Any]]:
        """Rows read after the cursor (id order) -> those that are now settled."""
        released = []
        for row in rows:
            rid = int(row["id"])
            if rid <= self.cursor:
                continue
            if rid > self.cursor + 1 and not self.in_order and not self._passable(rid, now):
                if self.hole is None or rid > self.hole.upto:
                    assert token is not None, "a reader that can see holes must pass a token"
                    self.hole = Hole(token, int(rows[-1]["id"]), now)
                break
            released.append(row)
            self.cursor = rid
        if self.hole is not None and self.cursor >= self.hole.upto:
            self.hole = None
        return released

    def _passable(self, rid: int, now: float) -> bool:
        hole = self.hole
        if hole is None or rid > hole.upto:
            return False
        if hole.settled:
            return True
        if now - hole.since >= self.timeout:
            log.warning("outbox ids %d..%d still missing after %.1f s; passing them",
                        self.cursor + 1, rid - 1, self.timeout)
            self.skipped.append((self.cursor + 1, rid - 1))
            return True
        return False
