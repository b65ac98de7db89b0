"""Every error leaves the API here, as an RFC 9457 problem (application/problem+json).

Domain errors carry a code, title, offending field and structured data (domain/errors.py);
this module is the one place that gives each code its HTTP status, turns domain errors,
request validation errors and the router's 404/405 into problem documents, and documents
them in the OpenAPI schema.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from ..domain.errors import DomainError
from .schemas.movements import UNION_TAGS

PROBLEM_BASE = "https://omnistock.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("omnistock.api")


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Missing, unknown or revoked API key"


class IdempotencyKeyReused(DomainError):
    code = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class IdempotencyKeyInProgress(DomainError):
    code = "idempotency-key-in-progress"
    title = "A request with this Idempotency-Key has not finished"


STATUSES = {
    "domain-error": 422, "invalid-input": 422, "invalid-identifier": 422,
    "unknown-reference": 422, "not-found": 404, "forbidden": 403, "unauthenticated": 401,
    "already-exists": 409, "insufficient-stock": 409, "idempotency-conflict": 409,
    "invalid-state": 409, "idempotency-key-reused": 409, "idempotency-key-in-progress": 409,
    "stale-quantity": 409}


def status_for(exc: DomainError) -> int:
    """The HTTP status of a domain error's code; a code not in the table is a rule violation
    like any other (422)."""
    return STATUSES.get(exc.code, 422)


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with `field` naming the offending input and extensions."""

    model_config = ConfigDict(extra="allow", title="Problem")
    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(status: int, code: str, title: str, detail: str, *, field: str | None = None,
            headers: dict[str, str] | None = None, **extensions: Any) -> ProblemResponse:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail,
            "field": field, **jsonable_encoder(extensions)}
    return ProblemResponse(body, status_code=status, headers=headers)


def from_domain(exc: DomainError) -> ProblemResponse:
    status = status_for(exc)
    headers = {"WWW-Authenticate": 'Bearer realm="omnistock"'} if status == 401 else None
    if isinstance(exc, IdempotencyKeyInProgress):
        headers = {"Retry-After": "1"}
    data = {k: v for k, v in exc.data.items() if k not in Problem.model_fields}
    return problem(status, exc.code, exc.title, exc.detail, field=exc.field,
                   headers=headers, **data)


def field_path(loc: Sequence[int | str]) -> str:
    """("body", "movements", 0, "receipt", "quantity") -> "movements[0].quantity"."""
    parts = list(loc)
    source = str(parts.pop(0)) if parts and parts[0] in ("body", "query", "path", "header") else ""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in UNION_TAGS:
            path += f".{part}" if path else str(part)
    return path or source or "body"


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    for e in exc.errors():
        loc = tuple(e.get("loc", ()))
        if e.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            loc += (e.get("ctx", {}).get("discriminator", "type").strip("'"),)
        out.append(FieldError(field=field_path(loc), message=str(e.get("msg", "")),
                              type=str(e.get("type", ""))))
    return out


def from_validation(exc: RequestValidationError) -> ProblemResponse:
    malformed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if malformed:
        e = malformed[0]
        where = e.get("loc", ("body", 0))[-1]
        reason = e.get("ctx", {}).get("error", "invalid JSON")
        return problem(400, "malformed-json", "Malformed JSON body",
                       f"the body is not valid JSON: {reason} at character {where}",
                       field="body")
    errors = _field_errors(exc)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem(422, "invalid-input", "Invalid input", detail, field=errors[0].field,
                   errors=[e.model_dump() for e in errors])


_HTTP_CODES = {400: "bad-request", 404: "not-found", 405: "method-not-allowed",
               413: "payload-too-large", 415: "unsupported-media-type"}


def allowed_methods(request: Request) -> str:
    """The documented methods of the path template the request matched (Starlette's own Allow
    names the methods of one route only)."""
    template = getattr(request.scope.get("route"), "path", None)
    documented = request.app.openapi().get("paths", {}).get(template, {})
    return ", ".join(sorted(m.upper() for m in documented))


def from_http(request: Request, exc: HTTPException) -> ProblemResponse:
    if isinstance(exc.__cause__, RecursionError):  # FastAPI's 400 for a body json cannot read
        return problem(422, "invalid-input", "Invalid input",
                       "the JSON body nests deeper than the server reads", field="body")
    code = _HTTP_CODES.get(exc.status_code, f"http-{exc.status_code}")
    title = code.replace("-", " ").capitalize()
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    return problem(exc.status_code, code, title, detail, headers=headers)


def install(app: FastAPI) -> None:
    async def on_domain(_: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, DomainError)
        return from_domain(exc)

    async def on_validation(_: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, RequestValidationError)
        return from_validation(exc)

    async def on_http(request: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, HTTPException)
        return from_http(request, exc)

    async def on_crash(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path,
                      exc_info=exc)
        return problem(500, "internal-error", "Internal server error",
                       "the server failed to handle the request; it has been logged")

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)


_DESCRIPTIONS = {
    400: "Malformed JSON body", 401: "Missing, unknown or revoked API key",
    403: "The key has no right to this action (or not at this location)", 404: "Not found",
    409: "Conflict: insufficient stock, a state that does not allow it, or a reused key",
    422: "Invalid input; `field` (and `errors`) name what", 500: "Internal server error"}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these problem statuses (see `document`)."""
    return {s: {"description": _DESCRIPTIONS[s], "model": Problem} for s in statuses}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx/5xx response is a Problem served as application/problem+json (FastAPI's own
    422 HTTPValidationError is replaced), and every operation lists the problems any route
    can give: 400 and 422 with a body, 422 with parameters, 401 and 403 behind a key."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for op in path.values():
            answers = op.setdefault("responses", {})
            implied = ({"400", "422"} if "requestBody" in op else set()) | (
                {"422"} if op.get("parameters") else set()) | (
                {"401", "403"} if op.get("security") else set())
            for status in implied:
                answers.setdefault(status, {})
            for status, response in answers.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
                    response["description"] = _DESCRIPTIONS.get(
                        int(status), response.get("description") or "Problem")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    if "Problem" not in components:
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem_schema.pop("$defs", {}))
        components["Problem"] = problem_schema
    return schema
