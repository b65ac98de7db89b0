"""Feeds into the ledger: resolve each source's codes, apply in batches, quarantine the rest.

Every record read ends up in exactly one of: applied, duplicate (its (source, external_id) was
already in the ledger) or quarantined (with its reason), so a summary always adds up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..domain.errors import DomainError
from ..domain.feeds import FeedRecord, Rejected
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
    then GTIN / GLN, then our own sku and location codes."""

    def __init__(self, db: Database, source: str) -> None:
        with db.uow(readonly=True) as uow:
            maps = uow.feeds.mappings(source)
            self.gtins = uow.feeds.by_gtin()
            self.glns = uow.feeds.by_gln()
            self.skus, self.codes = uow.feeds.known()
        self.items = {m["code"]: m["target"] for m in maps if m["kind"] == "item"}
        self.locations = {m["code"]: m["target"] for m in maps if m["kind"] == "location"}
        self.source = source

    def item(self, r: FeedRecord) -> str:
        found = self.items.get(r.item_code) or (
            self.gtins.get(r.item_code) if r.item_scheme == "gtin" else
            r.item_code if r.item_scheme == "sku" and r.item_code in self.skus else None)
        if found is None:
            raise Unresolved(f"unmapped item {r.item_scheme} {r.item_code!r} for source "
                             f"{self.source}")
        return found

    def location(self, r: FeedRecord) -> str:
        found = self.locations.get(r.location_code) or (
            self.glns.get(r.location_code) if r.location_scheme == "gln" else
            r.location_code if r.location_code in self.codes else None)
        if found is None:
            raise Unresolved(f"unmapped location {r.location_scheme} {r.location_code!r} for "
                             f"source {self.source}")
        return found


def import_records(db: Database, records: Iterable[FeedRecord | Rejected], *, source: str,
                   fmt: str, batch_size: int = 1000,
                   on_batch: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    """Stream `records` into the ledger, `batch_size` per transaction, in constant memory."""
    summary = ImportSummary(source, fmt)
    resolver = Resolver(db, source)
    chunk: list[FeedRecord | Rejected] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= batch_size:
            _apply_chunk(db, resolver, chunk, summary)
            chunk = []
            if on_batch:
                on_batch(summary)
    if chunk:
        _apply_chunk(db, resolver, chunk, summary)
    if on_batch:
        on_batch(summary)
    return summary


def _apply_chunk(db: Database, resolver: Resolver, chunk: list[FeedRecord | Rejected],
                 summary: ImportSummary) -> None:
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
        if r.kind == "count":
            counts.append((r, CountRequest(sku, location, r.quantity, r.occurred_at,
                                           summary.source, r.external_id)))
        else:
            assert r.type is not None
            moves.append((r, MovementRequest(r.type, sku, location, r.quantity, r.occurred_at,
                                             summary.source, r.external_id)))
    held += _apply_all(db, moves, summary, lambda reqs: apply_batch(db, reqs,
                                                                       with_ids=False),
                       lambda req: apply_batch(db, [req], with_ids=False, fields=False)[0],
                       [])
    moved: list[dict[str, Any]] = []
    held += _apply_all(db, counts, summary, lambda reqs: apply_counts(db, reqs),
                       lambda req: apply_counts(db, [req])[0], moved)
    summary.add_variance(_valued(db, moved))
    if held:
        with db.uow() as uow:
            uow.feeds.quarantine([{**h, "created_at": db.clock()} for h in held])
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
    return {"source": summary.source, "format": summary.format,
            "position": _text(position), "raw": _text(raw), "reason": _text(reason),
            "status": "open",
            "record": _record_json(record) if record else None}


def _reason_kind(reason: str) -> str:
    """A reason without the values it quotes ("unmapped item sku 'X' for ..." -> "unmapped item
    sku"), so that the summary groups records by what went wrong."""
    return reason.split(" '")[0].split(' "')[0][:80]


def _text(value: str) -> str:
    """Text a database column can hold: PostgreSQL refuses NUL characters, and a broken feed
    (binary junk, a wrong file) is exactly where they turn up."""
    return value.replace("\x00", "\\x00")


def _record_json(r: FeedRecord) -> dict[str, Any]:
    data = asdict(r)
    data["type"] = r.type.value if r.type else None
    data["occurred_at"] = iso(r.occurred_at)
    return data


def _record_from_json(data: dict[str, Any]) -> FeedRecord:
    return FeedRecord(**{**data, "type": MovementType(data["type"]) if data["type"] else None,
                         "occurred_at": datetime.fromisoformat(data["occurred_at"])})


def retry_quarantine(db: Database, source: str | None = None) -> ImportSummary:
    """Apply again the quarantined records that parsed (e.g. after a mapping was added).
    Malformed records stay quarantined: only a corrected re-send can fix them. A record that
    fails again is quarantined anew with its current reason; the old row is resolved."""
    with db.uow(readonly=True) as uow:
        rows = [r for r in uow.feeds.quarantined(source=source, limit=100_000) if r["record"]]
    total = ImportSummary(source or "*", "retry")
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    for src, group in by_source.items():
        part = import_records(db, (_record_from_json(r["record"]) for r in group),
                              source=src, fmt=group[0]["format"])
        with db.uow() as uow:
            uow.feeds.resolve([r["id"] for r in group], db.clock())
            uow.commit()
        total.merge(part)
    return total


def quarantine_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "source": row["source"], "format": row["format"],
            "position": row["position"], "raw": row["raw"], "reason": row["reason"],
            "status": row["status"], "created_at": iso(row["created_at"]),
            "retryable": row["record"] is not None}


def list_quarantine(db: Database, source: str | None = None,
                    status: str = "open") -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        return [quarantine_view(r) for r in uow.feeds.quarantined(status=status,
                                                                   source=source)]
