"""Returns with their dispositions, and the return rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictInt

from ...domain.return_rules import MAX_PAR_LEVEL, MAX_RULES
from . import (
    T0,
    Code,
    ExternalId,
    Positive,
    Reason,
    Reference,
    Strict,
    Timestamp,
    example,
    integral,
)
from .movements import Movement

ConditionName = Literal["sellable", "damaged", "defective", "open_box"]
ActionName = Literal["restock", "transfer", "damaged", "return_to_vendor", "quality_control"]


class ReturnIn(Strict):
    model_config = example(sku="SKU-1", quantity=1, location="S1", condition="sellable",
                           order_id="O-1001", reason="too small", external_id="till-7:42",
                           occurred_at=T0)
    sku: Code
    quantity: Positive
    location: Code
    condition: ConditionName
    order_id: Code | None = None
    reason: Reference | None = None
    external_id: ExternalId | None = None
    occurred_at: Timestamp | None = None


class Disposition(BaseModel):
    action: ActionName
    location: str
    reason: str
    rule: str
    scope: str


class Return(BaseModel):
    id: str
    sku: str
    quantity: int
    location: str
    condition: ConditionName
    order_id: str | None
    reason: str | None
    external_id: str | None
    before_shipment: bool
    disposition: Disposition
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    movements: list[Movement]


class ReturnList(BaseModel):
    returns: list[Return]


class RuleIn(Strict):
    name: Reason
    condition: ConditionName
    action: ActionName
    when: Annotated[list[Literal["sold_here", "under_target"]], Field(max_length=2)] = []
    to: Code | None = Field(None, description="a transfer's destination: `needed` (the "
                            "selling store furthest below its target, else the nearest DC), "
                            "`dc` (the nearest DC) or a location code")


class ReturnPolicyIn(Strict):
    model_config = example(par_level=1, rules=[
        {"name": "restock_here", "condition": "sellable", "action": "restock",
         "when": ["sold_here", "under_target"]},
        {"name": "to_the_dc", "condition": "sellable", "action": "transfer", "to": "dc"},
        {"name": "damaged", "condition": "damaged", "action": "damaged"},
        {"name": "return_to_vendor", "condition": "defective", "action": "return_to_vendor"},
        {"name": "open_box", "condition": "open_box", "action": "quality_control"}])
    par_level: Annotated[StrictInt, Field(ge=0, le=MAX_PAR_LEVEL),
                         BeforeValidator(integral)] = 1
    rules: Annotated[list[RuleIn], Field(min_length=1, max_length=MAX_RULES)]


class ReturnPolicy(BaseModel):
    par_level: int
    rules: list[dict[str, Any]]


class ReturnRules(BaseModel):
    scope: str = Field(description="`default`, `channel:<code>` or `location:<code>`")
    policy: ReturnPolicy = Field(description="the rules in force for this scope")
    source: str = Field(description="the scope they come from, or `built-in`")
    stored: dict[str, Any] | None = Field(description="this scope's own rules, if any")
    updated_at: datetime | None
