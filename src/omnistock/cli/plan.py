"""`omnistock plan forecast` and `omnistock plan safety-stock`."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..planning.safety import DEFAULT_SERVICE_LEVELS
from ..services import planning
from ..store.database import Database
from .options import DbOption

out = Console()
err = Console(stderr=True)

plan_app = typer.Typer(help="Forecasts and safety stock from the ledger's history.",
                       no_args_is_help=True)


@plan_app.command("forecast")
def forecast_command(
        days: int = typer.Option(120, min=1, max=730, help="days of history to learn from"),
        horizon: int = typer.Option(28, min=1, max=120, help="days to forecast"),
        as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
        database_url: str = DbOption) -> None:
    """Forecast every item x location that had demand, the model chosen per series by a
    rolling-origin backtest, and store the results (GET /v1/forecasts/{sku})."""
    db = Database.open(database_url)
    with Progress(TextColumn("forecasting"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, disable=as_json) as bar:
        task = bar.add_task("series", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = planning.run_forecasts(db, days=days, horizon=horizon, progress=tick)
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    out.print(f"{summary['series']} series forecast {horizon} days ahead from {days} days "
              f"of history (run {summary['run_id']})")
    _accuracy(summary)


def _accuracy(summary: dict[str, Any]) -> None:
    table = Table(title="Backtest accuracy by segment")
    for col in ("segment", "series", "WAPE", "seasonal naive WAPE", "MASE"):
        table.add_column(col, justify="left" if col == "segment" else "right")
    for segment, a in summary["accuracy"].items():
        table.add_row(segment, str(a["series"]), f"{a['wape']:.3f}",
                      f"{a['seasonal_naive_wape']:.3f}",
                      "-" if a["mase"] is None else f"{a['mase']:.3f}")
    out.print(table)
    out.print("models: " + ", ".join(f"{m} {n}" for m, n in sorted(summary["models"].items())))


def _levels(text: str) -> dict[str, float]:
    try:
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
        return {k.strip(): float(v) for k, v in pairs}
    except ValueError:
        raise typer.BadParameter("expected CLASS=LEVEL,... e.g. A=0.98,B=0.95,C=0.9") from None


@plan_app.command("safety-stock")
def safety_stock_command(
        lead_time: float = typer.Option(3.0, min=0, max=365, help="lead time in days"),
        service_levels: str = typer.Option(
            ",".join(f"{k}={v}" for k, v in DEFAULT_SERVICE_LEVELS.items()),
            help="service level per item class"),
        default_class: str = typer.Option("B", help="class of items without one"),
        dry_run: bool = typer.Option(False, "--dry-run", help="show, change nothing"),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
        database_url: str = DbOption) -> None:
    """Set the safety_stock bucket of every forecast position from its forecast error, the
    lead time and its class's service level, as movements with their reason."""
    db = Database.open(database_url)
    result = planning.apply_safety_stock(db, lead_time_days=lead_time,
                                         service_levels=_levels(service_levels),
                                         default_class=default_class, dry_run=dry_run,
                                         actor="cli")
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table(title=f"Safety stock{' (dry run)' if dry_run else ''}: "
                        f"{result['changed']} of {result['positions']} positions change")
    for col in ("sku", "location", "class", "from", "to", "why"):
        table.add_column(col, justify="right" if col in ("from", "to") else "left")
    for c in result["changes"][:50]:
        table.add_row(c["sku"], c["location"], c["class"], str(c["from"]), str(c["to"]),
                      c["reason"])
    out.print(table)
