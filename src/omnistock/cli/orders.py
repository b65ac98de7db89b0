"""`omnistock route --batch FILE [--apply]`: plan a backlog of orders as one wave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ..services.orders import apply_wave, plan_waves, read_backlog
from ..store.database import Database
from .options import DbOption

out = Console()
err = Console(stderr=True)


def route(batch: Path = typer.Option(..., "--batch", exists=True, dir_okay=False,
                                     readable=True, help="JSON Lines: one order a line"),
          apply: bool = typer.Option(False, "--apply", help="place the orders as planned"),
          as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
          database_url: str = DbOption) -> None:
    """Plan a backlog jointly against node stock and capacity (wave planning) and print its
    total cost against sourcing the orders one by one; --apply places them."""
    db = Database.open(database_url)
    with batch.open(encoding="utf-8") as f:
        backlog = read_backlog(f)
    waves = plan_waves(db, backlog)
    applied = [apply_wave(db, w, actor="cli") for w in waves] if apply else []
    result = {"waves": [w.summary() for w in waves], "rejected": backlog.rejected,
              "applied": applied}
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _show(result)
    if backlog.rejected:
        err.print(f"[yellow]{len(backlog.rejected)} order(s) not planned[/]: "
                  + "; ".join(f"{r.get('order_id') or 'line ' + str(r.get('line'))}: "
                              f"{r['error']}" for r in backlog.rejected[:5]))


def _show(result: dict[str, Any]) -> None:
    table = Table(title="Wave plan: jointly vs one by one")
    for col in ("channel", "orders", "strategy", "served", "total cost", "served 1-by-1",
                "cost 1-by-1", "saving"):
        table.add_column(col, justify="left" if col in ("channel", "strategy") else "right")
    for w in result["waves"]:
        table.add_row(w["channel"], str(w["orders"]), w["strategy"], str(w["served"]),
                      f"{w['total_cost']:.2f}", str(w["served_one_by_one"]),
                      f"{w['one_by_one_cost']:.2f}", f"{w['saving']:.2f}")
    out.print(table)
    for w in result["waves"]:
        for note in w["notes"]:
            out.print(f"{w['channel']}: {note}")
    for a in result["applied"]:
        out.print(f"{a['channel']}: placed {len(a['placed'])}, refused {len(a['refused'])}")
