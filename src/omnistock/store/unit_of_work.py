"""One unit of work per use case: a connection and a transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from .audit import AuditRepository
from .catalog import CatalogRepository, IdCache
from .edits import EditRepository
from .errors import translate
from .feeds import FeedRepository
from .history import HistoryRepository
from .holds import HoldRepository
from .idempotency import IdempotencyRepository
from .keys import KeyRepository
from .leases import LeaseRepository
from .ledger import LedgerRepository
from .orders import OrderRepository
from .outbox import OutboxRepository
from .planning import PlanningRepository
from .reads import ReadRepository
from .refusals import RefusalRepository
from .reports import ReportRepository
from .reservations import ReservationRepository
from .returns import ReturnRepository
from .shopify import ShopifyRepository
from .sink_cursors import SinkCursorRepository
from .transfers import TransferRepository
from .webhooks import WebhookRepository


class UnitOfWork:
    def __init__(self, engine: Engine, ids: IdCache, *, readonly: bool = False,
                 snapshot: bool = False, autocommit: bool = False) -> None:
        self._engine = engine
        self._readonly = readonly
        self._snapshot = snapshot
        self._autocommit = autocommit
        self._ids = ids
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn: Connection = self._engine.connect()
        if self._readonly:
            # PostgreSQL: autocommit saves the BEGIN/ROLLBACK round trips of a read.
            # SQLite: a plain (deferred) BEGIN, so reads take no write lock.
            # A snapshot (verify, reports) sees one consistent state across its statements.
            pg_level = "REPEATABLE READ" if self._snapshot else "AUTOCOMMIT"
            options = ({"isolation_level": pg_level} if self.conn.dialect.name ==
                       "postgresql" else {"omnistock_readonly": True})
            self.conn = self.conn.execution_options(**options)
        elif self._autocommit:
            # Each statement commits on its own: for work that is one statement (the
            # PostgreSQL single-statement hold), so no lock outlives it.
            self.conn = self.conn.execution_options(isolation_level="AUTOCOMMIT")
        self._tx = self.conn.begin()
        self.catalog = CatalogRepository(self.conn, self._ids)
        self.ledger = LedgerRepository(self.conn)
        self.reservations = ReservationRepository(self.conn)
        self.outbox = OutboxRepository(self.conn)
        self.feeds = FeedRepository(self.conn)
        self.orders = OrderRepository(self.conn)
        self.keys = KeyRepository(self.conn)
        self.idempotency = IdempotencyRepository(self.conn)
        self.refusals = RefusalRepository(self.conn)
        self.reports = ReportRepository(self.conn)
        self.audit = AuditRepository(self.conn)
        self.webhooks = WebhookRepository(self.conn)
        self.leases = LeaseRepository(self.conn)
        self.planning = PlanningRepository(self.conn)
        self.transfers = TransferRepository(self.conn)
        self.returns = ReturnRepository(self.conn)
        self.holds = HoldRepository(self.conn)
        self.sink_cursors = SinkCursorRepository(self.conn)
        self.reads = ReadRepository(self.conn)
        self.history = HistoryRepository(self.conn)
        self.edits = EditRepository(self.conn)
        self.shopify = ShopifyRepository(self.conn)
        return self

    def commit(self) -> None:
        self._tx.commit()
        self._committed = True

    def rollback(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.rollback()
        finally:
            self.conn.close()
        translated = translate(exc) if exc is not None else None
        if translated is not None:
            raise translated from exc

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name
