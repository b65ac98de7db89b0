"""The one ledger writer. Every change of stock, from every use case, is a `Movement` given to
`record`, which applies it inside the caller's unit of work:

* the idempotency key: a movement whose (source, external_id) is in the ledger is a replay
  (same digest) or a conflict (another digest), and writes nothing;
* the count-as-of rule (domain/counts.py): a movement a later count already saw leaves
  on_hand alone, and a count sets on_hand as of its own time; a count's reversal sets it
  to what the ledger without that count gives, and moves the count mark back;
* compare-and-set: a count with `compare_on_hand` is refused (`StaleQuantity`, nothing
  written) unless on_hand is that quantity, checked under the position's lock;
* the guard: a conditional movement (reserve, allocate) is written only while available
  stays >= 0, after returning the position's lapsed holds if it would not fit, else `Refused`;
* inbound tracking: `expected` opens units due at a location; `transfer_in` and `receipt`
  close them (their reference's first, then loose notices), `transit_loss` its reference's
  only, and each takes from `incoming` exactly what it closed, so `incoming` never goes below
  zero whatever the order of arrival;
* the bucket bound: no bucket goes past MAX_BUCKET (`InvalidInput`, nothing written);
* the movement rows, the positions, and one `availability.changed` event per position.

Lock order: positions are written in (item_id, location_id) order, whatever the writer, so two
transactions can never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.buckets import BUCKETS, available
from ..domain.counts import (
    REVERSAL_REFERENCE,
    CountMark,
    count_delta,
    effective_deltas,
    ledger_facts,
    reverse,
)
from ..domain.errors import (
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidState,
    StaleQuantity,
)
from ..domain.ledger import (
    AVAILABILITY_CHANGED,
    Key,
    Movement,
    availability_data,
    chain_content,
    chain_link,
)
from ..domain.movements import MAX_BUCKET, MovementType, add_bounded
from ..store.ledger import Link, movement_row
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


class Refused(InsufficientStock):
    """A conditional movement that does not fit; the caller's transaction must not commit."""

    def __init__(self, movement: Movement, have: int) -> None:
        super().__init__(
            f"{movement.quantity} of {movement.sku} requested at {movement.location}, "
            f"{have} available",
            lines=[{"sku": movement.sku, "location": movement.location,
                    "requested": movement.quantity, "available": have}])
        self.movement = movement


def record(uow: UnitOfWork, moves: Sequence[Movement], now: datetime, *, dedupe: bool = True,
           with_ids: bool = True) -> list[Applied]:
    """Write `moves` in the caller's transaction; one result per movement, in order.

    `dedupe=False` is for writers whose keys are new by construction (a hold's or an order's
    own movements): nothing is looked up, and conditional movements may be among them.
    `with_ids=False` saves reading back the new rows' ids (the results' `id` is then None).
    """
    if not moves:
        return []
    if not dedupe:
        return _write_each(uow, moves, now, with_ids)
    if any(m.guard for m in moves):
        raise ValueError("conditional movements are written with dedupe=False")
    if len(moves) == 1 and not moves[0].sets_on_hand:
        return [_write_once(uow, moves[0], now)]
    return [applied for part in _parts(moves) for applied in _write_locked(uow, part, now,
                                                                          with_ids)]


def _parts(moves: Sequence[Movement]) -> list[Sequence[Movement]]:
    """The batch, split before a movement that would close units the batch itself announced
    (their rows exist only once that part is written)."""
    parts: list[Sequence[Movement]] = []
    start, announced = 0, set[Key]()
    for i, m in enumerate(moves):
        if m.type in CLOSES_INBOUND and m.key in announced:
            parts.append(moves[start:i])
            start, announced = i, set[Key]()
        if m.type is MovementType.EXPECTED:
            announced.add(m.key)
    parts.append(moves[start:])
    return parts


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


EXPIRY_ACTOR = "system:expiry"  # the actor of holds returned because their time ran out


