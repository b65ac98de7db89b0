"""Typed domain errors. Each carries a code and structured data; the API maps codes to HTTP
statuses and renders RFC 9457 problems (api/problems.py)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every rule violation. `code` becomes the problem type, `field` names the input."""

    code = "domain-error"
    title = "Request violates a rule"

    def __init__(self, detail: str, *, field: str | None = None, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.data = data


class InvalidInput(DomainError):
    code = "invalid-input"
    title = "Invalid input"


class InvalidIdentifier(InvalidInput):
    code = "invalid-identifier"
    title = "Invalid GS1 identifier"


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"


class UnknownReference(InvalidInput):
    """An input names an item, location or channel that does not exist: not `not-found`,
    since the resource addressed by the request exists, what it refers to does not."""

    code = "unknown-reference"
    title = "Unknown reference"


class AlreadyExists(DomainError):
    code = "already-exists"
    title = "Already exists"


class InsufficientStock(DomainError):
    code = "insufficient-stock"
    title = "Insufficient stock"

    def __init__(self, detail: str, *, lines: list[dict[str, Any]] | None = None, **data: Any):
        super().__init__(detail, field="quantity", lines=lines or [], **data)


class IdempotencyConflict(DomainError):
    code = "idempotency-conflict"
    title = "Idempotency key reused with a different payload"


class InvalidState(DomainError):
    code = "invalid-state"
    title = "Not allowed in the current state"


class StaleQuantity(DomainError):
    """A compare-and-set write found another quantity than the one its caller last saw."""

    code = "stale-quantity"
    title = "The quantity is not the one the caller last saw"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"
