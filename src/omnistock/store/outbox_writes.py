"""Call back, in this process, after a transaction that wrote outbox rows has ended.

Two engine listeners, no change to the writers: `after_cursor_execute` flags a pooled
connection that ran `INSERT INTO outbox`, and the pool's `checkin` (after the unit of work's
commit and close) fires the callbacks of that engine. `commit` itself is not used: SQLAlchemy
calls it before the DBAPI commit, when readers cannot see the rows yet. A rolled-back
transaction wakes readers for nothing, which is harmless. Other processes' commits are seen
by polling.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from .database import Database

_FLAG = "omnistock.outbox_written"
_by_engine: weakref.WeakKeyDictionary[Engine, OutboxWrites] = weakref.WeakKeyDictionary()
_install_lock = threading.Lock()


class OutboxWrites:
    """One per engine, so every `Database` over it shares the same callbacks."""

    def __init__(self, in_id_order: bool) -> None:
        # Whether outbox ids become visible in id order (SQLite's single writer), or may
        # commit out of order (PostgreSQL's sequence; see store/outbox.py).
        self.in_id_order = in_id_order
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, db: Database) -> OutboxWrites:
        with _install_lock:
            found = _by_engine.get(db.engine)
            if found is None:
                found = _by_engine[db.engine] = cls(db.engine.dialect.name != "postgresql")
                found._install(db.engine)
            return found

    def _install(self, engine: Engine) -> None:
        def flag(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "INSERT INTO outbox" in statement:  # alone, or inside a CTE
                conn.info[_FLAG] = True

        def fire(_dbapi_conn: Any, record: Any) -> None:
            if record is not None and record.info.pop(_FLAG, False):
                self.notify()

        event.listen(engine, "after_cursor_execute", flag)
        event.listen(engine, "checkin", fire)

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from the writer's thread) after each outbox write; returns the
        function that unsubscribes."""
        with self._lock:
            key = self._next
            self._next += 1
            self._callbacks[key] = callback

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks.pop(key, None)

        return unsubscribe

    def notify(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            with contextlib.suppress(RuntimeError):  # a loop closed since the check
                callback()
