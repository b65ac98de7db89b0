"""Applying movements to the ledger: single, batched, and counts as of a time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.buckets import BUCKETS, available
from ..domain.counts import CountMark, count_delta, effective_deltas
from ..domain.errors import IdempotencyConflict, InvalidInput
from ..domain.movements import MovementRequest, MovementType, deltas, validate_timestamp
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import iso, payload_hash


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one movement: the ledger row, and whether it was a replay."""

    row: dict[str, Any]
    sku: str
    location: str
    replayed: bool

    @property
    def movement(self) -> dict[str, Any]:
        return movement_view(self.row, self.sku, self.location)


@dataclass(frozen=True, slots=True)
class CountRequest:
    sku: str
    location: str
    counted_quantity: int
    counted_at: datetime
    source: str
    external_id: str
    reason: str | None = None

    def validate(self) -> CountRequest:
        q = self.counted_quantity
        if isinstance(q, bool) or not isinstance(q, int) or q < 0:
            raise InvalidInput("counted_quantity must be an integer >= 0",
                               field="counted_quantity")
        validate_timestamp(self.counted_at, "counted_at")
        for name in ("sku", "location", "source", "external_id"):
            if not getattr(self, name).strip():
                raise InvalidInput(f"{name} must be a non-empty string", field=name)
        return self

    def payload(self) -> dict[str, Any]:
        return {"type": "count", "sku": self.sku, "location": self.location,
                "counted_quantity": self.counted_quantity,
                "counted_at": self.counted_at.isoformat(), "reason": self.reason}


def movement_view(row: dict[str, Any], sku: str, location: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": row["type"],
        "sku": sku,
        "location": location,
        "quantity": row["quantity"],
        "deltas": {b: row[f"d_{b}"] for b in BUCKETS if row[f"d_{b}"]},
        "occurred_at": iso(row["occurred_at"]),
        "recorded_at": iso(row["recorded_at"]),
        "source": row["source"],
        "external_id": row["external_id"],
        "reason": row["reason"],
        "reference": row["reference"],
        "actor": row["actor"],
    }


def replay_or_conflict(existing: dict[str, Any], digest: str, sku: str, location: str) -> Applied:
    if existing["payload_hash"] != digest:
        raise IdempotencyConflict(
            f"({existing['source']}, {existing['external_id']}) was already used for a "
            "different movement", field="external_id")
    return Applied(existing, sku, location, replayed=True)


def movement_row(*, type_: str, item_id: int, location_id: int, quantity: int,
                 raw: dict[str, int], occurred_at: datetime, now: datetime, source: str,
                 external_id: str, digest: str, reason: str | None = None,
                 reference: str | None = None, actor: str | None = None,
                 counted: int | None = None) -> dict[str, Any]:
    return {
        "type": type_, "item_id": item_id, "location_id": location_id, "quantity": quantity,
        **{f"d_{b}": raw.get(b, 0) for b in BUCKETS},
        "raw_on_hand": raw.get("on_hand", 0) if counted is None else 0,
        "counted": counted, "occurred_at": occurred_at, "recorded_at": now,
        "source": source, "external_id": external_id, "payload_hash": digest,
        "reason": reason, "reference": reference, "actor": actor,
    }


def availability_event(sku: str, location: str, buckets: dict[str, int], cause: str,
                       occurred_at: datetime, now: datetime) -> dict[str, Any]:
    return {"type": "availability.changed", "subject": sku, "occurred_at": occurred_at,
            "created_at": now,
            "data": {"sku": sku, "location": location, **buckets,
                     "available": available(buckets), "cause": cause,
                     "occurred_at": iso(occurred_at)}}


def apply_movement(db: Database, request: MovementRequest, actor: str | None = None) -> Applied:
    """Record one movement. A replay of the same (source, external_id) and payload returns the
    first result; the same key with another payload raises IdempotencyConflict."""
    req = request.validate()
    raw = deltas(req.type, req.quantity)
    digest = req.digest()
    with db.uow() as uow:
        item_id = uow.catalog.item_id(req.sku)
        location_id = uow.catalog.location_id(req.location)
        if req.type is MovementType.EXPECTED and req.expected_at is None:
            raise InvalidInput("an expected movement needs expected_at", field="expected_at")
        now = db.clock()
        row = movement_row(type_=req.type.value, item_id=item_id, location_id=location_id,
                           quantity=req.quantity, raw=raw, occurred_at=req.occurred_at, now=now,
                           source=req.source, external_id=req.external_id, digest=digest,
                           reason=req.reason, reference=req.reference, actor=actor)
        movement_id = uow.ledger.insert_movement_once(row)
        if movement_id is None:
            existing = uow.ledger.find(req.source, req.external_id)
            assert existing is not None
            return replay_or_conflict(existing, digest, req.sku, req.location)
        buckets, seen = uow.ledger.upsert(item_id, location_id, raw, req.occurred_at, now)
        if seen and raw.get("on_hand"):
            uow.ledger.clear_on_hand_effect(movement_id)
            row["d_on_hand"] = 0
        _track_inbound(uow, req, item_id, location_id, movement_id)
        uow.outbox.add_many([availability_event(req.sku, req.location, buckets, req.type.value,
                                                req.occurred_at, now)])
        uow.commit()
    return Applied({**row, "id": movement_id}, req.sku, req.location, False)


