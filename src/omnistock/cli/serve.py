"""`omnistock serve`: the HTTP API and its background tasks, under uvicorn."""

from __future__ import annotations

import os
import shutil
import tempfile

import typer

from ..settings import get_settings
from .options import DbOption


def serve(host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
          port: int = typer.Option(8000, "--port", help="TCP port"),
          workers: int = typer.Option(1, "--workers", min=1, help="server processes"),
          log_level: str = typer.Option("info", "--log-level"),
          database_url: str = DbOption) -> None:
    """Serve the HTTP API (and its background tasks) with uvicorn."""
    import uvicorn

    os.environ["OMNISTOCK_DATABASE_URL"] = database_url  # read by each worker process
    get_settings.cache_clear()  # one worker serves in this process, and must see it too
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
