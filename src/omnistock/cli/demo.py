"""`omnistock demo`: a fresh SQLite database with a seeded retailer, the API and the dashboard,
and simulated live traffic."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..demo import retailer
from ..demo.seed import seed
from ..demo.server import describe, fresh_database, make_keys, serve

err = Console(stderr=True)


def demo(
    port: int = typer.Option(8000, "--port", help="TCP port"),
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
    database: Path = typer.Option(Path("omnistock-demo.db"), "--database",
                                  help="SQLite file, created afresh"),
    items: int = typer.Option(3000, "--items", min=10, max=3000, help="catalogue size"),
    days: int = typer.Option(7, "--days", min=0, max=60, help="days of history"),
    rate: float = typer.Option(4.0, "--rate", min=0.1, max=200, help="simulated events/s"),
    no_traffic: bool = typer.Option(False, "--no-traffic", help="serve without traffic"),
    seed_only: bool = typer.Option(False, "--seed-only", help="seed, print the keys, exit"),
) -> None:
    """Seed a believable retailer into a fresh SQLite file, then serve the API and the
    dashboard with simulated live traffic (Ctrl-C stops)."""
    db = fresh_database(database.resolve())
    err.print(f"[bold]{retailer.NAME}[/]: seeding {database} ...")
    seeded = seed(db, items=items, days=days, progress=lambda m: err.print(f"  {m}"))
    admin, associate = make_keys(db, seeded.network.associate_store)
    describe(seeded)
    if seed_only:
        print(f"admin key: {admin}")
        print(f"store key ({seeded.network.associate_store}): {associate}")
        return
    serve(db, seeded, host, port, admin, associate, rate=0 if no_traffic else rate)