def expire_lapsed(uow: UnitOfWork, now: datetime, *, key: Key | None = None,
                  limit: int = 500) -> int:
    """Return the units of due holds (all, or one position's), in the caller's transaction;
    the number of holds expired."""
    item_id, location_id = key if key is not None else (None, None)
    due = uow.reservations.expire_due(now, item_id=item_id, location_id=location_id,
                                      limit=limit)
    if not due:
        return 0
    names = uow.catalog.names(sorted({(r["item_id"], r["location_id"]) for r in due}))
    record(uow, [hold_movement(MovementType.EXPIRE, r["id"], r["item_id"], r["location_id"],
                               *names[(r["item_id"], r["location_id"])], r["quantity"], now,
                               actor=EXPIRY_ACTOR)
                 for r in due], now, dedupe=False, with_ids=False)
    return len(due)


def hold_movement(type_: MovementType, reservation_id: str, item_id: int, location_id: int,
                  sku: str, location: str, quantity: int, now: datetime, *,
                  actor: str | None = None, reference: str | None = None) -> Movement:
    """A hold's own movement (reserve, release, commit, expire): one of each per hold."""
    return Movement(type_, item_id, location_id, sku, location, quantity, now,
                    source="reservation", external_id=f"{reservation_id}:{type_.value}",
                    digest=_hold_digest(reservation_id, type_), actor=actor, reference=reference)


def hold_in_one_statement(uow: UnitOfWork, m: Movement, hold: dict[str, Any],
                          now: datetime) -> dict[str, int] | None:
    """The reserve movement, its hold row and its event as one statement (where the store can:
    `Database.holds_in_one_statement`): buckets after it, or None, and nothing written."""
    event = availability_data(m.sku, m.location, dict.fromkeys(BUCKETS, 0), m.type.value,
                              m.occurred_at, 0, 0)  # the statement fills in what it decides
    return uow.ledger.hold_in_one_statement(hold, movement_row(m, m.raw(), now), event, now)


def _hold_digest(reservation_id: str, type_: MovementType) -> str:
    return payload_hash({"reservation": reservation_id, "type": type_.value})


# -- the three ways a batch reaches the positions -----------------------------------------------

def _write_once(uow: UnitOfWork, m: Movement, now: datetime) -> Applied:
    """A single movement in two statements: the insert that detects a replay, then the upsert
    that applies it (and tells whether a count already saw it)."""
    raw = m.raw()
    row = movement_row(m, raw, now)
    movement_id = uow.ledger.insert_movement_once(row)
    if movement_id is None:
        existing = uow.ledger.find(m.source, m.external_id)
        assert existing is not None
        return replay_or_conflict(existing, m.digest, m.sku, m.location)
    raw = _arrival(m, raw)
    buckets, seen, link = _upsert(uow, m, raw, now, chain_content(row))
    if m.type in CLOSES_INBOUND:
        row["d_incoming"] = _close_inbound(uow, m, buckets)
    seen = seen and bool(raw.get("on_hand"))
    event = _event(m, buckets, now, link[0], link[0] - 1)
    if not uow.ledger.seal(movement_id, link, seen=seen, incoming=row["d_incoming"],
                           event=event):
        uow.outbox.add_many([event])
    if seen:
        row["d_on_hand"] = 0
    row.update(id=movement_id, seq=link[0], chain_hash=link[1])
    _track_inbound(uow, m, movement_id)
    return Applied(row, m.sku, m.location, False)


