"""The `omnistock` command."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from .api.commands import keys_app, serve
from .demo.commands import demo
from .ingest.commands import import_command, mappings_app, quarantine_app
from .orders_commands import route
from .services.verify import verify as verify_ledger
from .store.database import Database
from .store.migrate import upgrade

app = typer.Typer(help="omnistock: one truth for every unit of stock.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()

DbOption = typer.Option(None, "--database-url", envvar="OMNISTOCK_DATABASE_URL",
                        help="SQLAlchemy URL (default sqlite:///omnistock.db)")


@app.command()
def init(database_url: str | None = DbOption) -> None:
    """Create or migrate the database to the latest schema."""
    db = Database.open(database_url)
    upgrade(db.engine)
    err.print(f"[green]database ready[/] at {db.engine.url.render_as_string()}")


@app.command()
def verify(database_url: str | None = DbOption) -> None:
    """Prove positions == fold(ledger); exit 1 with a report of differing positions."""
    db = Database.open(database_url)
    mismatches = verify_ledger(db)
    if not mismatches:
        out.print("[green]ok[/]: every position equals the fold of its ledger")
        return
    table = Table(title=f"{len(mismatches)} differing bucket(s)")
    for col in ("sku", "location", "bucket", "position", "ledger", "check"):
        table.add_column(col)
    for m in mismatches:
        table.add_row(m.sku, m.location, m.bucket, str(m.position), str(m.ledger), m.check)
    out.print(table)
    raise typer.Exit(1)


app.command()(serve)
app.command()(demo)
app.add_typer(keys_app, name="keys")
app.command("import")(import_command)
app.add_typer(mappings_app, name="mappings")
app.add_typer(quarantine_app, name="quarantine")
app.command("route")(route)

if __name__ == "__main__":
    app()
