"""Fixtures of the dashboard's browser tests (imported by tests/e2e/test_dashboard*.py, so that
tests/e2e/conftest.py, the API tests' own, stays theirs).

* `browser_type_launch_args`: Debian's Chromium, headless, never a Playwright download.
* `dashboard`: the demo retailer (small) seeded into a SQLite file, served by the real app
  (`create_app` plus the dashboard routers when the app does not include them yet) in a
  uvicorn thread, with an admin key and a store key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from omnistock.demo.seed import Network, seed
from omnistock.store.database import Database
from omnistock.store.migrate import upgrade

from ..backends import REQUIRED
from ..servers import ServerThread

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (make browser, or apt-get install chromium)"
        if REQUIRED:  # CI: a browser test that cannot run is a failure, not a skip
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--headless"]}


def live_server(db: Database) -> ServerThread:
    """The API app, with the dashboard, served in a thread of this process."""
    from omnistock.api.app import create_app

    return ServerThread(create_app(db))


@dataclass
class Dashboard:
    db: Database
    network: Network
    server: ServerThread
    admin: str
    associate: str

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=20,
                            headers={"Authorization": f"Bearer {key or self.admin}"})

    def url(self, key: str | None = None, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"key": key or self.admin, **params}.items())
        return f"{self.base_url}/?{query}"


def seeded_db(folder: Path, items: int = 150, days: int = 3) -> tuple[Database, Network]:
    db = Database.open(f"sqlite:///{folder / 'dashboard.db'}")
    upgrade(db.engine)
    return db, seed(db, items=items, days=days).network


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    from omnistock.demo.server import make_keys

    db, network = seeded_db(tmp_path_factory.mktemp("dashboard"))
    admin, associate = make_keys(db, network.associate_store)
    with live_server(db) as server:
        yield Dashboard(db, network, server, admin, associate)
    db.close()


def artefact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
