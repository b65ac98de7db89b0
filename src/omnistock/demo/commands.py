"""`omnistock demo`: a fresh SQLite database with a seeded retailer, the API and the dashboard,
and simulated live traffic. Registered in cli.py; also `python -m omnistock.demo.commands`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import typer
from rich.console import Console

from ..store.database import Database
from ..store.migrate import upgrade
from . import retailer
from .seed import Seeded, seed

err = Console(stderr=True)
app = typer.Typer(help="omnistock demo.", no_args_is_help=False)


def fresh_database(path: Path) -> Database:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database.open(f"sqlite:///{path}")
    upgrade(db.engine)
    return db


def make_keys(db: Database, location: str) -> tuple[str, str]:
    from ..services.keys import create_key

    admin, _ = create_key(db, role="admin", name="demo admin")
    associate, _ = create_key(db, role="store", location=location,
                              name=f"demo associate at {location}")
    return admin, associate


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


def describe(seeded: Seeded) -> None:
    err.print(f"  {seeded.locations} locations (1 DC, 1 dark store, "
              f"{seeded.locations - 2} stores), {seeded.items:,} items, "
              f"{seeded.movements:,} movements, in {seeded.seconds:.1f} s")


def serve(db: Database, seeded: Seeded, host: str, port: int, admin: str, associate: str, *,
          rate: float) -> None:
    import uvicorn

    from ..api.app import create_app
    from .traffic import Traffic

    app = create_app(db)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           access_log=False))
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    traffic = Traffic(db, seeded.network, base, admin, rate=rate,
                      ready=lambda: server.started) if rate > 0 else None
    code = seeded.network.associate_store
    pace = f"about {rate:g} events/s" if traffic else "off"
    print(f"\nomnistock demo on {base}\n"  # plain print: a wrapped URL cannot be clicked
          f"  dashboard (admin):          {base}/?key={admin}\n"
          f"  store associate at {code}:  {base}/?key={associate}&store={code}#work\n"
          f"  admin key:  {admin}\n"
          f"  traffic:    {pace}  (Ctrl-C stops)\n",
          flush=True)
    if traffic:
        traffic.start()
        threading.Thread(target=_report, args=(traffic,), daemon=True).start()
    try:
        server.run()
    finally:
        if traffic:
            traffic.stop()
            traffic.join(5)
        db.close()


def _report(traffic: object, every: float = 60.0) -> None:
    while True:
        time.sleep(every)
        err.print(f"[dim]traffic so far: {traffic.summary()}[/]")  # type: ignore[attr-defined]


app.command()(demo)

if __name__ == "__main__":
    app()
