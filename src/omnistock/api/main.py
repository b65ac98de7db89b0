"""The app uvicorn serves: `uvicorn --factory omnistock.api.main:app_from_env`.

A factory rather than a module-level app, so that importing this module opens nothing, and
each server process (`omnistock serve --workers N`) builds its own engine and caches.
Configuration comes from `omnistock.settings` (OMNISTOCK_DATABASE_URL,
OMNISTOCK_KEY_CACHE_SECONDS ...; the README's Configuration table lists them).

Each process runs at most THREADS requests in the database at once, over as many pooled
connections: a pool smaller than the thread pool makes SQLAlchemy open and close overflow
connections under load, which costs more than the queries.
"""

from __future__ import annotations

from fastapi import FastAPI

from ..settings import get_settings
from ..store.database import Database
from .app import create_app

THREADS = 16


def app_from_env() -> FastAPI:
    settings = get_settings()
    db = Database.open(settings.database_url, pool_size=THREADS)
    return create_app(db, key_cache_seconds=settings.key_cache_seconds, threads=THREADS)
