"""`omnistock transfers list`: transfers, newest first, with what each still has on its way."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ..domain.errors import DomainError
from ..services.transfers import STATUS_FILTERS, list_transfers
from ..store.database import Database
from .options import DbOption

transfers_app = typer.Typer(help="Transfers between locations.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@transfers_app.command("list")
def list_(status: str | None = typer.Option(
              None, "--status", help=f"one of {', '.join(STATUS_FILTERS)}"),
          location: str | None = typer.Option(None, "--location",
                                              help="either end of the transfer"),
          sku: str | None = typer.Option(None, "--sku"),
          limit: int = typer.Option(50, "--limit", min=1, max=500),
          as_json: bool = typer.Option(False, "--json", help="print the transfers as JSON"),
          database_url: str = DbOption) -> None:
    """Transfers, newest first: from, to, when due, and per line what is still in transit."""
    db = Database.open(database_url)
    try:
        found = list_transfers(db, status=status, location=location, sku=sku, limit=limit)
    except DomainError as e:
        err.print(f"[red]{e.field or 'error'}[/]: {e.detail}")
        raise typer.Exit(2) from None
    finally:
        db.close()
    if as_json:
        print(json.dumps(found, indent=2))
        return
    out.print(_table(found["transfers"]))


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(rows)} transfer(s)")
    for col in ("id", "status", "from", "to", "expected", "in transit", "lines"):
        table.add_column(col, justify="right" if col == "in transit" else "left")
    for t in rows:
        expected = (t["expected_at"] or "")[:16].replace("T", " ")
        table.add_row(t["id"][:8], t["status"].replace("_", " "), t["from_location"],
                      t["to_location"], f"[red]{expected} late[/]" if t["late"] else expected,
                      str(t["in_transit"]), ", ".join(
                          f"{ln['sku']} {ln['in_transit']}/{ln['shipped'] or ln['quantity']}"
                          for ln in t["lines"]))
    return table
