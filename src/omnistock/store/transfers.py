"""Transfers, their lines and receipts.

Lock order: a write locks its transfer row first (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
write lock covers the whole transaction), then position rows in (item_id, location_id) order
through the ledger. An order's leg is written under its order's lock, then its transfer's. No
statement here touches positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, exists, func, insert, or_, select, update

from .tables import items, locations
from .transfer_tables import transfer_lines, transfer_receipts, transfers

LINE_COUNTS = ("shipped", "received", "lost", "over")


class TransferRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._for_update = conn.dialect.name == "postgresql"

    def insert(self, row: dict[str, Any], lines: Sequence[tuple[int, int]]) -> None:
        self.conn.execute(insert(transfers).values(**row))
        self.conn.execute(insert(transfer_lines), [
            {"transfer_id": row["id"], "item_id": item_id, "line_no": n, "quantity": q,
             **dict.fromkeys(LINE_COUNTS, 0)}
            for n, (item_id, q) in enumerate(lines, start=1)])

    def _select(self) -> Any:
        src, dst = locations.alias("src"), locations.alias("dst")
        return (select(transfers, src.c.code.label("from_location"),
                       dst.c.code.label("to_location"))
                .join(src, src.c.id == transfers.c.from_location_id)
                .join(dst, dst.c.id == transfers.c.to_location_id))

    def get(self, transfer_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        stmt = self._select().where(transfers.c.id == transfer_id)
        if lock and self._for_update:
            stmt = stmt.with_for_update(of=transfers)
        row = self.conn.execute(stmt).mappings().first()
        return dict(row) if row else None

    def of_fulfillment(self, order_id: str, number: int, *,
                       lock: bool = False) -> dict[str, Any] | None:
        stmt = self._select().where(transfers.c.order_id == order_id,
                                    transfers.c.fulfillment == number)
        if lock and self._for_update:
            stmt = stmt.with_for_update(of=transfers)
        row = self.conn.execute(stmt).mappings().first()
        return dict(row) if row else None

    def update(self, transfer_id: str, **values: Any) -> None:
        self.conn.execute(update(transfers).where(transfers.c.id == transfer_id).values(**values))

    def set_lines(self, transfer_id: str, lines: Sequence[dict[str, Any]]) -> None:
        """Save each line's counts (`item_id` and LINE_COUNTS)."""
        for ln in lines:
            self.conn.execute(update(transfer_lines).where(
                transfer_lines.c.transfer_id == transfer_id,
                transfer_lines.c.item_id == ln["item_id"]).values(
                    **{k: ln[k] for k in LINE_COUNTS}))

    def lines(self, transfer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {t: [] for t in transfer_ids}
        for start in range(0, len(transfer_ids), 500):
            chunk = list(transfer_ids[start:start + 500])
            rows = self.conn.execute(
                select(transfer_lines, items.c.sku)
                .join(items, items.c.id == transfer_lines.c.item_id)
                .where(transfer_lines.c.transfer_id.in_(chunk))
                .order_by(transfer_lines.c.transfer_id, transfer_lines.c.line_no)).mappings()
            for r in rows:
                out[r["transfer_id"]].append(
                    {"item_id": r["item_id"], "sku": r["sku"], "quantity": int(r["quantity"]),
                     **{k: int(r[k]) for k in LINE_COUNTS}})
        return out

    def search(self, *, statuses: Sequence[str] | None, location_id: int | None,
               item_id: int | None, order_id: str | None, limit: int) -> list[dict[str, Any]]:
        stmt = self._select()
        if statuses:
            stmt = stmt.where(transfers.c.status.in_(statuses))
        if location_id is not None:
            stmt = stmt.where(or_(transfers.c.from_location_id == location_id,
                                  transfers.c.to_location_id == location_id))
        if item_id is not None:
            stmt = stmt.where(exists().where(transfer_lines.c.transfer_id == transfers.c.id,
                                             transfer_lines.c.item_id == item_id))
        if order_id is not None:
            stmt = stmt.where(transfers.c.order_id == order_id)
        stmt = stmt.order_by(transfers.c.created_at.desc(), transfers.c.id.desc()).limit(limit)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    # -- receipts ----------------------------------------------------------------------------
    def receipt(self, transfer_id: str, external_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(transfer_receipts).where(
            transfer_receipts.c.transfer_id == transfer_id,
            transfer_receipts.c.external_id == external_id)).mappings().first()
        return dict(row) if row else None

    def add_receipt(self, row: dict[str, Any]) -> int:
        """Number the receipt (1, 2, ... within the transfer, under the transfer's lock)."""
        top = self.conn.execute(select(func.max(transfer_receipts.c.number)).where(
            transfer_receipts.c.transfer_id == row["transfer_id"])).scalar()
        number = int(top or 0) + 1
        self.conn.execute(insert(transfer_receipts).values(**row, number=number))
        return number