def _track_inbound(uow: UnitOfWork, req: MovementRequest, item_id: int, location_id: int,
                   movement_id: int) -> None:
    if req.type is MovementType.EXPECTED:
        assert req.expected_at is not None
        uow.ledger.add_inbound(item_id, location_id, req.quantity, req.expected_at,
                               req.reference, movement_id)
    elif req.type is MovementType.TRANSFER_IN:
        uow.ledger.receive_inbound(item_id, location_id, req.quantity)


def apply_batch(db: Database, requests: list[MovementRequest], actor: str | None = None, *,
                with_ids: bool = True) -> list[Applied]:
    """Apply many movements in one transaction: all of them, or (on any error) none.

    Bulk feeds pass `with_ids=False`: rows are then inserted without reading back their ids
    (the results' `id` is None), which roughly halves the cost of the insert."""
    prepared = []
    for i, request in enumerate(requests):
        try:
            req = request.validate()
            if req.type is MovementType.EXPECTED and req.expected_at is None:
                raise InvalidInput("an expected movement needs expected_at", field="expected_at")
        except InvalidInput as e:
            raise type(e)(f"movements[{i}]: {e.detail}", field=f"movements[{i}].{e.field}",
                          **e.data) from None
        prepared.append((req, deltas(req.type, req.quantity), req.digest()))
    with db.uow() as uow:
        results = _apply_prepared(uow, prepared, db.clock(), actor, with_ids)
        uow.commit()
    return results


Prepared = tuple[MovementRequest, dict[str, int], str]  # request, raw deltas, digest
Key = tuple[int, int]  # (item_id, location_id)


def _apply_prepared(uow: UnitOfWork, prepared: list[Prepared], now: datetime,
                    actor: str | None, with_ids: bool) -> list[Applied]:
    """Fetch (ids, replays, locked positions), decide (effective deltas), write (positions,
    movements, outbox), in that order."""
    ids = [(uow.catalog.item_id(req.sku, f"movements[{i}].sku"),
            uow.catalog.location_id(req.location, f"movements[{i}].location"))
           for i, (req, _, _) in enumerate(prepared)]
    results, first_of = _replays(uow, prepared)
    todo = sorted(set(first_of.values()) - set(results))
    locked = _lock_or_create(uow, {ids[i] for i in todo}, now)
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    rows = []
    for i in todo:
        req, raw, digest = prepared[i]
        pos = locked[ids[i]]
        mark = CountMark(pos["count_at"], pos["count_key"]) if pos["count_at"] else None
        effective = effective_deltas(raw, req.occurred_at, mark)
        for b, v in effective.items():
            totals[ids[i]][b] += v
        row = movement_row(type_=req.type.value, item_id=ids[i][0], location_id=ids[i][1],
                           quantity=req.quantity, raw=raw, occurred_at=req.occurred_at, now=now,
                           source=req.source, external_id=req.external_id, digest=digest,
                           reason=req.reason, reference=req.reference, actor=actor)
        row.update({f"d_{b}": effective.get(b, 0) for b in BUCKETS})
        rows.append(row)
    uow.ledger.apply_many([
        {"item_id": k[0], "location_id": k[1], "now": now, "count_at": None, "count_key": None,
         **{f"d_{b}": v for b, v in t.items()}} for k, t in sorted(totals.items())])
    tracked = any(prepared[i][0].type in _INBOUND_TYPES for i in todo)
    inserted = uow.ledger.insert_movements(rows, returning=with_ids or tracked)
    movement_ids: list[int | None] = list(inserted) if inserted is not None else \
        [None] * len(rows)
    last: dict[Key, int] = {}
    for i, row, movement_id in zip(todo, rows, movement_ids, strict=True):
        req = prepared[i][0]
        if movement_id is not None:
            _track_inbound(uow, req, ids[i][0], ids[i][1], movement_id)
        row["id"] = movement_id
        results[i] = Applied(row, req.sku, req.location, False)
        last[ids[i]] = i
    uow.outbox.add_many([_position_event(prepared[i][0], locked[k], totals[k], now)
                         for k, i in sorted(last.items())])
    # A key repeated inside the batch gets the answer of its first occurrence, as a replay.
    return [results[i] if i in results else
            Applied(results[first].row, results[first].sku, results[first].location, True)
            for i, first in ((i, first_of[(r.source, r.external_id)])
                             for i, (r, _, _) in enumerate(prepared))]


