"""Feed import summaries and source mappings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

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
    note: str | None = None  # why a delivery applied may have read no record


class MappingIn(Strict):
    source: FeedSource
    kind: Literal["item", "location"]
    code: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    target: Code


Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Value = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SourceSettingsIn(Strict):
    """How the source writes its files (see docs/feeds.md)."""

    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    columns: dict[Annotated[str, StringConstraints(max_length=32)], Column] = Field(
        default_factory=dict, max_length=16)
    types: dict[Value, Literal["sale", "return"]] = Field(default_factory=dict, max_length=32)
    date_format: Annotated[str, StringConstraints(min_length=2, max_length=40)] | None = None


class RetryIn(Strict):
    """Which quarantined records to apply again: all that parsed, a source's, or some rows."""

    source: FeedSource | None = None
    ids: list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]] | None = Field(
        None, min_length=1, max_length=10_000)
