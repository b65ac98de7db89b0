"""Options shared by every command that opens the database."""

from __future__ import annotations

import typer

from ..settings import Settings, get_settings

_DEFAULT_URL = Settings.model_fields["database_url"].default


def _or_settings(url: str | None) -> str:
    # Read when a command runs, not at import, so that the environment of that run counts.
    return url or get_settings().database_url


DbOption = typer.Option(None, "--database-url", envvar="OMNISTOCK_DATABASE_URL",
                        help=f"SQLAlchemy URL (default {_DEFAULT_URL})", callback=_or_settings)
