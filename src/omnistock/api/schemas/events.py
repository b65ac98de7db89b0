"""Webhook subscriptions and their deliveries (the event routes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(description="absolute http(s) URL that receives POSTed CloudEvents")
    events: list[str] = Field(description="event type patterns: 'availability.changed', "
                              "'order.*', '*'")
    secret: str = Field(description="16-200 characters; signs each delivery (HMAC-SHA256); "
                        "never returned except masked")


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    secret: str = Field(description="masked: '****' and the last 4 characters")
    created_at: str


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: int
    webhook_id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending, delivered, parked or cancelled")
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    next_after: int | None = Field(description="pass as ?after= for the next page; null at the "
                                   "end")
