"""HTTP API latency and throughput, beside the framework's own limit measured in the same run.

    .venv/bin/python bench/api.py [--backends sqlite,postgresql] [--seconds 2] [--workers 1]

A server started as `omnistock serve` answers GET /v1/availability/{sku} (an item stocked at
8 locations) and POST /v1/reservations from 32 connections kept busy (32 requests in flight);
next to it, a bare FastAPI app served by uvicorn the same way answers a constant GET and a POST
that parses its JSON body into a model and returns a constant: that is the framework's (and
this client's) limit, and our figures are printed as a ratio of it. The client is a minimal HTTP/1.1
keep-alive client on asyncio streams, so that it costs far less than the servers it measures.
(Event latency to SSE and NATS is measured by bench/events.py.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from common import Scratch, report
from omnistock.domain.catalog import Item, Location
from omnistock.domain.movements import MovementRequest, MovementType
from omnistock.services import catalog, keys
from omnistock.services.movements import apply_movement
from omnistock.store.database import Database

CONCURRENCY = 32
HERE = Path(__file__).parent
RESERVATION = {"sku": "HOT", "location": "L00", "quantity": 1, "ttl_seconds": 3600}


# -- the framework's limit: the same FastAPI, served by uvicorn the same way ----------------
class Body(BaseModel):
    sku: str
    location: str
    quantity: int
    ttl_seconds: int


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/bare")
    def constant() -> dict:
        return {"ok": True}

    @app.post("/bare", status_code=201)
    def constant_post(body: Body) -> dict:
        return {"ok": True}

    return app


def serve_bare(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run("api:bare_app", factory=True, app_dir=str(HERE), host="127.0.0.1", port=port,
                workers=workers, log_level="warning", access_log=False)


# -- servers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)  # any answer will do
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- the load: CONCURRENCY connections, each one request at a time ----------------------------
def request_bytes(method: str, path: str, port: int, key: str | None = None,
                  body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if key:
        head.append(f"Authorization: Bearer {key}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


async def _connection(port: int, request: bytes, until: float, latencies: list[float],
                      statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def load(port: int, request: bytes, seconds: float) -> dict:
    async def run() -> tuple[list[float], dict[int, int], float]:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        began = time.perf_counter()
        await asyncio.gather(*(_connection(port, request, began + seconds, latencies, statuses)
                               for _ in range(CONCURRENCY)))
        return latencies, statuses, time.perf_counter() - began

    asyncio.run(_warm(port, request, 0.3))
    latencies, statuses, elapsed = asyncio.run(run())
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50_ms": cuts[49] * 1000,
            "p99_ms": cuts[98] * 1000, "statuses": statuses}


async def _warm(port: int, request: bytes, seconds: float) -> None:
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_connection(port, request, until, [], {}) for _ in range(4)))


# -- the measures ------------------------------------------------------------------------------
def seed(url: str) -> str:
    db = Database.open(url)
    catalog.create_item(db, Item(sku="HOT"))
    for i in range(8):
        catalog.create_location(db, Location(code=f"L{i:02d}", kind="store"))
        apply_movement(db, MovementRequest(
            type=MovementType.RECEIPT, sku="HOT", location=f"L{i:02d}", quantity=10**9,
            occurred_at=db.clock(), source="bench", external_id=f"seed-{i}"))
    key, _ = keys.create_key(db, role="admin", name="bench")
    db.close()
    return key


ROUNDS = 3


def compare(ours: tuple[int, bytes], bare: tuple[int, bytes], seconds: float) -> dict:
    """Alternate short runs of ours and of the bare endpoint, so that both see the same
    machine (shared hosts drift); report the median round of each."""
    rounds = [(load(*ours, seconds), load(*bare, seconds)) for _ in range(ROUNDS)]
    pick = sorted(rounds, key=lambda r: r[0]["rps"] / r[1]["rps"])[ROUNDS // 2]
    return {"ours": pick[0], "bare": pick[1]}


def measure(backend: str, bare_port: int, seconds: float, workers: int) -> dict[str, dict]:
    scratch = Scratch(backend)
    try:
        key = seed(scratch.url)
        port = free_port()
        proc = start([sys.executable, "-m", "omnistock.cli", "serve", "--port",
                      str(port), "--workers", str(workers), "--log-level", "warning"],
                     port, {"OMNISTOCK_DATABASE_URL": scratch.url})
        try:
            get = (port, request_bytes("GET", "/v1/availability/HOT", port, key))
            post = (port, request_bytes("POST", "/v1/reservations", port, key, RESERVATION))
            bare_get = (bare_port, request_bytes("GET", "/bare", bare_port))
            bare_post = (bare_port, request_bytes("POST", "/bare", bare_port, body=RESERVATION))
            return {"GET availability": compare(get, bare_get, seconds),
                    "POST reservation": compare(post, bare_post, seconds)}
        finally:
            stop(proc)
    finally:
        scratch.close()


def row(backend: str, measure: str, ours: dict, bare: dict) -> dict:
    failed = sum(n for status, n in ours["statuses"].items() if status >= 300)
    return {"backend": backend, "measure": measure, "req/s": ours["rps"],
            "p50 ms": ours["p50_ms"], "p99 ms": ours["p99_ms"], "bare req/s": bare["rps"],
            "bare p50 ms": bare["p50_ms"], "ratio": f"{ours['rps'] / bare['rps']:.0%}",
            "non-2xx": failed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.workers)
        return
    bare_port = free_port()
    bare = start([sys.executable, __file__, "--serve-bare", str(bare_port), "--workers",
                  str(args.workers)], bare_port, {})
    rows = []
    try:
        for backend in args.backends.split(","):
            for name, result in measure(backend, bare_port, args.seconds, args.workers).items():
                rows.append(row(backend, name, result["ours"], result["bare"]))
    finally:
        stop(bare)
    report(f"HTTP API: {CONCURRENCY} requests in flight, {args.workers} server process(es); "
           f"median of {ROUNDS} alternating {args.seconds:.0f} s rounds; ratio = omnistock / "
           "bare FastAPI endpoint, same rounds", rows, "api")


if __name__ == "__main__":
    main()
