"""`omnistock init`, `omnistock verify` and `omnistock keys ...`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..domain.errors import DomainError
from ..services import keys as key_service
from ..services.verify import anchor as anchor_heads
from ..services.verify import check_anchor
from ..services.verify import verify as verify_ledger
from ..store.database import Database
from ..store.migrate import upgrade
from .options import DbOption

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()


def init(database_url: str = DbOption) -> None:
    """Create or migrate the database to the latest schema."""
    db = Database.open(database_url)
    upgrade(db.engine)
    err.print(f"[green]database ready[/] at {db.engine.url.render_as_string()}")


def verify(
    database_url: str = DbOption,
    anchor: Path | None = typer.Option(
        None, help="also write every chain head to this file and print their digest: publish "
                   "the digest (or keep it elsewhere) to prove later that no chain was rewritten"),
    against: Path | None = typer.Option(
        None, help="check an anchor file written earlier: every head it lists must still be a "
                   "link of its chain; prints the file's digest to compare with the published one"),
) -> None:
    """Prove positions == fold(ledger) and every hash chain holds; exit 1 with a report."""
    db = Database.open(database_url)
    mismatches = verify_ledger(db)
    if against is not None:
        digest, stale = check_anchor(db, json.loads(against.read_text()))
        out.print(f"anchor digest {digest}")
        mismatches += stale
    if not mismatches:
        out.print("[green]ok[/]: every position equals the fold of its ledger, and every "
                  "chain holds")
    if anchor is not None:
        digest, heads = anchor_heads(db)
        anchor.write_text(json.dumps(heads, indent=1) + "\n")
        out.print(f"anchor digest {digest} ({len(heads)} chain heads in {anchor})")
    if not mismatches:
        return
    table = Table(title=f"{len(mismatches)} difference(s)")
    for col in ("sku", "location", "bucket", "position", "ledger", "check", "detail"):
        table.add_column(col)
    for m in mismatches:
        table.add_row(m.sku, m.location, m.bucket, str(m.position), str(m.ledger), m.check,
                      m.detail)
    out.print(table)
    raise typer.Exit(1)


def _fail(e: DomainError) -> None:
    err.print(f"[red]error[/]: {e.detail}")
    raise typer.Exit(1)


@keys_app.command("create")
def create(role: str = typer.Option(..., "--role", help="admin, integration, store or viewer"),
           location: str | None = typer.Option(None, "--location",
                                               help="the location a store key acts at"),
           name: str = typer.Option("", "--name", help="what the key is for"),
           database_url: str = DbOption) -> None:
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
def list_(database_url: str = DbOption) -> None:
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
           database_url: str = DbOption) -> None:
    """Revoke a key; servers stop accepting it within their key cache time (30 s)."""
    try:
        record = key_service.revoke_key(Database.open(database_url), prefix)
    except DomainError as e:
        _fail(e)
        return
    err.print(f"revoked {record.prefix} at {record.view()['revoked_at']}")