def _write_each(uow: UnitOfWork, moves: Sequence[Movement], now: datetime,
                with_ids: bool) -> list[Applied]:
    """One conditional statement per movement, in lock order: the row lock of a hot position
    is held only from its own statement to the commit."""
    order = sorted(range(len(moves)), key=lambda i: moves[i].key)
    rows: dict[int, dict[str, Any]] = {}
    after: dict[Key, tuple[Movement, dict[str, int], int]] = {}
    first: dict[Key, int] = {}  # the position's sequence before this batch
    for i in order:
        m = moves[i]
        raw = _arrival(m, m.raw())
        row = movement_row(m, raw, now)
        if m.guard:
            buckets, link = _guarded(uow, m, now, chain_content(row))
        else:
            buckets, seen, link = _upsert(uow, m, raw, now, chain_content(row))
            if m.type in CLOSES_INBOUND:
                row["d_incoming"] = _close_inbound(uow, m, buckets)
            if seen:
                row["d_on_hand"] = 0  # the count saw it: its other buckets still apply
        row.update(seq=link[0], chain_hash=link[1])
        rows[i] = row
        after[m.key] = (m, buckets, link[0])
        first.setdefault(m.key, link[0] - 1)
    _insert(uow, moves, rows, with_ids)
    uow.outbox.add_many([_event(m, buckets, now, seq, first[k])
                         for k, (m, buckets, seq) in sorted(after.items())])
    return [Applied(rows[i], m.sku, m.location, False) for i, m in enumerate(moves)]


def _write_locked(uow: UnitOfWork, moves: Sequence[Movement], now: datetime,
                  with_ids: bool) -> list[Applied]:
    """Fetch (replays, positions locked in order), decide in memory (count marks, counts as of
    their time), write (one update per position, the movements, one event per position)."""
    results, first_of = _replays(uow, moves)
    todo = sorted(set(first_of.values()) - set(results))
    locked = uow.ledger.lock_or_create({moves[i].key for i in todo}, now)
    state = {k: _Position.of(pos) for k, pos in locked.items()}
    rows: dict[int, dict[str, Any]] = {}
    for i in todo:
        m = moves[i]
        pos = state[m.key]
        if m.is_count:
            rows[i] = _count(uow, m, pos, now, i)
        elif m.is_reversal:
            rows[i] = _reverse(uow, m, pos, now, i)
        else:
            raw = _arrival(m, m.raw())
            if m.type in CLOSES_INBOUND:
                raw["incoming"] = -_receive_inbound(uow, m)
            effective = effective_deltas(raw, m.occurred_at, pos.mark)
            rows[i] = movement_row(m, effective, now, raw_on_hand=raw.get("on_hand", 0))
            pos.add(effective, rows[i], i)
    uow.ledger.apply_many([pos.update(k, now) for k, pos in sorted(state.items())])
    _insert(uow, moves, rows, with_ids)
    uow.outbox.add_many([_event(moves[pos.last], pos.buckets, now, pos.seq, pos.start_seq)
                         for _, pos in sorted(state.items()) if pos.last is not None])
    # A key repeated inside the batch gets the answer of its first occurrence, as a replay.
    for i in todo:
        results[i] = Applied(rows[i], moves[i].sku, moves[i].location, False)
    return [results[i] if i in results else
            Applied(results[first].row, results[first].sku, results[first].location, True)
            for i, first in ((i, first_of[m.idempotency_key]) for i, m in enumerate(moves))]


# -- pieces -------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Position:
    """A locked position while a batch is decided: its buckets, latest count and what changed."""

    buckets: dict[str, int]
    mark: CountMark | None
    start: dict[str, int]
    seq: int
    head: str
    start_seq: int
    new_mark: CountMark | None = None  # the mark this batch leaves, if it changes it
    mark_changed: bool = False  # a count applied, or a reversal moved the mark back
    rows: list[dict[str, Any]] = field(default_factory=list)
    last: int | None = None  # index of the batch's last movement here (its event's cause)

    @classmethod
    def of(cls, pos: dict[str, Any]) -> _Position:
        buckets = {b: int(pos[b]) for b in BUCKETS}
        mark = CountMark(pos["count_at"], pos["count_key"]) if pos["count_at"] else None
        seq = int(pos["seq"])
        return cls(buckets, mark, dict(buckets), seq, pos["chain_head"], seq)

    def add(self, deltas: dict[str, int], row: dict[str, Any], index: int) -> None:
        for b, v in deltas.items():
            self.buckets[b] += v
        self.seq += 1
        self.head = chain_link(self.head, self.seq, chain_content(row))
        row.update(seq=self.seq, chain_hash=self.head)
        self.rows.append(row)
        self.last = index

    def pending_on_hand_after(self, at: datetime) -> int:
        """Raw on_hand of this batch's own movements after `at` (not in the table yet)."""
        return sum(r["raw_on_hand"] for r in self.rows
                   if r["counted"] is None and r["occurred_at"] > at)

    def update(self, key: Key, now: datetime) -> dict[str, Any]:
        return {"item_id": key[0], "location_id": key[1], "now": now,
                "set_mark": self.mark_changed,
                "count_at": self.new_mark.at if self.new_mark else None,
                "count_key": self.new_mark.key if self.new_mark else None,
                "seq": self.seq, "chain_head": self.head,
                **{f"d_{b}": self.buckets[b] - self.start[b] for b in BUCKETS}}


