"""A real `omnistock serve` process per backend, with a key of every role, for the API tests.

The session server runs two worker processes, so everything these tests prove (no oversell,
idempotency, metrics) holds across processes. Its key cache lasts 1 s so revocation is testable.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from omnistock.domain.catalog import Item, Location
from omnistock.services import catalog, keys
from omnistock.services.movements import apply_movement
from omnistock.store.database import Database
from omnistock.store.db import make_engine
from omnistock.store.migrate import upgrade

from ..backends import require_postgres
from ..factories import movement, ref

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
ROLES = ("admin", "integration", "store", "viewer")
PROBLEM = "application/problem+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiServer:
    """`python -m omnistock.cli serve` in a subprocess (as `omnistock serve`)."""

    def __init__(self, url: str, log: Path, *, workers: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.url, self.log_path, self.workers = url, log, workers
        self.env = {**os.environ, "OMNISTOCK_DATABASE_URL": url,
                    "OMNISTOCK_KEY_CACHE_SECONDS": "1", **(env or {})}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = free_port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 40.0) -> ApiServer:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "omnistock.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers), "--log-level", "warning"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the server did not answer /healthz in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill9(self) -> None:
        assert self.proc is not None and self.workers == 1  # children would outlive the parent
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def database(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """A new migrated database on `backend`."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'api-{uuid.uuid4().hex[:8]}.db'}"
    else:
        require_postgres()
        url = request.getfixturevalue("pg_databases").create(f"_api_{uuid.uuid4().hex[:6]}")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@dataclass
class Api:
    backend: str
    server: ApiServer
    db: Database
    keys: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def headers(self, role: str = "admin", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}

    def client(self, role: str | None = "admin", **kw: Any) -> httpx.Client:
        headers = self.headers(role) if role else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kw)

    def stocked_item(self, quantity: int = 0, location: str = "S1") -> str:
        """A new item (unique sku), with `quantity` units received at `location`."""
        sku = ref("SKU")
        catalog.create_item(self.db, Item(sku=sku, name=f"Item {sku}"))
        if quantity:
            apply_movement(self.db, movement("receipt", quantity, sku=sku, location=location))
        return sku


def seed_network(db: Database) -> None:
    for code in ("S1", "S2"):
        catalog.create_location(db, Location(code=code, kind="store", latitude=48.0,
                                                longitude=2.0, can_ship=True, can_pickup=True))
    catalog.create_channel(db, "web", "Web", ["S1", "S2"])


def make_keys(db: Database) -> tuple[dict[str, str], dict[str, str]]:
    made = {role: keys.create_key(db, role=role, location="S1" if role == "store" else None,
                                  name=f"test {role}") for role in ROLES}
    return ({r: k for r, (k, _) in made.items()}, {r: rec.prefix for r, (_, rec) in made.items()})


@pytest.fixture(scope="session", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    url = database(request, request.param, folder)
    db = Database.open(url)
    seed_network(db)
    api_keys, prefixes = make_keys(db)
    server = ApiServer(url, folder / "server.log", workers=2).start()
    try:
        yield Api(request.param, server, db, api_keys, prefixes)
    finally:
        server.stop()
        db.close()


def assert_problem(response: httpx.Response, status: int, code: str,
                   field: str | None = None) -> dict[str, Any]:
    """`response` is an RFC 9457 problem of this status and type, naming `field`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["type"] == f"https://omnistock.dev/problems/{code}", body
    assert body["status"] == status and body["title"] and body["detail"], body
    if field is not None:
        assert body["field"] == field, body
    return body
