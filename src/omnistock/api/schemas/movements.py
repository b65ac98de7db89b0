"""Movements, one or a batch, and counts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Discriminator, Field, StrictInt, Tag

from ...domain.movements import MAX_BUCKET, MovementType
from . import (
    MAX_QUANTITY,
    T0,
    Code,
    ExternalId,
    NonZero,
    Positive,
    Reason,
    Reference,
    Source,
    Strict,
    Timestamp,
    example,
    integral,
)


class _MovementFields(Strict):
    sku: Code
    location: Code
    occurred_at: Timestamp
    source: Source
    external_id: ExternalId
    reference: Reference | None = None


class UnsignedMovementIn(_MovementFields):
    model_config = example(type="receipt", sku="SKU-1", location="S1", quantity=12,
                           occurred_at=T0, source="erp", external_id="GRN-1001")
    type: Literal["receipt", "sale", "return", "damage", "write_off", "quality_control_in",
                  "quality_control_out", "transfer_out", "transfer_in", "ship"]
    quantity: Positive
    reason: Reason | None = None


class ExpectedMovementIn(_MovementFields):
    type: Literal["expected"]
    quantity: Positive
    expected_at: Timestamp
    reason: Reason | None = None


class AdjustmentIn(_MovementFields):
    type: Literal["adjustment"]
    quantity: NonZero
    reason: Reason


class SafetyStockIn(_MovementFields):
    type: Literal["safety_stock"]
    quantity: NonZero
    reason: Reason | None = None


MovementIn = Annotated[UnsignedMovementIn | ExpectedMovementIn | AdjustmentIn | SafetyStockIn,
                       Field(discriminator="type")]


class MovementBatchIn(Strict):
    movements: Annotated[list[MovementIn], Field(min_length=1, max_length=5_000)]


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "movements" in value else "single"


MovementsBody = Annotated[
    Annotated[MovementIn, Tag("single")] | Annotated[MovementBatchIn, Tag("batch")],
    Discriminator(_shape)]


class Movement(BaseModel):
    id: int
    type: MovementType
    sku: str
    location: str
    quantity: int
    deltas: dict[str, int]
    occurred_at: datetime
    recorded_at: datetime
    source: str
    external_id: str
    reason: str | None
    reference: str | None
    actor: str | None


class MovementBatch(BaseModel):
    movements: list[Movement]


class CountIn(Strict):
    model_config = example(sku="SKU-1", location="S1", counted_quantity=10, counted_at=T0,
                           source="rfid", external_id="sweep-77")
    sku: Code
    location: Code
    counted_quantity: Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY),
                                BeforeValidator(integral)]
    counted_at: Timestamp
    source: Source
    external_id: ExternalId
    reason: Reason | None = None
    compare_quantity: Annotated[StrictInt, Field(
        ge=-MAX_BUCKET, le=MAX_BUCKET, description="compare-and-set: the on_hand you last "
        "saw (GET /v1/availability); 409 `stale-quantity` and nothing recorded when on_hand "
        "is another quantity now"), BeforeValidator(integral)] | None = None


# Tags pydantic puts in error locations of the unions above; problems.py leaves them out of
# the field paths it reports.
UNION_TAGS = frozenset({"single", "batch", "receipt", "sale", "return", "damage", "write_off",
                        "quality_control_in", "quality_control_out", "transfer_out",
                        "transfer_in", "ship", "expected", "adjustment", "safety_stock"})
