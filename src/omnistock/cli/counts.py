"""`omnistock counts reverse`: the audited correction of a mistaken count."""

from __future__ import annotations

import getpass
import json

import typer
from rich.console import Console

from ..domain.errors import DomainError
from ..services.corrections import reverse_count
from ..store.database import Database
from .options import DbOption

counts_app = typer.Typer(help="Counts: correct a mistaken one.", no_args_is_help=True)
err = Console(stderr=True)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


@counts_app.command("reverse")
def reverse(movement_id: int = typer.Argument(..., min=1, max=2**63 - 1,
                                              help="the count's movement id"),
            reason: str = typer.Option(..., "--reason", help="why (kept with the reversal)"),
            actor: str | None = typer.Option(None, "--actor",
                                             help="who reverses it (default cli:<user>)"),
            database_url: str = DbOption) -> None:
    """Reverse a count: on_hand becomes what the ledger gives without it (a later count still
    wins); prints the reversal movement as JSON."""
    try:
        done = reverse_count(Database.open(database_url), movement_id, reason,
                             actor=actor or _operator())
    except DomainError as e:
        err.print(f"[red]error[/]: {e.detail}")
        raise typer.Exit(1) from None
    change = done.movement["deltas"].get("on_hand", 0)
    err.print("already reversed, the same way" if done.replayed else
              f"reversed count {movement_id}: on_hand {change:+d}")
    print(json.dumps(done.movement))
