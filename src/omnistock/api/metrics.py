"""Request latency: the ASGI middleware that observes `omnistock_http_request_duration_seconds`."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..metrics import REQUEST_LATENCY


class RequestTimer:
    """ASGI middleware: latency by route template (not raw path), method and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUEST_LATENCY.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - start)
