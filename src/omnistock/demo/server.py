"""The demo's moving parts: a fresh SQLite database, its keys, and the API served with
simulated live traffic (`omnistock demo` puts them together)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.console import Console

from ..store.database import Database
from ..store.migrate import upgrade
from .seed import Seeded

err = Console(stderr=True)


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
