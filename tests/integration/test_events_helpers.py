"""Helpers for the event tests (no tests here): a server in a thread, an SSE client, a webhook
receiver, and waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from omnistock.api.problems import status_for
from omnistock.api.routes.events import router
from omnistock.domain.errors import DomainError
from omnistock.events.config import EventsConfig
from omnistock.store.database import Database

FAST = EventsConfig(poll_interval=0.05, lease_ttl=2.0, gap_timeout=5.0, heartbeat=15.0,
                    webhook_backoff_base=0.05, webhook_max_attempts=4,
                    webhook_poll_interval=0.02, webhook_timeout=2.0)


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def make_app(db: Database, config: EventsConfig = FAST) -> FastAPI:
    """The event routes alone, with a stand-in for the API's problem handler."""
    app = FastAPI()
    app.state.db = db
    app.state.events_config = config
    app.include_router(router)

    @app.exception_handler(DomainError)
    async def problem(_request: Request, e: DomainError) -> JSONResponse:
        status = status_for(e)
        return JSONResponse({"type": e.code, "title": e.title, "status": status,
                             "detail": e.detail, "field": e.field}, status_code=status,
                            media_type="application/problem+json")

    return app


class SSEClient:
    """Reads a stream in a thread of its own; `events` as (id, event, data) as they arrive."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url, self.headers = url, headers or {}
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.comments: list[str] = []
        self.status: int | None = None
        self.body = b""
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete,
                                        args=(self._run(),), daemon=True)

    def __enter__(self) -> SSEClient:
        self._thread.start()
        wait_until(lambda: self.comments or self.body)  # the server fixed the resume point
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(5)

    def ids(self) -> list[int]:
        return [int(i) for i, _, _ in self.events]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[tuple[str, str, dict[str, Any]]]:
        wait_until(lambda: len(self.events) >= n, timeout)
        return list(self.events)

    async def _run(self) -> None:
        self._task = asyncio.current_task()
        with contextlib.suppress(asyncio.CancelledError):
            await self._main()

    async def _main(self) -> None:
        fields: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=None) as client, \
                client.stream("GET", self.url, headers=self.headers) as response:
            self.status = response.status_code
            if response.status_code != 200:
                self.body = await response.aread() or b"-"
                return
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line:
                    key, _, value = line.partition(":")
                    fields[key] = value[1:] if value.startswith(" ") else value
                elif "data" in fields:
                    self.events.append((fields["id"], fields["event"], json.loads(fields["data"])))
                    fields = {}


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records each request and answers `status`, or
    what `status(body)` returns; `accepted` holds the bodies it answered 2xx, in order."""

    def __init__(self, status: int | Callable[[bytes], int] = 200) -> None:
        self.status = status
        self.requests: list[tuple[float, dict[str, str], bytes]] = []
        self.accepted: list[bytes] = []
        outer = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    outer.requests.append((time.monotonic(), dict(self.headers), body))
                    status = outer.status(body) if callable(outer.status) else outer.status
                    if 200 <= status < 300:
                        outer.accepted.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


CHILD = textwrap.dedent("""
    import json, sys, time
    from omnistock.events.config import EventsConfig
    from omnistock.events.background import start_background
    from omnistock.events.nats import NatsSink
    from omnistock.store.database import Database

    url, config, first, log = sys.argv[1], EventsConfig(**json.loads(sys.argv[2])), *sys.argv[3:]

    class LogSink:  # a downstream system that appends the ids it accepted
        name = "log"
        async def publish(self, events):
            with open(log, "a") as f:
                f.write("".join(f"{e.id}\\n" for e in events))
        async def close(self):
            pass

    class Hang:  # the process is killed while this sink is publishing
        name = "hang"
        async def publish(self, events):
            print("publishing", flush=True)
            time.sleep(3600)
        async def close(self):
            pass

    class LogThenHang(LogSink):  # killed after accepting, before its position moves
        async def publish(self, events):
            await LogSink.publish(self, events)
            await Hang().publish(events)

    before = {"none": lambda s, c: [Hang()], "log": lambda s, c: [LogSink(), Hang()],
              "nats": lambda s, c: [NatsSink(s, c), Hang()],
              "log-then-hang": lambda s, c: [LogThenHang()]}[first]
    start_background(Database.open(url), config, sinks=before)
    time.sleep(3600)
""")


def kill_while_publishing(database_url: str, config: EventsConfig, first: str, log) -> None:
    """Run a dispatcher in a child process whose sinks are `first` (none, log, nats) and then
    one that hangs; kill -9 it once it hangs, that is after `first` has published.
    `log-then-hang`: one sink, killed after it accepted the events, before its position
    moved."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, json.dumps(asdict(config)), first, str(log)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "publishing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
