"""Feed import summaries and source mappings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, StringConstraints

from . import CODE_PATTERN, Code, Strict

# A feed's source names a path segment too (/v1/mappings/{source}/...): a code, unlike the
# free-form source of a movement.
FeedSource = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN)]


class Summary(BaseModel):
    source: str
    format: str
    read: int
    applied: int
    duplicates: int
    quarantined: int
    reasons: dict[str, int]
    variance: dict[str, Any]  # counts that moved positions: totals and the largest lines


class MappingIn(Strict):
    source: FeedSource
    kind: Literal["item", "location"]
    code: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    target: Code
