"""Invariant 5: every acknowledged (2xx) write survives a kill -9 of the server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..factories import ref
from .conftest import ApiServer, database, make_keys, seed_network

pytestmark = [pytest.mark.xdist_group("api-server"), pytest.mark.slow]

WRITERS = 6


def _write_until_stopped(base_url: str, key: str, sku: str, stop: threading.Event,
                         acked: list[dict], reserved: list[str]) -> None:
    """Alternate receipts and reservations; remember what the server acknowledged."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"},
                      timeout=5) as c:
        while not stop.is_set():
            body = {"type": "receipt", "sku": sku, "location": "S1", "quantity": 2,
                    "occurred_at": "2026-11-01T09:00:00Z", "source": "crash",
                    "external_id": ref("m")}
            try:
                if c.post("/v1/movements", json=body).status_code == 201:
                    acked.append(body)
                r = c.post("/v1/reservations", json={"sku": sku, "location": "S1",
                                                     "quantity": 1, "ttl_seconds": 3600})
                if r.status_code == 201:
                    reserved.append(r.json()["id"])
            except httpx.HTTPError:
                return  # the server is gone


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_acknowledged_writes_survive_kill_9(request: pytest.FixtureRequest, tmp_path: Path,
                                            backend: str):
    url = database(request, backend, tmp_path)
    db = Database.open(url)
    seed_network(db)
    key = make_keys(db)[0]["integration"]
    server = ApiServer(url, tmp_path / "server.log").start()
    with httpx.Client(base_url=server.base_url,
                      headers={"Authorization": f"Bearer {key}"}) as c:
        sku = ref("CRASH")
        assert c.post("/v1/items", json={"sku": sku}).status_code == 201
    stop = threading.Event()
    acked: list[dict] = []
    reserved: list[str] = []
    writers = [threading.Thread(target=_write_until_stopped,
                                args=(server.base_url, key, sku, stop, acked, reserved))
               for _ in range(WRITERS)]
    try:
        for w in writers:
            w.start()
        # Kill once enough writes are acknowledged (a loaded machine gets there later).
        deadline = time.monotonic() + 30
        while (len(acked) <= 20 or not reserved) and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill9()  # mid-stream: requests are in flight
        stop.set()
        for w in writers:
            w.join(10)
        assert len(acked) > 20 and reserved, (len(acked), len(reserved))
        server = ApiServer(url, tmp_path / "server.log").start()
        with httpx.Client(base_url=server.base_url,
                          headers={"Authorization": f"Bearer {key}"}) as c:
            for body in acked:  # present: a replay is 200, not a new 201
                r = c.post("/v1/movements", json=body)
                assert r.status_code == 200, (body["external_id"], r.status_code, r.text)
            for rid in reserved:
                r = c.get(f"/v1/reservations/{rid}")
                assert r.status_code == 200 and r.json()["status"] == "active", rid
            position = c.get(f"/v1/availability/{sku}").json()["locations"][0]
        assert position["on_hand"] >= 2 * len(acked)
        assert position["reserved"] >= len(reserved)
        assert verify(db) == []
    finally:
        stop.set()
        server.stop()
        db.close()
