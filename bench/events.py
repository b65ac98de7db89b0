"""Event latency: from a commit to an SSE client and to a NATS JetStream consumer, beside the
layers beneath (nats-py publish -> consume on its own; sse-starlette streaming from a queue).

    .venv/bin/python bench/events.py [--events 300] [--backends sqlite,postgresql]

The API (omnistock.api.app.create_app, or the event routes alone when it is missing) runs in
uvicorn in a thread of this process, with the dispatcher (start_background) beside it.
"same process": changes committed through the server's Store, as API writes are, so readers
are woken at commit. "other process": the same changes through a second engine, which wakes
nothing here, so they are found by polling the outbox (every 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.servers

import httpx
import nats
from fastapi import FastAPI
from sse_starlette import EventSourceResponse, ServerSentEvent
from tests.servers import ServerThread

from common import Scratch, console, report
from omnistock.domain.catalog import Item, Location
from omnistock.domain.movements import MovementRequest, MovementType
from omnistock.events.background import start_background
from omnistock.events.config import EventsConfig
from omnistock.services import catalog
from omnistock.services.movements import apply_movement
from omnistock.settings import get_settings
from omnistock.store.database import Database

NATS_URL = "nats://127.0.0.1:4222"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark stalled")
        time.sleep(0.005)


class Receiver:
    """Runs `consume(record)` on an event loop in its own thread; record(key) stamps arrival."""

    def __init__(self, consume: Callable[[Callable[[int], None]], Any]) -> None:
        self.arrived: dict[int, float] = {}
        self.ready = threading.Event()
        self._consume = consume
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[Any] | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete,
                                        args=(self._run(),), daemon=True)

    def record(self, key: int) -> None:
        self.arrived.setdefault(key, time.perf_counter())

    async def _run(self) -> None:
        self._task = asyncio.current_task()
        with contextlib.suppress(asyncio.CancelledError):
            await self._consume(self)

    def __enter__(self) -> Receiver:
        self._thread.start()
        if not self.ready.wait(10):
            raise TimeoutError("consumer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(5)


def sse_consumer(url: str, headers: dict[str, str], key: Callable[[dict], int]):
    async def consume(rx: Receiver) -> None:
        async with httpx.AsyncClient(timeout=None) as client, \
                client.stream("GET", url, headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    rx.ready.set()
                elif line.startswith("data:"):
                    rx.record(key(json.loads(line[5:])))
    return consume


def nats_consumer(subject: str, stream: str):
    """A JetStream (ordered, push) consumer of the stream."""
    async def consume(rx: Receiver) -> None:
        nc = await nats.connect(NATS_URL)

        async def on_msg(msg) -> None:
            rx.record(json.loads(msg.data)["data"]["on_hand"])

        sub = await nc.jetstream().subscribe(subject, stream=stream, cb=on_msg,
                                             ordered_consumer=True)
        await nc.flush()
        rx.ready.set()
        try:
            await asyncio.Event().wait()
        finally:
            await sub.unsubscribe()
            await nc.close()
    return consume


def make_app(db: Database) -> tuple[FastAPI, dict[str, str], str]:
    try:
        from omnistock.api.app import create_app
        from omnistock.services.keys import create_key
    except ImportError:
        from omnistock.api.routes.events import router
        app = FastAPI()
        app.state.db = db
        app.include_router(router)
        return app, {}, "event routes alone"
    key, _ = create_key(db, role="viewer", name="bench")
    return (create_app(db, background=[]), {"Authorization": f"Bearer {key}"},
            "omnistock API (create_app, with auth)")


def commits(writer: Database, n: int, start: int, interval: float) -> dict[int, float]:
    """n receipts of 1 unit: on_hand after the i-th is start + i, which keys the arrivals."""
    done = {}
    for i in range(1, n + 1):
        apply_movement(writer, MovementRequest(
            type=MovementType.RECEIPT, sku="HOT", location="L1", quantity=1, occurred_at=T0,
            source="bench", external_id=uuid.uuid4().hex))
        done[start + i] = time.perf_counter()
        time.sleep(interval)
    return done


def latencies(sent: dict[int, float], rx: Receiver) -> list[float]:
    wait_until(lambda: all(k in rx.arrived for k in sent))
    return [(rx.arrived[k] - t) * 1000 for k, t in sent.items()]


def measure_omnistock(backend: str, n: int, use_nats: bool) -> dict[str, list[float]]:
    scratch = Scratch(backend)
    db, other = Database.open(scratch.url), Database.open(scratch.url)
    catalog.create_item(db, Item(sku="HOT"))
    catalog.create_location(db, Location(code="L1", kind="store"))
    tag = uuid.uuid4().hex[:8]
    config = replace(EventsConfig.from_settings(get_settings()),
                     nats_url=NATS_URL if use_nats else None, nats_stream=f"BENCH_{tag}",
                     nats_subject_prefix=f"bench_{tag}")
    app, headers, label = make_app(db)
    console.print(f"[dim]{backend}: server = {label}[/]")
    background = start_background(db, config)
    out: dict[str, list[float]] = {}
    try:
        with ServerThread(app) as server, \
                Receiver(sse_consumer(server.url + "/v1/events", headers,
                                      lambda ce: ce["data"]["on_hand"])) as sse:
            commits(db, 20, 0, 0.005)  # warm up (the dispatcher creates the stream)
            wait_until(lambda: all(k in sse.arrived for k in range(1, 21)))
            nats_rx = Receiver(nats_consumer(f"bench_{tag}.>", config.nats_stream)) \
                if use_nats else None
            with nats_rx or contextlib.nullcontext():
                for name, writer, count, start in (("same process", db, n, 20),
                                                   ("other process", other, n // 3, 20 + n)):
                    sent = commits(writer, count, start, 0.005 if writer is db else 0.02)
                    out[f"SSE, {name}"] = latencies(sent, sse)
                    if nats_rx is not None:
                        out[f"NATS, {name}"] = latencies(sent, nats_rx)
    finally:
        background.stop()
        db.close()
        other.close()
        scratch.close()
        if use_nats:
            asyncio.run(drop_stream(config.nats_stream))
    return out


async def drop_stream(name: str) -> None:
    nc = await nats.connect(NATS_URL)
    with contextlib.suppress(Exception):
        await nc.jetstream().delete_stream(name)
    await nc.close()


def measure_raw_nats(n: int) -> list[float]:
    """nats-py alone: a JetStream publish (ack awaited) to a consumer on another loop."""
    tag = uuid.uuid4().hex[:8]
    subject, stream = f"raw_{tag}.x", f"RAW_{tag}"

    async def setup() -> None:
        nc = await nats.connect(NATS_URL)
        await nc.jetstream().add_stream(name=stream, subjects=[f"raw_{tag}.>"])
        await nc.close()

    async def publish(sent: dict[int, float]) -> None:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        for i in range(1, n + 1):
            sent[i] = time.perf_counter()
            await js.publish(subject, json.dumps({"data": {"on_hand": i}}).encode())
            await asyncio.sleep(0.005)
        await nc.close()

    asyncio.run(setup())
    sent: dict[int, float] = {}
    try:
        with Receiver(nats_consumer(subject, stream)) as rx:
            asyncio.run(publish(sent))
            return latencies(sent, rx)
    finally:
        asyncio.run(drop_stream(stream))


def measure_raw_sse(n: int) -> list[float]:
    """uvicorn + sse-starlette + httpx alone: events handed to the server's loop from another
    thread, as a commit wakes it, and streamed from a queue."""
    app = FastAPI()
    queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[int]]] = []

    @app.get("/raw")
    async def raw() -> EventSourceResponse:
        queue: asyncio.Queue[int] = asyncio.Queue()
        queues.append((asyncio.get_running_loop(), queue))

        async def gen():
            yield ServerSentEvent(comment="ready")
            while True:
                i = await queue.get()
                yield ServerSentEvent(json.dumps({"data": {"on_hand": i}}), id=str(i))

        return EventSourceResponse(gen())

    sent: dict[int, float] = {}
    with ServerThread(app) as server, \
            Receiver(sse_consumer(server.url + "/raw", {}, lambda d: d["data"]["on_hand"])) as rx:
        loop, queue = queues[0]
        for i in range(1, n + 1):
            sent[i] = time.perf_counter()
            loop.call_soon_threadsafe(queue.put_nowait, i)
            time.sleep(0.005)
        return latencies(sent, rx)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    use_nats = reachable("127.0.0.1", 4222)
    floors = {"SSE": measure_raw_sse(args.events)}
    if use_nats:
        floors["NATS"] = measure_raw_nats(args.events)
    rows = [{"measure": f"{k} floor ({'nats-py' if k == 'NATS' else 'sse-starlette'} alone)",
             "backend": "-", "events": len(v), "p50 ms": pct(v, 50), "p99 ms": pct(v, 99),
             "p50 x floor": 1.0} for k, v in floors.items()]
    for backend in args.backends.split(","):
        for name, values in measure_omnistock(backend, args.events, use_nats).items():
            floor = statistics.median(floors[name.split(",")[0]])
            rows.append({"measure": name, "backend": backend, "events": len(values),
                         "p50 ms": pct(values, 50), "p99 ms": pct(values, 99),
                         "p50 x floor": statistics.median(values) / floor})
    report("Event latency: commit -> SSE client / NATS consumer", rows, "events")


if __name__ == "__main__":
    main()
