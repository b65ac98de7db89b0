"""The Idempotency-Key header of POST requests (services/idempotency.py keeps the responses).

The first 2xx response to a key is remembered per API key, with a hash of the request
(method, path, JSON body). A retry of the same request gets that body back with status 200
and `Idempotent-Replayed: true` (as an identical movement replay does); the key with another
request is refused (409 idempotency-key-reused); while the first is still running, a retry is
refused (409 idempotency-key-in-progress, Retry-After). Errors are not remembered: a refused
request changed nothing and may be retried as is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from ..services import idempotency
from ..store.database import Database
from .auth import Principal
from .problems import IdempotencyKeyInProgress, IdempotencyKeyReused

KeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="Makes a retried POST safe: the first response is replayed (200) "
                "instead of acting twice")]


def replayed(model: Any) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of a replay's 200."""
    return {200: {"model": model, "description": "A replay: the first answer again (same "
                  "Idempotency-Key and request; for movements, same (source, external_id) "
                  "and payload)"}}


@dataclass(frozen=True, slots=True)
class Idempotent:
    db: Database
    key: str | None
    actor: str
    request_hash: str

    def respond(self, work: Callable[[], tuple[int, Any]]) -> Response:
        """Run `work` (-> status, JSON-able body) at most once per key."""
        if self.key is None:
            return json_response(*work())
        seen = idempotency.claim(self.db, self.key, self.actor, self.request_hash)
        if seen is not None:
            return self._replay(seen)
        try:
            status, body = work()
        except BaseException:
            idempotency.abandon(self.db, self.key, self.actor)
            raise
        response = json_response(status, body)
        idempotency.complete(self.db, self.key, self.actor, status,
                             bytes(response.body).decode())
        return response

    def _replay(self, seen: idempotency.Remembered) -> Response:
        if seen.request_hash != self.request_hash:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {self.key!r} was used for a different request",
                field="Idempotency-Key")
        if seen.pending:
            raise IdempotencyKeyInProgress(
                f"a request with Idempotency-Key {self.key!r} is still running (or its "
                "outcome is unknown); retry later", field="Idempotency-Key")
        return Response(seen.body, status_code=200, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"})


def json_response(status: int, body: Any) -> Response:
    """`body` as JSON, not validated again: for hot paths whose services return exactly the
    documented shape (the schemathesis run checks they do)."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False,
                         default=_plain).encode()
    return Response(content, status_code=status, media_type="application/json")


def _plain(value: Any) -> Any:
    """What json cannot write: Decimal (PostgreSQL sums), datetimes, enums."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return jsonable_encoder(value)


async def _request_hash(request: Request) -> str:
    raw = await request.body()
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    head = f"{request.method} {request.url.path}\n".encode()
    return hashlib.sha256(head + canonical).hexdigest()


def idempotent_for(principal_dep: Callable[..., Any]) -> Callable[..., Any]:
    """A dependency giving the route its `Idempotent`, for a principal from `principal_dep`."""

    async def dependency(request: Request, key: KeyHeader = None,
                         principal: Principal = Depends(principal_dep)) -> Idempotent:
        digest = await _request_hash(request) if key is not None else ""
        return Idempotent(request.app.state.db, key, principal.prefix, digest)

    return dependency
