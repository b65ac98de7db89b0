"""`omnistock serve` and `omnistock keys ...` (registered in cli.py; also
`python -m omnistock.api.commands ...`)."""

from __future__ import annotations

import os
import shutil
import tempfile

import typer
from rich.console import Console
from rich.table import Table

from ..domain.errors import DomainError
from ..services import keys as key_service
from ..store.database import Database

app = typer.Typer(help="omnistock API server and keys.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
err = Console(stderr=True)

DbOption = typer.Option(None, "--database-url", envvar="OMNISTOCK_DATABASE_URL",
                        help="SQLAlchemy URL (default sqlite:///omnistock.db)")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
          port: int = typer.Option(8000, "--port", help="TCP port"),
          workers: int = typer.Option(1, "--workers", min=1, help="server processes"),
          log_level: str = typer.Option("info", "--log-level"),
          database_url: str | None = DbOption) -> None:
    """Serve the HTTP API (and its background tasks) with uvicorn."""
    import uvicorn

    if database_url:
        os.environ["OMNISTOCK_DATABASE_URL"] = database_url  # read by each worker process
    metrics_dir = None
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        metrics_dir = tempfile.mkdtemp(prefix="omnistock-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run("omnistock.api.main:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level, access_log=False)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _fail(e: DomainError) -> None:
    err.print(f"[red]error[/]: {e.detail}")
    raise typer.Exit(1)


@keys_app.command("create")
def create(role: str = typer.Option(..., "--role", help="admin, integration, store or viewer"),
           location: str | None = typer.Option(None, "--location",
                                               help="the location a store key acts at"),
           name: str = typer.Option("", "--name", help="what the key is for"),
           database_url: str | None = DbOption) -> None:
    """Create a key and print it, alone, on stdout (it is shown only this once)."""
    try:
        key, record = key_service.create_key(Database.open(database_url), role=role,
                                             location=location, name=name)
    except DomainError as e:
        _fail(e)
        return
    err.print(f"created {record.role} key {record.prefix}")
    print(key)


@keys_app.command("list")
def list_(database_url: str | None = DbOption) -> None:
    """Every key: prefix, role, location, name, created, revoked (never the key itself)."""
    table = Table()
    for col in ("prefix", "role", "location", "name", "created_at", "revoked_at"):
        table.add_column(col)
    for k in key_service.list_keys(Database.open(database_url)):
        v = k.view()
        table.add_row(*[str(v[c] or "") for c in ("prefix", "role", "location", "name",
                                                  "created_at", "revoked_at")])
    Console().print(table)


@keys_app.command("revoke")
def revoke(prefix: str = typer.Argument(..., help="the key's prefix (see `keys list`)"),
           database_url: str | None = DbOption) -> None:
    """Revoke a key; servers stop accepting it within their key cache time (30 s)."""
    try:
        record = key_service.revoke_key(Database.open(database_url), prefix)
    except DomainError as e:
        _fail(e)
        return
    err.print(f"revoked {record.prefix} at {record.view()['revoked_at']}")


if __name__ == "__main__":
    app()
