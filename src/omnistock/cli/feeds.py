"""`omnistock import`, `omnistock mappings ...` and `omnistock quarantine ...`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..domain.errors import DomainError
from ..domain.feed_sources import SourceSettings
from ..ingest.mapping_files import read_mappings
from ..ingest.registry import FORMATS, parse
from ..services.feed_sources import put_source_settings, source_settings
from ..services.feeds import ImportSummary, import_records, list_quarantine, retry_quarantine
from ..services.mappings import add_mapping, list_mappings, put_mappings, remove_mapping
from ..settings import get_settings
from ..store.database import Database
from .options import DbOption

out = Console()
err = Console(stderr=True)

mappings_app = typer.Typer(help="How each source names our items and locations.",
                           no_args_is_help=True)
quarantine_app = typer.Typer(help="Feed records that could not be applied.", no_args_is_help=True)
sources_app = typer.Typer(help="How each source writes its files: time zone, column names.",
                          no_args_is_help=True)
QUARANTINED = 3  # the exit status of an import that held records back


class _CountingReader:
    """Wraps a binary file to report bytes read to a progress bar."""

    def __init__(self, raw, on_read):  # type: ignore[no-untyped-def]
        self._raw, self._on_read = raw, on_read

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._on_read(len(data))
        return data

    def readline(self, n: int = -1) -> bytes:
        data = self._raw.readline(n)
        self._on_read(len(data))
        return data

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.readline, b"")

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._raw, name)


def import_command(
    format: str = typer.Argument(..., help=f"one of: {', '.join(FORMATS)}"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    source: str | None = typer.Option(None, help="source name (default: the format)"),
    batch_size: int = typer.Option(1000, min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    allow_quarantine: bool = typer.Option(
        False, "--allow-quarantine", help="exit 0 even when records were quarantined"),
    database_url: str = DbOption,
) -> None:
    """Import a feed file: streaming, batched transactions, a progress bar and a summary.

    Exits 3 when any record was quarantined (see `omnistock quarantine list`), unless
    --allow-quarantine; 1 when the summary does not add up."""
    if format not in FORMATS:
        err.print(f"[red]format must be one of {', '.join(FORMATS)}[/]")
        raise typer.Exit(2)
    db = Database.open(database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TextColumn("{task.fields[status]}"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False,
                  disable=not err.is_terminal and not get_settings().progress
                  ) as progress, file.open("rb") as fh:
        task = progress.add_task(f"{format} {file.name}", total=file.stat().st_size, status="")

        def on_batch(s: ImportSummary) -> None:
            progress.update(task, status=f"{s.read:,} read, {s.applied:,} applied")

        reader = _CountingReader(fh, lambda n: progress.advance(task, n))
        name = source or format
        records = parse(format, reader, source_settings(db, name))  # type: ignore[arg-type]
        summary = import_records(db, records, source=name, fmt=format,
                                 batch_size=batch_size, on_batch=on_batch)
    if as_json:
        out.print_json(json.dumps(summary.as_dict()))
    else:
        _print_summary(summary)
    if not summary.adds_up:
        raise typer.Exit(1)
    if summary.quarantined and not allow_quarantine:
        err.print(f"[yellow]{summary.quarantined:,} record(s) quarantined: see `omnistock "
                  f"quarantine list --source {summary.source}`; fix and `omnistock quarantine "
                  "retry`, or pass --allow-quarantine[/]")
        raise typer.Exit(QUARANTINED)


def _print_summary(s: ImportSummary) -> None:
    table = Table(title=f"import of {s.format} from {s.source}")
    table.add_column("outcome")
    table.add_column("records", justify="right")
    for name, n in (("read", s.read), ("applied", s.applied), ("duplicates", s.duplicates),
                    ("quarantined", s.quarantined)):
        table.add_row(name, f"{n:,}")
    out.print(table)
    if s.variance_positions:
        variance = Table(title=f"variance: {s.variance_positions:,} positions moved, "
                               f"{s.variance_units:+,} units, {s.variance_value:+,.2f} at cost")
        for col in ("sku", "location", "counted", "delta", "value at cost"):
            variance.add_column(col, justify="left" if col in ("sku", "location") else "right")
        for v in s.variance[:20]:
            value = "" if v["value"] is None else f"{v['value']:+,.2f}"
            variance.add_row(v["sku"], v["location"], f"{v['counted']:,}", f"{v['delta']:+,}",
                             value)
        out.print(variance)
    if s.reasons:
        reasons = Table(title="quarantined, by reason")
        reasons.add_column("reason")
        reasons.add_column("records", justify="right")
        for reason, n in s.reasons.most_common(20):
            reasons.add_row(reason, f"{n:,}")
        out.print(reasons)


@mappings_app.command("add")
def mappings_add(source: str, kind: str = typer.Argument(..., help="item or location"),
                 code: str = typer.Argument(..., help="the source's own code"),
                 target: str = typer.Argument(..., help="our sku or location code"),
                 database_url: str = DbOption) -> None:
    add_mapping(Database.open(database_url), source=source, kind=kind, code=code, target=target)
    err.print(f"{source}: {kind} {code!r} -> {target}")


@mappings_app.command("list")
def mappings_list(source: str | None = typer.Option(None),
                  database_url: str = DbOption) -> None:
    table = Table()
    for col in ("source", "kind", "code", "target"):
        table.add_column(col)
    for m in list_mappings(Database.open(database_url), source):
        table.add_row(m["source"], m["kind"], m["code"], m["target"])
    out.print(table)


@mappings_app.command("remove")
def mappings_remove(source: str, kind: str, code: str,
                    database_url: str = DbOption) -> None:
    remove_mapping(Database.open(database_url), source=source, kind=kind, code=code)


@quarantine_app.command("list")
def quarantine_list(source: str | None = typer.Option(None),
                    database_url: str = DbOption) -> None:
    table = Table()
    for col in ("id", "source", "position", "reason", "retryable"):
        table.add_column(col)
    for q in list_quarantine(Database.open(database_url), source):
        table.add_row(str(q["id"]), q["source"], q["position"], q["reason"],
                      "yes" if q["retryable"] else "no")
    out.print(table)


@quarantine_app.command("retry")
def quarantine_retry(source: str | None = typer.Option(None),
                     ids: list[int] = typer.Option([], "--id", help="only these rows"),
                     database_url: str = DbOption) -> None:
    """Apply again the quarantined records that parsed (e.g. after adding a mapping)."""
    _print_summary(retry_quarantine(Database.open(database_url), source, ids or None))


@mappings_app.command("import")
def mappings_import(source: str, file: Path = typer.Argument(..., exists=True, dir_okay=False),
                    database_url: str = DbOption) -> None:
    """Mappings in bulk from a CSV: kind,code,target, or Shopify ids beside our codes
    (inventory_item_id,sku / variant_id,sku / location_id,location)."""
    try:
        with file.open("rb") as fh:
            counts = put_mappings(Database.open(database_url), source, read_mappings(fh))
    except DomainError as e:
        err.print(f"[red]{e.detail}[/]")
        raise typer.Exit(2) from None
    err.print(", ".join(f"{n:,} {what}" for what, n in counts.items()))


@sources_app.command("set")
def sources_set(
    source: str,
    time_zone: str | None = typer.Option(None, help="IANA name, e.g. Europe/Paris"),
    column: list[str] = typer.Option([], help="FIELD=Their header, e.g. occurred_at=Date"),
    type_: list[str] = typer.Option([], "--type", help="Their value=sale|return"),
    date_format: str | None = typer.Option(None, help="strptime pattern, e.g. %m/%d/%Y"),
    database_url: str = DbOption,
) -> None:
    """Set (replace) how SOURCE writes its files; later imports read them so."""
    try:
        settings = SourceSettings(source, time_zone, _pairs(column, "--column"),
                                  _pairs(type_, "--type"), date_format)
        view = put_source_settings(Database.open(database_url), settings)
    except DomainError as e:
        err.print(f"[red]{e.detail}[/]")
        raise typer.Exit(2) from None
    out.print_json(json.dumps(view))


@sources_app.command("show")
def sources_show(source: str, database_url: str = DbOption) -> None:
    s = source_settings(Database.open(database_url), source)
    out.print_json(json.dumps({"source": s.source, "time_zone": s.time_zone,
                               "columns": dict(s.columns), "types": dict(s.types),
                               "date_format": s.date_format}))


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key.strip():
            err.print(f"[red]{option} takes KEY=VALUE, got {value!r}[/]")
            raise typer.Exit(2)
        pairs[key.strip()] = target.strip()
    return pairs
