"""`omnistock verify`: positions must equal the fold of the ledger, and every position's hash
chain must hold from its first movement to its head."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..domain.buckets import BUCKETS
from ..domain.counts import fold, ledger_facts
from ..domain.ledger import GENESIS, Key, chain_content, chain_link
from ..domain.ledger import anchor as chain_anchor
from ..store.database import Database


@dataclass(frozen=True, slots=True)
class Mismatch:
    sku: str
    location: str
    bucket: str
    position: int
    ledger: int
    # "sum" (stored deltas), "replay" (in time order), "chain" (hash chain) or "corrupt" (a
    # stored value that is not an integer: `detail` shows it)
    check: str
    detail: str = ""


def verify(db: Database) -> list[Mismatch]:
    """Two proofs: each position equals the sum of its movements' deltas, and replaying the
    ledger in the order things happened (counts as of their time) gives the same on_hand.

    It always ends in a report: sums are exact Python integers (no SQL SUM() to overflow), and
    a value that is not an integer (a float or text written behind omnistock's back) is
    reported as corrupt instead of being rounded or raising."""
    with db.uow(snapshot=True) as uow:
        rows = uow.ledger.all_positions()
        names = {(r["item_id"], r["location_id"]): (r["sku"], r["location"]) for r in rows}
        stored = {(r["item_id"], r["location_id"]): {b: r[b] for b in BUCKETS} for r in rows}
        sums: dict[Key, dict[str, int]] = {}
        replayed: dict[Key, int] = {}
        corrupt: dict[Key, list[tuple[str, str]]] = {}
        for key, facts in uow.audit.facts_by_position():
            sums[key], replay, bad = _fold(facts)
            if replay is not None:
                replayed[key] = replay
            if bad:
                corrupt[key] = bad
        heads = {(r["item_id"], r["location_id"]): (_integer(r["seq"]) or 0, r["chain_head"])
                 for r in rows}
        broken = {key: why for key, why in _chains(uow.audit.chains(), heads)}
    out: list[Mismatch] = []
    for key in sorted(set(stored) | set(sums)):
        sku, loc = names.get(key, (f"item#{key[0]}", f"location#{key[1]}"))
        have = stored.get(key) or dict.fromkeys(BUCKETS, 0)
        want = sums.get(key) or dict.fromkeys(BUCKETS, 0)
        out += [Mismatch(sku, loc, b, 0, want[b], "corrupt",
                         f"the position's {b} holds {have[b]!r}, not an integer")
                for b in BUCKETS if _integer(have[b]) is None]
        out += [Mismatch(sku, loc, "movements", 0, 0, "corrupt", why)
                for _, why in corrupt.get(key, [])]
        out += [Mismatch(sku, loc, b, have[b], want[b], "sum")
                for b in BUCKETS if _integer(have[b]) is not None and have[b] != want[b]]
        if key in replayed and _integer(have["on_hand"]) is not None \
                and replayed[key] != have["on_hand"]:
            out.append(Mismatch(sku, loc, "on_hand", have["on_hand"], replayed[key], "replay"))
        if key in broken:
            link, movement_id, why = broken[key]
            out.append(Mismatch(sku, loc, "chain", link, movement_id, "chain", why))
    return out


def _integer(value: Any) -> int | None:
    """`value` if the database gave back an integer (SQLite keeps a float or text written
    into an integer column as it is), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _fold(rows: list[Any]) -> tuple[dict[str, int], int | None, list[tuple[str, str]]]:
    """A position's movements: the sum of their deltas (integers only), the on_hand of their
    replay in time order (None when a value it needs is corrupt), and what is corrupt."""
    sums = dict.fromkeys(BUCKETS, 0)
    bad: list[tuple[str, str]] = []
    for r in rows:
        for b in BUCKETS:
            value = getattr(r, f"d_{b}")
            if _integer(value) is None:
                bad.append((b, f"movement ({r.source}, {r.external_id}) has d_{b} = "
                               f"{value!r}, not an integer"))
            else:
                sums[b] += value
        raw, counted = r.raw_on_hand, r.counted
        if _integer(raw) is None or (counted is not None and _integer(counted) is None):
            bad.append(("on_hand", f"movement ({r.source}, {r.external_id}) has raw_on_hand = "
                                   f"{raw!r}, counted = {counted!r}: not integers"))
    replay = None if bad else fold(ledger_facts(r._mapping for r in rows)).on_hand
    return sums, replay, bad


def anchor(db: Database) -> tuple[str, list[dict[str, Any]]]:
    """The digest of every chain head now, and the heads themselves (to keep with it)."""
    with db.uow(snapshot=True) as uow:
        heads = [{"sku": r["sku"], "location": r["location"], "seq": int(r["seq"]),
                  "head": r["chain_head"]} for r in uow.ledger.all_positions()]
    heads.sort(key=lambda h: (h["sku"], h["location"]))
    return chain_anchor((h["sku"], h["location"], h["seq"], h["head"]) for h in heads), heads


def check_anchor(db: Database, heads: list[dict[str, Any]]) -> tuple[str, list[Mismatch]]:
    """The digest of an anchor file's heads, and each head that is no longer a link of its
    chain (the chain was rewritten at or before it)."""
    digest = chain_anchor((h["sku"], h["location"], int(h["seq"]), h["head"]) for h in heads)
    out = []
    with db.uow(snapshot=True) as uow:
        for h in heads:
            if int(h["seq"]) and uow.audit.link(h["sku"], h["location"], int(h["seq"])) != \
                    h["head"]:
                out.append(Mismatch(h["sku"], h["location"], "chain", int(h["seq"]), 0,
                                    "anchor", "the anchored link is gone or changed"))
    return digest, out


def _chains(chains: Iterator[tuple[tuple[int, int], list[Any]]],
            heads: dict[tuple[int, int], tuple[int, str]]
            ) -> Iterator[tuple[tuple[int, int], tuple[int, int, str]]]:
    """The first broken link of each position whose chain does not hold: (link, movement id,
    why). A deleted, inserted, reordered or edited movement breaks it where it was."""
    seen = set()
    for key, rows in chains:
        seen.add(key)
        head = GENESIS
        for n, row in enumerate(rows, start=1):
            expected = chain_link(head, n, chain_content(row))
            if row["seq"] != n:
                yield key, (n, row["id"], f"link {n} is missing: movement {row['id']} claims "
                                          f"link {row['seq']}")
                break
            if row["chain_hash"] != expected:
                yield key, (n, row["id"], f"movement {row['id']} does not hash to its link "
                                          "(edited, moved or inserted)")
                break
            head = expected
        else:
            if heads.get(key, (len(rows), head)) != (len(rows), head):
                yield key, (len(rows), 0, "the position's chain head does not match its "
                                          "movements (a movement was removed at the end)")
    for key, (seq, _) in heads.items():
        if key not in seen and seq:
            yield key, (1, 0, f"the position claims {seq} links and has no movement")