def _replays(uow: UnitOfWork, prepared: list[Prepared]
             ) -> tuple[dict[int, Applied], dict[tuple[str, str], int]]:
    """Results of requests already in the ledger, and the first index of every key; a key
    reused with another payload, in the ledger or inside the batch, is a conflict."""
    existing = uow.ledger.find_many([(r.source, r.external_id) for r, _, _ in prepared])
    results: dict[int, Applied] = {}
    first_of: dict[tuple[str, str], int] = {}
    for i, (req, _, digest) in enumerate(prepared):
        key = (req.source, req.external_id)
        if key in first_of:
            if prepared[first_of[key]][2] != digest:
                raise IdempotencyConflict(f"movements[{i}] reuses ({req.source}, "
                                          f"{req.external_id}) with another payload",
                                          field=f"movements[{i}].external_id")
            continue
        first_of[key] = i
        if key in existing:
            results[i] = replay_or_conflict(existing[key], digest, req.sku, req.location)
    return results, first_of


def _lock_or_create(uow: UnitOfWork, keys: set[Key], now: datetime) -> dict[Key, dict[str, Any]]:
    locked = uow.ledger.lock(keys)
    missing = keys - locked.keys()
    if missing:  # first movements of these positions: create them, then lock them too
        uow.ledger.ensure_positions(missing, now)
        locked.update(uow.ledger.lock(missing))
    return locked


_INBOUND_TYPES = frozenset({MovementType.EXPECTED, MovementType.TRANSFER_IN})


def _position_event(req: MovementRequest, before: dict[str, Any], delta: dict[str, int],
                    now: datetime) -> dict[str, Any]:
    buckets = {b: before[b] + delta[b] for b in BUCKETS}
    return availability_event(req.sku, req.location, buckets, req.type.value, req.occurred_at,
                              now)


def apply_count(db: Database, request: CountRequest, actor: str | None = None) -> Applied:
    return apply_counts(db, [request], actor)[0]


def apply_counts(db: Database, requests: list[CountRequest],
                 actor: str | None = None) -> list[Applied]:
    """Apply counts as of their time (domain/counts.py), in one transaction."""
    reqs = [r.validate() for r in requests]
    with db.uow() as uow:
        now = db.clock()
        results = [_apply_count(uow, r, now, actor) for r in reqs]
        uow.commit()
    return results


def _apply_count(uow: UnitOfWork, req: CountRequest, now: datetime,
                 actor: str | None) -> Applied:
    digest = payload_hash(req.payload())
    existing = uow.ledger.find(req.source, req.external_id)
    if existing is not None:
        return replay_or_conflict(existing, digest, req.sku, req.location)
    key = (uow.catalog.item_id(req.sku), uow.catalog.location_id(req.location))
    uow.ledger.ensure_positions([key], now)
    pos = uow.ledger.lock([key])[key]
    current = CountMark(pos["count_at"], pos["count_key"]) if pos["count_at"] else None
    mark = CountMark(req.counted_at, f"{req.source}:{req.external_id}")
    after = uow.ledger.raw_on_hand_after(*key, req.counted_at)
    delta = count_delta(req.counted_quantity, mark, current, pos["on_hand"], after)
    row = movement_row(type_="count", item_id=key[0], location_id=key[1],
                       quantity=req.counted_quantity, raw={"on_hand": delta or 0},
                       occurred_at=req.counted_at, now=now, source=req.source,
                       external_id=req.external_id, digest=digest, reason=req.reason or
                       ("superseded" if delta is None else None), actor=actor,
                       counted=req.counted_quantity)
    if delta is not None:
        uow.ledger.apply_many([{"item_id": key[0], "location_id": key[1], "now": now,
                                "count_at": mark.at, "count_key": mark.key,
                                **{f"d_{b}": (delta if b == "on_hand" else 0) for b in BUCKETS}}])
    movement_id = uow.ledger.insert_movement(row)
    buckets = {b: pos[b] for b in BUCKETS}
    buckets["on_hand"] += delta or 0
    uow.outbox.add_many([availability_event(req.sku, req.location, buckets, "count",
                                            req.counted_at, now)])
    return Applied({**row, "id": movement_id}, req.sku, req.location, False)