def _count(uow: UnitOfWork, m: Movement, pos: _Position, now: datetime,
           index: int) -> dict[str, Any]:
    if m.compare_on_hand is not None and pos.buckets["on_hand"] != m.compare_on_hand:
        raise StaleQuantity(
            f"on_hand of {m.sku} at {m.location} is {pos.buckets['on_hand']}, not "
            f"{m.compare_on_hand}: read it again and recount or resend",
            field="compare_quantity", sku=m.sku, location=m.location,
            on_hand=pos.buckets["on_hand"], compare_quantity=m.compare_on_hand)
    mark = CountMark(m.occurred_at, f"{m.source}:{m.external_id}")
    after = uow.ledger.raw_on_hand_after(m.item_id, m.location_id, m.occurred_at) + \
        pos.pending_on_hand_after(m.occurred_at)
    delta = count_delta(m.quantity, mark, pos.mark, pos.buckets["on_hand"], after)
    row = movement_row(m, {"on_hand": delta or 0}, now,
                       reason=m.reason or ("superseded" if delta is None else None))
    if delta is not None:
        pos.mark = pos.new_mark = mark
        pos.mark_changed = True
    pos.add({"on_hand": delta or 0}, row, index)
    return row


def _reverse(uow: UnitOfWork, m: Movement, pos: _Position, now: datetime,
             index: int) -> dict[str, Any]:
    """Reverse the count `m.reference` names, on its locked position: on_hand and the mark
    become what the position's ledger without that count gives (domain/counts.py). It reads
    the position's whole ledger: a correction is rare, and exactness matters more here."""
    rows = [*uow.ledger.facts(m.item_id, m.location_id), *pos.rows]
    facts = ledger_facts(rows)
    count_id = int((m.reference or "").removeprefix(REVERSAL_REFERENCE))
    count = next((r for r, f in zip(rows, facts, strict=True)
                  if r.get("id") == count_id and f.counted is not None), None)
    if count is None:
        raise InvalidState(f"movement {count_id} is not a count of {m.sku} at {m.location}",
                           field="movement_id")
    key = f"{count['source']}:{count['external_id']}"
    if any(f.reverses == key for f in facts):
        raise InvalidState(f"count {count_id} is already reversed", field="movement_id")
    on_hand, mark = reverse(facts, key)
    delta = on_hand - pos.buckets["on_hand"]
    add_bounded(pos.buckets, {"on_hand": delta}, "movement_id")
    row = movement_row(m, {"on_hand": delta}, now)
    pos.mark = pos.new_mark = mark
    pos.mark_changed = True
    pos.add({"on_hand": delta}, row, index)
    return row


def _guarded(uow: UnitOfWork, m: Movement, now: datetime,
             content: str) -> tuple[dict[str, int], Link]:
    assert m.guard is not None
    done = uow.ledger.guarded_add(m.guard, m.item_id, m.location_id, m.quantity, now, content)
    if done is None and expire_lapsed(uow, now, key=m.key):
        done = uow.ledger.guarded_add(m.guard, m.item_id, m.location_id, m.quantity, now,
                                      content)
    if done is None:
        pos = uow.ledger.lock([m.key]).get(m.key)
        raise Refused(m, max(available(pos), 0) if pos else 0)
    return done


