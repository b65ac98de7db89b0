"""`omnistock verify`: positions must equal the fold of the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..domain.buckets import BUCKETS
from ..domain.counts import LedgerFact, fold
from ..store.database import Database


@dataclass(frozen=True, slots=True)
class Mismatch:
    sku: str
    location: str
    bucket: str
    position: int
    ledger: int
    check: str  # "sum" (stored deltas) or "replay" (the ledger replayed in time order)


def verify(db: Database) -> list[Mismatch]:
    """Two proofs: each position equals the sum of its movements' deltas, and replaying the
    ledger in the order things happened (counts as of their time) gives the same on_hand."""
    with db.uow(snapshot=True) as uow:
        rows = uow.ledger.all_positions()
        names = {(r["item_id"], r["location_id"]): (r["sku"], r["location"]) for r in rows}
        stored = {(r["item_id"], r["location_id"]): {b: int(r[b]) for b in BUCKETS}
                  for r in rows}
        sums = uow.ledger.ledger_sums()
        replayed = dict(_replay(uow.audit.facts_by_position()))
    out: list[Mismatch] = []
    for key in sorted(set(stored) | set(sums)):
        sku, loc = names.get(key, (f"item#{key[0]}", f"location#{key[1]}"))
        have = stored.get(key) or dict.fromkeys(BUCKETS, 0)
        want = sums.get(key) or dict.fromkeys(BUCKETS, 0)
        out += [Mismatch(sku, loc, b, have[b], want[b], "sum")
                for b in BUCKETS if have[b] != want[b]]
        if key in replayed and replayed[key] != have["on_hand"]:
            out.append(Mismatch(sku, loc, "on_hand", have["on_hand"], replayed[key], "replay"))
    return out


def _replay(positions: Iterator[tuple[tuple[int, int], list[Any]]]
            ) -> Iterator[tuple[tuple[int, int], int]]:
    for key, rows in positions:
        facts = [LedgerFact(r.occurred_at, f"{r.source}:{r.external_id}",
                            {"on_hand": r.raw_on_hand}, r.counted) for r in rows]
        yield key, fold(facts).on_hand
