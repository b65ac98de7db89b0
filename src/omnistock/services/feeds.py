"""Feeds into the ledger: resolve each source's codes, apply in batches, quarantine the rest.

Every record read ends up in exactly one of: applied, duplicate (its (source, external_id) was
already in the ledger) or quarantined (with its reason), so a summary always adds up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..domain import gs1
from ..domain.errors import DomainError
from ..domain.feeds import FeedRecord, Rejected, fingerprint, raw_fingerprint
from ..domain.movements import MovementRequest, MovementType
from ..store.database import Database
from .context import iso
from .movements import Applied, CountRequest, apply_batch, apply_counts


@dataclass
class ImportSummary:
    source: str
    format: str
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    # Counts that moved a position: {sku, location, counted, delta, value} (value at unit cost,
    # None when the item has no cost): the largest VARIANCE_LINES, and totals over all of them.
    variance: list[dict[str, Any]] = field(default_factory=list)
    variance_positions: int = 0
    variance_units: int = 0
    variance_value: float = 0.0
    # Fingerprints of the records held by this import (a retry keeps their rows open).
    held: set[str] = field(default_factory=set)

    @property
    def adds_up(self) -> bool:
        return self.applied + self.duplicates + self.quarantined == self.read

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format, "read": self.read,
                "applied": self.applied, "duplicates": self.duplicates,
                "quarantined": self.quarantined, "reasons": dict(self.reasons),
                "variance": {"positions": self.variance_positions,
                             "units": self.variance_units,
                             "value": round(self.variance_value, 2),
                             "lines": self.variance}}

    def merge(self, other: ImportSummary) -> None:
        self.read += other.read
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.reasons.update(other.reasons)
        self.held |= other.held
        self.variance_positions += other.variance_positions
        self.variance_units += other.variance_units
        self.variance_value += other.variance_value
        self.variance = sorted(self.variance + other.variance, key=_magnitude)[:VARIANCE_LINES]

    def add_variance(self, lines: list[dict[str, Any]]) -> None:
        self.variance_positions += len(lines)
        self.variance_units += sum(v["delta"] for v in lines)
        self.variance_value += sum(v["value"] or 0 for v in lines)
        self.variance = sorted(self.variance + lines, key=_magnitude)[:VARIANCE_LINES]


def _magnitude(v: dict[str, Any]) -> float:
    return -abs(v["value"] if v["value"] is not None else v["delta"])


VARIANCE_LINES = 1000  # the largest first; the totals cover every line


class Unresolved(Exception):
    pass


class Resolver:
    """Turns a source's item and location codes into ours: the source's own mappings first,
    then GTIN / GLN, then our own sku and location codes.

    A code that resolves to nothing is told apart by why: a source code with no mapping, a GS1
    key no item or location carries, a GS1-shaped code with a wrong check digit (a typo, or a
    key mangled on the way), or a plain code we do not know."""

    def __init__(self, db: Database, source: str) -> None:
        with db.uow(readonly=True) as uow:
            maps = uow.feeds.mappings(source)
            self.gtins = uow.feeds.by_gtin()
            self.glns = uow.feeds.by_gln()
            self.skus, self.codes = uow.feeds.known()
            self.had_open = uow.feeds.has_open(source)
        self.items = {m["code"]: m["target"] for m in maps if m["kind"] == "item"}
        self.locations = {m["code"]: m["target"] for m in maps if m["kind"] == "location"}
        self.source = source

    def item(self, r: FeedRecord) -> str:
        found = self.items.get(r.item_code) or (
            self.gtins.get(r.item_code) if r.item_scheme == "gtin" else
            r.item_code if r.item_scheme == "sku" and r.item_code in self.skus else None)
        if found is None:
            raise Unresolved(self._why("item", r.item_scheme, r.item_code, gs1.GTIN_LENGTHS,
                                       "GTIN"))
        return found

    def location(self, r: FeedRecord) -> str:
        code = r.location_code or DEFAULT_LOCATION
        found = self.locations.get(code) or (
            self.glns.get(code) if r.location_scheme == "gln" else
            code if code in self.codes else None)
        if found is None and code == DEFAULT_LOCATION:
            raise Unresolved(f"no location given for this record, and source {self.source} "
                             f"has no default location: map one (omnistock mappings add "
                             f"{self.source} location '{DEFAULT_LOCATION}' <location code>), "
                             "then retry")
        if found is None:
            raise Unresolved(self._why("location", r.location_scheme, code, (gs1.GLN_LENGTH,),
                                       "GLN"))
        return found

    def _why(self, kind: str, scheme: str, code: str, lengths: tuple[int, ...],
             key: str) -> str:
        fix = (f"map it (omnistock mappings add {self.source} {kind} '{code}' "
               f"<our {'sku' if kind == 'item' else 'location code'}>), then retry")
        if scheme == "source":
            return f"unmapped {kind} code {code!r} of source {self.source}: {fix}"
        if scheme in ("gtin", "gln"):
            return (f"unknown {key} {code!r}: no {kind} of ours carries it; set it on the "
                    f"{kind}, or {fix}")
        if problem := gs1.check_digit_problem(code, lengths):
            return (f"bad check digit in {kind} code {code!r}: read as a {key}, its "
                    f"{problem}; as a code of ours it is unknown too: correct the file, or "
                    f"{fix}")
        return f"unknown {kind} {code!r}: no {kind} of ours has this code; {fix}"


FILE_UNREAD = "no line of the file was read"  # the end of a reason that refused a whole file

# A record whose source gave no location (a Shopify refund from before locations) is placed
# through the source's mapping of this code, when there is one.
DEFAULT_LOCATION = "*"


def import_records(db: Database, records: Iterable[FeedRecord | Rejected], *, source: str,
                   fmt: str, batch_size: int = 1000, actor: str | None = None,
                   on_batch: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    """Stream `records` into the ledger, `batch_size` per transaction, in constant memory.

    Every movement records `actor` (the API key's prefix), else `feed:<source>`. A record
    held before and applied now (a corrected re-send, a retry) has its quarantine row closed."""
    summary = ImportSummary(source, fmt)
    resolver = Resolver(db, source)
    who = actor or f"feed:{source}"
    chunk: list[FeedRecord | Rejected] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= batch_size:
            _apply_chunk(db, resolver, chunk, summary, who)
            chunk = []
            if on_batch:
                on_batch(summary)
    if chunk:
        _apply_chunk(db, resolver, chunk, summary, who)
    if resolver.had_open and summary.applied + summary.duplicates:
        # The source's files are read now: a header refused before is no longer a problem.
        with db.uow() as uow:
            uow.feeds.resolve_unread_files(source, fmt, FILE_UNREAD, db.clock())
            uow.commit()
    if on_batch:
        on_batch(summary)
    return summary


def _apply_chunk(db: Database, resolver: Resolver, chunk: list[FeedRecord | Rejected],
                 summary: ImportSummary, actor: str) -> None:
    summary.read += len(chunk)
    held: list[dict[str, Any]] = []
    moves: list[tuple[FeedRecord, MovementRequest]] = []
    counts: list[tuple[FeedRecord, CountRequest]] = []
    for r in chunk:
        if isinstance(r, Rejected):
            held.append(_held(summary, r.position, r.raw, r.reason, None))
            continue
        try:
            sku, location = resolver.item(r), resolver.location(r)
        except Unresolved as e:
            held.append(_held(summary, r.position, r.raw, str(e), r))
            continue
        if r.kind in ("count", "available"):
            counts.append((r, CountRequest(sku, location, r.quantity, r.occurred_at,
                                           summary.source, r.external_id,
                                           basis="available" if r.kind == "available"
                                           else "on_hand")))
        else:
            assert r.type is not None
            moves.append((r, MovementRequest(r.type, sku, location, r.quantity, r.occurred_at,
                                             summary.source, r.external_id,
                                             expected_at=r.expected_at)))
    held += _apply_all(db, moves, summary, lambda reqs: apply_batch(db, reqs, actor,
                                                                       with_ids=False),
                       lambda req: apply_batch(db, [req], actor, with_ids=False,
                                               fields=False)[0],
                       [])
    moved: list[dict[str, Any]] = []
    held += _apply_all(db, counts, summary, lambda reqs: apply_counts(db, reqs, actor),
                       lambda req: apply_counts(db, [req], actor)[0], moved)
    summary.add_variance(_valued(db, moved))
    now = db.clock()
    summary.held |= {h["fingerprint"] for h in held}
    applied = [fp for r in chunk if isinstance(r, FeedRecord)
               for fp in (fingerprint(summary.format, r), raw_fingerprint(summary.format, r.raw))
               if fp not in summary.held] if resolver.had_open else []
    if held or applied:
        with db.uow() as uow:
            uow.feeds.quarantine([{**h, "created_at": now, "last_seen_at": now} for h in held])
            uow.feeds.resolve_applied(summary.source, applied, now)
            uow.commit()


def _apply_all(db: Database, pairs: list[tuple[FeedRecord, Any]], summary: ImportSummary,
               many: Callable[[list[Any]], list[Applied]], one: Callable[[Any], Applied],
               moved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The whole batch in one transaction; if any record is refused, one by one, so that the
    refused records are quarantined and the rest still apply."""
    if not pairs:
        return []
    try:
        _tally(summary, many([req for _, req in pairs]), moved)
        return []
    except DomainError:
        pass
    held = []
    for record, req in pairs:
        try:
            _tally(summary, [one(req)], moved)
        except DomainError as e:
            held.append(_held(summary, record.position, record.raw, e.detail, record))
    return held


def _tally(summary: ImportSummary, results: list[Applied],
           moved: list[dict[str, Any]]) -> None:
    dup = sum(r.replayed for r in results)
    summary.duplicates += dup
    summary.applied += len(results) - dup
    moved += [
        {"sku": r.sku, "location": r.location, "counted": r.row["counted"],
         "delta": r.row["d_on_hand"], "value": None}
        for r in results if not r.replayed and r.row["type"] == "count" and r.row["d_on_hand"]]


def _valued(db: Database, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Variance lines priced at unit cost."""
    if lines:
        with db.uow(readonly=True) as uow:
            costs = uow.catalog.unit_costs({v["sku"] for v in lines})
        for v in lines:
            cost = costs.get(v["sku"])
            v["value"] = round(v["delta"] * cost, 2) if cost is not None else None
    return lines


def _held(summary: ImportSummary, position: str, raw: str, reason: str,
          record: FeedRecord | None) -> dict[str, Any]:
    summary.quarantined += 1
    summary.reasons[_reason_kind(reason)] += 1
    held = record or Rejected(position, raw, reason)
    return {"source": summary.source, "format": summary.format,
            "position": _text(position)[:200], "raw": _text(raw), "reason": _text(reason),
            "status": "open", "fingerprint": fingerprint(summary.format, held),
            "record": _record_json(record) if record else None}


def _reason_kind(reason: str) -> str:
    """A reason with the values it quotes masked ("unknown item 'X': ..." -> "unknown item
    '…': ..."), so that the summary groups records by what went wrong, whole; the quarantine
    keeps each reason as it is."""
    return _QUOTED.sub(lambda m: f"{m.group()[0]}…{m.group()[0]}", reason)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _text(value: str) -> str:
    """Text a database column can hold: PostgreSQL refuses NUL characters, and a broken feed
    (binary junk, a wrong file) is exactly where they turn up."""
    return value.replace("\x00", "\\x00")


def _record_json(r: FeedRecord) -> dict[str, Any]:
    data = asdict(r)
    data["type"] = r.type.value if r.type else None
    data["occurred_at"] = iso(r.occurred_at)
    data["expected_at"] = iso(r.expected_at) if r.expected_at else None
    return data


def _record_from_json(data: dict[str, Any]) -> FeedRecord:
    expected = data.get("expected_at")
    return FeedRecord(**{**data, "type": MovementType(data["type"]) if data["type"] else None,
                         "occurred_at": datetime.fromisoformat(data["occurred_at"]),
                         "expected_at": datetime.fromisoformat(expected) if expected else None})


def retry_quarantine(db: Database, source: str | None = None, ids: list[int] | None = None,
                     actor: str | None = None) -> ImportSummary:
    """Apply again the quarantined records that parsed (e.g. after a mapping was added): all,
    a source's, or the rows `ids`. Malformed records stay quarantined: only a corrected re-send
    can fix them (and closes their row). A record that fails again keeps its row, open, with
    its current reason; one that applies, or is found already applied, has its row closed."""
    with db.uow(readonly=True) as uow:
        rows = [r for r in uow.feeds.quarantined(source=source, limit=100_000, ids=ids)
                if r["record"]]
    total = ImportSummary(source or "*", "retry")
    by_source: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        by_source.setdefault((row["source"], row["format"]), []).append(row)
    for (src, fmt), group in by_source.items():
        part = import_records(db, (_record_from_json(r["record"]) for r in group),
                              source=src, fmt=fmt, actor=actor)
        # Rows from before fingerprints: their record now has a row of its own if it failed.
        legacy = [r["id"] for r in group if r["fingerprint"] is None]
        with db.uow() as uow:
            uow.feeds.resolve(legacy, db.clock())
            uow.commit()
        total.merge(part)
    return total


def quarantine_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "source": row["source"], "format": row["format"],
            "position": row["position"], "raw": row["raw"], "reason": row["reason"],
            "status": row["status"], "created_at": iso(row["created_at"]),
            "last_seen_at": iso(row["last_seen_at"] or row["created_at"]),
            "seen": row["seen"], "retryable": row["record"] is not None}


def list_quarantine(db: Database, source: str | None = None,
                    status: str = "open") -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        return [quarantine_view(r) for r in uow.feeds.quarantined(status=status,
                                                                   source=source)]
