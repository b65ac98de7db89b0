"""Typed domain errors. Each carries structured data; the API maps them to RFC 9457 problems."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every rule violation. `code` becomes the problem type, `field` names the input."""

    code = "domain-error"
    title = "Request violates a rule"
    status = 422

    def __init__(self, detail: str, *, field: str | None = None, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.data = data


class InvalidInput(DomainError):
    code = "invalid-input"
    title = "Invalid input"
    status = 422


class InvalidIdentifier(InvalidInput):
    code = "invalid-identifier"
    title = "Invalid GS1 identifier"


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"
    status = 404


class UnknownReference(InvalidInput):
    """An input names an item, location or channel that does not exist (422, not 404: the
    resource addressed by the request exists, what it refers to does not)."""

    code = "unknown-reference"
    title = "Unknown reference"


class AlreadyExists(DomainError):
    code = "already-exists"
    title = "Already exists"
    status = 409


class InsufficientStock(DomainError):
    code = "insufficient-stock"
    title = "Insufficient stock"
    status = 409

    def __init__(self, detail: str, *, lines: list[dict[str, Any]] | None = None, **data: Any):
        super().__init__(detail, field="quantity", lines=lines or [], **data)


class IdempotencyConflict(DomainError):
    code = "idempotency-conflict"
    title = "Idempotency key reused with a different payload"
    status = 409


class InvalidState(DomainError):
    code = "invalid-state"
    title = "Not allowed in the current state"
    status = 409


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"
    status = 403
