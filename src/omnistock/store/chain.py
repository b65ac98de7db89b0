"""The ledger's hash chain in SQL, for the statements that advance a position's chain
themselves (domain/ledger.py `chain_link` is the same function in Python)."""

from __future__ import annotations


def next_link(dialect: str, table: str = "") -> str:
    """The position's next chain head: the hash of its head, its next seq and the movement's
    `:chain_content`."""
    t = f"{table}." if table else ""
    text = f"{t}chain_head || '|' || CAST({t}seq + 1 AS TEXT) || '|' || :chain_content"
    if dialect == "postgresql":
        return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"
    return f"omnistock_sha256({text})"  # registered on every SQLite connection (store/db.py)


def advance(dialect: str, table: str = "") -> str:
    """SET clause moving a position one link on."""
    t = f"{table}." if table else ""
    return f"seq = {t}seq + 1, chain_head = {next_link(dialect, table)}"
