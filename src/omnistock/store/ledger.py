"""Movements and positions: every statement that changes stock lives here.

Lock discipline: a transaction touches position rows through single conditional statements
(upsert, guarded update) or, for batches and counts, locks them with SELECT ... FOR UPDATE in
(item_id, location_id) order, so two batches can never wait on each other in a cycle.
On SQLite the whole transaction already holds the database's write lock (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.buckets import BUCKETS, available_sql
from ..domain.ledger import GENESIS, OFFERED_INBOUND, Movement, chain_link
from ..domain.movements import MAX_BUCKET
from .chain import advance
from .hot_path import reserve_in_one_statement
from .tables import inbound, items, locations, movements, positions
from .types import UTCDateTime

_BUCKET_COLS = ", ".join(BUCKETS)
_RETURN_BUCKETS = f"RETURNING {_BUCKET_COLS}, seq, chain_head"


# One statement: create the position if needed, add the deltas (except on_hand when the
# position's latest count already saw this movement: it occurred at or before the count) and
# advance its chain; nothing (no row) when a bucket would go past MAX_BUCKET.
_UPSERT = {
    dialect: text(
        f"""
        INSERT INTO positions (item_id, location_id, {_BUCKET_COLS}, seq, chain_head, updated_at)
        VALUES (:item_id, :location_id, {", ".join(":d_" + b for b in BUCKETS)}, 1, :first_head,
                :now)
        ON CONFLICT (item_id, location_id) DO UPDATE SET
          on_hand = positions.on_hand + CASE
            WHEN positions.count_at IS NOT NULL AND positions.count_at >= :occurred_at THEN 0
            ELSE excluded.on_hand END,
          {", ".join(f"{b} = positions.{b} + excluded.{b}" for b in BUCKETS if b != "on_hand")},
          {advance(dialect, "positions")},
          updated_at = excluded.updated_at
        WHERE {" AND ".join(f"abs(positions.{b} + excluded.{b}) <= :max_bucket" for b in BUCKETS)}
        {_RETURN_BUCKETS},
          CASE WHEN count_at IS NOT NULL AND count_at >= :occurred_at THEN 1 ELSE 0 END AS seen
        """
    ).bindparams(bindparam("now", type_=UTCDateTime),
                 bindparam("occurred_at", type_=UTCDateTime))
    for dialect in ("sqlite", "postgresql")
}

# The guard against overselling: the check and the write are one statement.
_GUARDED = {
    (dialect, bucket): text(
        f"""
        UPDATE positions SET {bucket} = {bucket} + :quantity, {advance(dialect)},
          updated_at = :now
        WHERE item_id = :item_id AND location_id = :location_id
          AND {available_sql()} >= :quantity
        {_RETURN_BUCKETS}
        """
    ).bindparams(bindparam("now", type_=UTCDateTime))
    for bucket in ("reserved", "committed") for dialect in ("sqlite", "postgresql")
}

_MOVEMENT_COLUMNS = [c.name for c in movements.columns if c.name != "id"]
_INSERT_MOVEMENT_SQL = (
    f"INSERT INTO movements ({', '.join(_MOVEMENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _MOVEMENT_COLUMNS)})")
_TIMES = (bindparam("occurred_at", type_=UTCDateTime), bindparam("recorded_at", type_=UTCDateTime))
# Built once: constructing SQLAlchemy statements per call costs more than executing them.
_INSERT_MOVEMENT = text(_INSERT_MOVEMENT_SQL + " RETURNING id").bindparams(*_TIMES)
_INSERT_MOVEMENT_PLAIN = text(_INSERT_MOVEMENT_SQL).bindparams(*_TIMES)
_INSERT_MOVEMENT_ONCE = text(
    _INSERT_MOVEMENT_SQL + " ON CONFLICT (source, external_id) DO NOTHING RETURNING id"
).bindparams(*_TIMES)


def movement_row(m: Movement, effective: dict[str, int], now: datetime, *,
                 raw_on_hand: int | None = None, reason: str | None = None) -> dict[str, Any]:
    """The ledger row of a movement: `effective` are the deltas it makes on its position,
    `raw_on_hand` what it would make on on_hand had no count seen it (counts: 0)."""
    if raw_on_hand is None:
        raw_on_hand = 0 if m.sets_on_hand else effective.get("on_hand", 0)
    return {
        "type": m.type.value, "item_id": m.item_id, "location_id": m.location_id,
        "quantity": m.quantity, **{f"d_{b}": effective.get(b, 0) for b in BUCKETS},
        "raw_on_hand": raw_on_hand, "counted": m.quantity if m.is_count else None,
        "occurred_at": m.occurred_at, "recorded_at": now, "source": m.source,
        "external_id": m.external_id, "payload_hash": m.digest,
        "reason": reason if reason is not None else m.reason, "reference": m.reference,
        "actor": m.actor, "seq": None, "chain_hash": None,
    }


Link = tuple[int, str]  # a movement's place in its position's chain: (seq, hash)


def _buckets(row: Any) -> dict[str, int]:
    return {b: int(row[b]) for b in BUCKETS}


def zero_deltas() -> dict[str, int]:
    return {f"d_{b}": 0 for b in BUCKETS}


def delta_params(deltas: dict[str, int]) -> dict[str, int]:
    params = zero_deltas()
    params.update({f"d_{k}": v for k, v in deltas.items()})
    return params


class LedgerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._dialect = conn.dialect.name
        self._for_update = self._dialect == "postgresql"

    # -- movements -------------------------------------------------------------------------
    def find(self, source: str, external_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(movements).where(
                movements.c.source == source, movements.c.external_id == external_id)
        ).mappings().first()
        return dict(row) if row else None

    def movement(self, movement_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(movements).where(movements.c.id == movement_id)).mappings().first()
        return dict(row) if row else None

    def find_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Movements by idempotency key: one statement, the keys bound as one parameter."""
        if not keys:
            return {}
        stmt = _FIND_MANY[self.conn.dialect.name == "postgresql"]
        rows = self.conn.execute(stmt, _pairs_param(self.conn, keys)).mappings()
        return {(r["source"], r["external_id"]): dict(r) for r in rows}

    def insert_movements(self, rows: list[dict[str, Any]], *,
                         returning: bool = True) -> list[int] | None:
        """Bulk insert; the new ids in order, or None (and a plain executemany) if not wanted."""
        if not rows:
            return [] if returning else None
        if not returning:
            self.conn.execute(_INSERT_MOVEMENT_PLAIN, rows)
            return None
        result = self.conn.execute(
            insert(movements).returning(movements.c.id, sort_by_parameter_order=True), rows)
        return [int(r[0]) for r in result]

    def insert_movement(self, row: dict[str, Any]) -> int:
        return int(self.conn.execute(_INSERT_MOVEMENT, row).scalar_one())

    def insert_movement_once(self, row: dict[str, Any]) -> int | None:
        """Insert unless (source, external_id) exists: then None, and nothing is written."""
        found = self.conn.execute(_INSERT_MOVEMENT_ONCE, row).scalar()
        return None if found is None else int(found)

    def raw_on_hand_after(self, item_id: int, location_id: int, at: datetime) -> int:
        return int(self.conn.execute(
            select(func.coalesce(func.sum(movements.c.raw_on_hand), 0)).where(
                movements.c.item_id == item_id,
                movements.c.location_id == location_id,
                movements.c.occurred_at > at,
                movements.c.counted.is_(None),
            )
        ).scalar_one())

    # -- positions -------------------------------------------------------------------------
    def upsert(self, item_id: int, location_id: int, deltas: dict[str, int],
               occurred_at: datetime, now: datetime, chain_content: str
               ) -> tuple[dict[str, int], bool, Link] | None:
        """Apply a movement's deltas and advance the chain; the new buckets, whether a count
        saw it, and its link; None (nothing written) if a bucket would pass MAX_BUCKET."""
        row = self.conn.execute(_UPSERT[self._dialect], {
            "item_id": item_id, "location_id": location_id, "now": now,
            "occurred_at": occurred_at, "chain_content": chain_content,
            "first_head": chain_link(GENESIS, 1, chain_content), "max_bucket": MAX_BUCKET,
            **delta_params(deltas)}).mappings().first()
        if row is None:
            return None
        return _buckets(row), bool(row["seen"]), (int(row["seq"]), row["chain_head"])

    def guarded_add(self, bucket: str, item_id: int, location_id: int, quantity: int,
                    now: datetime, chain_content: str) -> tuple[dict[str, int], Link] | None:
        """Add to `reserved` or `committed` only if available stays >= 0, advancing the chain;
        None (and nothing written) if it would not."""
        row = self.conn.execute(_GUARDED[(self._dialect, bucket)], {
            "item_id": item_id, "location_id": location_id, "quantity": quantity, "now": now,
            "chain_content": chain_content,
        }).mappings().first()
        return (_buckets(row), (int(row["seq"]), row["chain_head"])) if row else None

    def seal(self, movement_id: int, link: Link, *, seen: bool, incoming: int,
             event: dict[str, Any]) -> bool:
        """Give a movement inserted ahead of its position's update its link, its effect on
        incoming (what it closed of the expected units) and, when a count already saw it, no
        on_hand effect. On PostgreSQL the same statement adds its outbox `event` (one round
        trip less on the single-movement path): then True."""
        params = {"id": movement_id, "seq": link[0], "chain_hash": link[1], "seen": seen,
                  "d_incoming": incoming}
        if self._dialect == "postgresql":
            self.conn.execute(_SEAL_AND_ANNOUNCE, {**params, **event})
            return True
        self.conn.execute(_SEAL, params)
        return False

    def ensure_positions(self, keys: Iterable[tuple[int, int]], now: datetime) -> None:
        rows = [{"item_id": i, "location_id": loc, **{b: 0 for b in BUCKETS},
                 "updated_at": now} for i, loc in sorted(set(keys))]
        if not rows:
            return
        dialect_insert = (postgresql.insert if self.conn.dialect.name == "postgresql"
                          else sqlite.insert)
        self.conn.execute(dialect_insert(positions).on_conflict_do_nothing(), rows)

    def lock(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
        """Read positions, locking them (PostgreSQL) in primary-key order."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        stmt = _LOCK[self._for_update]
        rows = self.conn.execute(stmt, _pairs_param(self.conn, wanted)).mappings()
        return {(r["item_id"], r["location_id"]): dict(r) for r in rows}

    def lock_or_create(self, keys: Iterable[tuple[int, int]],
                       now: datetime) -> dict[tuple[int, int], dict[str, Any]]:
        """Lock positions in key order, creating (at zero) those that do not exist yet."""
        wanted = set(keys)
        locked = self.lock(wanted)
        missing = wanted - locked.keys()
        if missing:
            self.ensure_positions(missing, now)
            locked.update(self.lock(missing))
        return locked

    def hold_in_one_statement(self, hold: dict[str, Any], movement: dict[str, Any],
                              event: dict[str, Any], now: datetime) -> dict[str, int] | None:
        """Guarded reserve, hold row, movement and event in one statement (store/hot_path.py):
        the buckets after it, or None when it does not fit (and nothing was written)."""
        return reserve_in_one_statement(self.conn, hold, movement, event, now)

    def apply_many(self, updates: list[dict[str, Any]]) -> None:
        """Executemany of deltas (and count marks, chain heads) onto locked positions."""
        if updates:
            self.conn.execute(_SET_MANY, updates)

    # -- expected units (future ATP) -------------------------------------------------------
    def add_inbound(self, item_id: int, location_id: int, quantity: int,
                    expected_at: datetime, reference: str | None, movement_id: int,
                    kind: str = "notice") -> None:
        self.conn.execute(insert(inbound).values(
            item_id=item_id, location_id=location_id, quantity_open=quantity,
            expected_at=expected_at, reference=reference, movement_id=movement_id, kind=kind))

    def receive_inbound(self, item_id: int, location_id: int, quantity: int,
                        reference: str | None, *, own_only: bool = False) -> int:
        """Close up to `quantity` expected units, those of `reference` first, then (unless
        `own_only`) loose notices oldest first (units bound to another record stay open); the
        units closed. The caller holds the position's lock: every writer takes the position's,
        then the rows'."""
        bound = inbound.c.reference == reference if reference is not None else None
        mine = bound if bound is not None else inbound.c.kind == "notice"
        if own_only and bound is None:
            return 0
        stmt = (select(inbound.c.id, inbound.c.quantity_open)
                .where(inbound.c.item_id == item_id, inbound.c.location_id == location_id,
                       inbound.c.quantity_open > 0,
                       mine if own_only else or_(mine, inbound.c.kind == "notice"))
                .order_by(case((mine, 0), else_=1), inbound.c.expected_at, inbound.c.id))
        if self._for_update:
            stmt = stmt.with_for_update()
        closed = 0
        for row_id, open_qty in self.conn.execute(stmt).all():
            take = min(int(open_qty), quantity - closed)
            if take <= 0:
                break
            closed += take
            self.conn.execute(update(inbound).where(inbound.c.id == row_id)
                              .values(quantity_open=inbound.c.quantity_open - take))
        return closed

    def take_incoming(self, key: tuple[int, int], units: int) -> None:
        self.conn.execute(update(positions).where(
            positions.c.item_id == key[0], positions.c.location_id == key[1])
            .values(incoming=positions.c.incoming - units))

    def positions_of(self, item_id: int, now: datetime) -> list[dict[str, Any]]:
        """Every position of an item with its location code and the units of lapsed holds."""
        return [dict(r) for r in self.conn.execute(
            _POSITIONS_OF, {"item_id": item_id, "now": now}).mappings()]

    def expected_by_location(self, item_id: int, until: datetime) -> dict[int, int]:
        rows = self.conn.execute(_EXPECTED, {"item_id": item_id, "until": until,
                                             "offered": OFFERED_INBOUND}).all()
        return {int(loc): int(q) for loc, q in rows}

    # -- reads -----------------------------------------------------------------------------
    def all_positions(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(positions, items.c.sku, locations.c.code.label("location"))
            .join(items, items.c.id == positions.c.item_id)
            .join(locations, locations.c.id == positions.c.location_id)
        ).mappings()
        return [dict(r) for r in rows]

    def facts(self, item_id: int, location_id: int) -> list[dict[str, Any]]:
        cols = [movements.c.id, movements.c.type, movements.c.reference,
                movements.c.occurred_at, movements.c.source,
                movements.c.external_id, movements.c.raw_on_hand, movements.c.counted,
                *[getattr(movements.c, f"d_{b}") for b in BUCKETS]]
        return [dict(r) for r in self.conn.execute(
            select(*cols).where(movements.c.item_id == item_id,
                                movements.c.location_id == location_id)).mappings()]


_SEAL_SQL = """UPDATE movements SET seq = :seq, chain_hash = :chain_hash, d_incoming = :d_incoming,
      d_on_hand = CASE WHEN :seen THEN 0 ELSE d_on_hand END WHERE id = :id"""
_SEAL = text(_SEAL_SQL)
_SEAL_AND_ANNOUNCE = text(
    f"""
    WITH sealed AS ({_SEAL_SQL})
    INSERT INTO outbox (type, subject, data, occurred_at, created_at)
    VALUES (:type, :subject, :data, :occurred_at, :created_at)
    """
).bindparams(bindparam("data", type_=JSON), bindparam("occurred_at", type_=UTCDateTime),
             bindparam("created_at", type_=UTCDateTime))

_SET_MANY = text(
    f"""
    UPDATE positions SET {", ".join(f"{b} = {b} + :d_{b}" for b in BUCKETS)},
      count_at = CASE WHEN :set_mark THEN :count_at ELSE count_at END,
      count_key = CASE WHEN :set_mark THEN :count_key ELSE count_key END,
      seq = :seq, chain_head = :chain_head, updated_at = :now
    WHERE item_id = :item_id AND location_id = :location_id
    """
).bindparams(bindparam("now", type_=UTCDateTime), bindparam("count_at", type_=UTCDateTime))

# Holds past their expiry that the sweeper has not returned yet, for a position `p`: they never
# count against availability, even before the sweeper runs.
LAPSED_HOLDS_SQL = """COALESCE((SELECT SUM(r.quantity) FROM reservations r
                WHERE r.item_id = p.item_id AND r.location_id = p.location_id
                  AND r.status = 'active' AND r.expires_at <= :now), 0) AS lapsed"""

_POSITIONS_OF = text(
    f"""
    SELECT p.location_id, l.code, {", ".join("p." + b for b in BUCKETS)}, p.seq,
      {LAPSED_HOLDS_SQL}
    FROM positions p JOIN locations l ON l.id = p.location_id
    WHERE p.item_id = :item_id ORDER BY l.code
    """
).bindparams(bindparam("now", type_=UTCDateTime))

_EXPECTED = text(
    """
    SELECT location_id, SUM(quantity_open) FROM inbound
    WHERE item_id = :item_id AND quantity_open > 0 AND expected_at <= :until
      AND kind IN :offered
    GROUP BY location_id
    """
).bindparams(bindparam("until", type_=UTCDateTime), bindparam("offered", expanding=True))


# A list of pairs bound as one parameter (a JSON array on SQLite, two arrays on PostgreSQL):
# one statement for a whole batch, and no per-value compilation of an expanding IN list.
def _pairs_param(conn: Connection, pairs: Sequence[tuple[Any, Any]]) -> dict[str, Any]:
    if conn.dialect.name == "postgresql":
        return {"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]}
    return {"pairs": json.dumps(pairs)}


def _pairs_subquery(postgres: bool, sql_type: str) -> str:
    if postgres:
        return f"SELECT * FROM unnest(CAST(:a AS {sql_type}[]), CAST(:b AS {sql_type}[]))"
    return "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:pairs)"


_LOCK = {
    for_update: text(
        f"""
        SELECT * FROM positions WHERE (item_id, location_id) IN ({_pairs_subquery(for_update,
                                                                                 "integer")})
        ORDER BY item_id, location_id {"FOR UPDATE" if for_update else ""}
        """
    ).columns(count_at=UTCDateTime, updated_at=UTCDateTime)
    for for_update in (False, True)
}

_FIND_MANY = {
    postgres: text(
        f"""
        SELECT * FROM movements
        WHERE (source, external_id) IN ({_pairs_subquery(postgres, "varchar")})
        """
    ).columns(occurred_at=UTCDateTime, recorded_at=UTCDateTime)
    for postgres in (False, True)
}