def _replays(uow: UnitOfWork, moves: Sequence[Movement]
             ) -> tuple[dict[int, Applied], dict[tuple[str, str], int]]:
    """Results of movements already in the ledger, and the first index of every key; a key
    reused with another payload, in the ledger or inside the batch, is a conflict."""
    existing = uow.ledger.find_many([m.idempotency_key for m in moves])
    results: dict[int, Applied] = {}
    first_of: dict[tuple[str, str], int] = {}
    for i, m in enumerate(moves):
        key = m.idempotency_key
        if key in first_of:
            if moves[first_of[key]].digest != m.digest:
                raise IdempotencyConflict(f"movements[{i}] reuses ({m.source}, "
                                          f"{m.external_id}) with another payload",
                                          field=f"movements[{i}].external_id")
            continue
        first_of[key] = i
        if key in existing:
            results[i] = replay_or_conflict(existing[key], m.digest, m.sku, m.location)
    return results, first_of


_INBOUND = frozenset({MovementType.EXPECTED})
CLOSES_INBOUND = frozenset({MovementType.TRANSFER_IN, MovementType.RECEIPT,
                            MovementType.TRANSIT_LOSS})
# A loss in transit closes its own record's units only: a notice's units may still arrive.
CLOSES_OWN_ONLY = frozenset({MovementType.TRANSIT_LOSS})


def _arrival(m: Movement, raw: dict[str, int]) -> dict[str, int]:
    """A closing movement's deltas before it is known what it closes (nothing of incoming)."""
    if m.type not in CLOSES_INBOUND:
        return raw
    return {b: d for b, d in raw.items() if b != "incoming"}


def _close_inbound(uow: UnitOfWork, m: Movement, buckets: dict[str, int]) -> int:
    """Close the expected units `m` receives, on its position locked by its own upsert, and
    take exactly those from incoming (`buckets` are updated); its incoming delta."""
    closed = _receive_inbound(uow, m)
    if closed:
        uow.ledger.take_incoming(m.key, closed)
        buckets["incoming"] -= closed
    return -closed


def _receive_inbound(uow: UnitOfWork, m: Movement) -> int:
    return uow.ledger.receive_inbound(m.item_id, m.location_id, m.quantity, m.reference,
                                      own_only=m.type in CLOSES_OWN_ONLY)


def _upsert(uow: UnitOfWork, m: Movement, raw: dict[str, int], now: datetime,
            content: str) -> tuple[dict[str, int], bool, Link]:
    done = uow.ledger.upsert(m.item_id, m.location_id, raw, m.occurred_at, now, content)
    if done is None:
        raise InvalidInput(f"{m.quantity} of {m.sku} at {m.location} would take a bucket past "
                           f"{MAX_BUCKET} units of a position", field="quantity")
    return done


def _insert(uow: UnitOfWork, moves: Sequence[Movement], rows: dict[int, dict[str, Any]],
            with_ids: bool) -> None:
    """Insert the rows (in index order) and track inbound units, which need the new ids."""
    order = sorted(rows)
    tracked = any(moves[i].type in _INBOUND for i in order)
    ids = uow.ledger.insert_movements([rows[i] for i in order], returning=with_ids or tracked)
    for n, i in enumerate(order):
        movement_id = ids[n] if ids is not None else None
        rows[i]["id"] = movement_id
        if movement_id is not None:
            _track_inbound(uow, moves[i], movement_id)


def _track_inbound(uow: UnitOfWork, m: Movement, movement_id: int) -> None:
    if m.type is MovementType.EXPECTED:
        assert m.expected_at is not None
        uow.ledger.add_inbound(m.item_id, m.location_id, m.quantity, m.expected_at,
                               m.reference, movement_id, m.inbound_kind)


def _event(m: Movement, buckets: dict[str, int], now: datetime, sequence: int,
           previous: int) -> dict[str, Any]:
    return {"type": AVAILABILITY_CHANGED, "subject": m.sku, "occurred_at": m.occurred_at,
            "created_at": now,
            "data": availability_data(m.sku, m.location, buckets, m.type.value, m.occurred_at,
                                      sequence, previous)}
