"""The event routes' bodies, now in omnistock.api.schemas.events; kept until events/routes.py
imports them from there."""

from ..api.schemas.events import DeliveryList, DeliveryOut, WebhookIn, WebhookList, WebhookOut

__all__ = ["DeliveryList", "DeliveryOut", "WebhookIn", "WebhookList", "WebhookOut"]
