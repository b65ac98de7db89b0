"""The `omnistock` command: one Typer app, one module per group of commands."""

from __future__ import annotations

import typer

from .admin import init, keys_app, verify
from .counts import counts_app
from .demo import demo
from .feeds import import_command, mappings_app, quarantine_app, sources_app
from .orders import route
from .plan import plan_app
from .serve import serve
from .transfers import transfers_app

app = typer.Typer(help="omnistock: one truth for every unit of stock.", no_args_is_help=True)
app.command()(init)
app.command()(verify)
app.command()(serve)
app.command()(demo)
app.add_typer(keys_app, name="keys")
app.command("import")(import_command)
app.add_typer(mappings_app, name="mappings")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(sources_app, name="sources")
app.command("route")(route)
app.add_typer(plan_app, name="plan")
app.add_typer(transfers_app, name="transfers")
app.add_typer(counts_app, name="counts")
