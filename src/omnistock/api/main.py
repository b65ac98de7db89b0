"""The app uvicorn serves: `uvicorn --factory omnistock.api.main:app_from_env`.

A factory rather than a module-level app, so that importing this module opens nothing, and
each server process (`omnistock serve --workers N`) builds its own engine and caches.
Environment: OMNISTOCK_DATABASE_URL (default sqlite:///omnistock.db), and
OMNISTOCK_KEY_CACHE_SECONDS (default 30: how long a key lookup, or a revocation, may lag).

Each process runs at most THREADS requests in the database at once, over as many pooled
connections: a pool smaller than the thread pool makes SQLAlchemy open and close overflow
connections under load, which costs more than the queries.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from ..store.database import Database
from ..store.db import database_url
from .app import create_app

THREADS = 16


def app_from_env() -> FastAPI:
    ttl = float(os.environ.get("OMNISTOCK_KEY_CACHE_SECONDS", "30"))
    db = Database.open(database_url(), pool_size=THREADS)
    return create_app(db, key_cache_seconds=ttl, threads=THREADS)
