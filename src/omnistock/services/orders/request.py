"""An order as received: checked field by field before anything is read or written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...domain.errors import InvalidInput
from ...domain.geo import validate_point
from ...domain.sourcing.inputs import (
    Delivery,
    DeliveryMethod,
    OrderLine,
    SourcingOrder,
    order_quantities,
)

MAX_LINES = 500


def _identifier(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise InvalidInput(f"{field} must be 1 to 64 characters", field=field)
    if any(c.isspace() or ord(c) < 32 for c in value) or "/" in value:
        raise InvalidInput(f"{field} must not contain spaces, control characters or '/'",
                           field=field)
    return value


def parse_lines(lines: Any) -> tuple[OrderLine, ...]:
    if not isinstance(lines, list | tuple) or not lines:
        raise InvalidInput("an order needs at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"an order has at most {MAX_LINES} lines", field="lines")
    parsed = []
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise InvalidInput("a line is {sku, quantity}", field=f"lines[{i}]")
        parsed.append(OrderLine(_identifier(line.get("sku"), f"lines[{i}].sku"),
                                line.get("quantity")))  # type: ignore[arg-type]
    return tuple(parsed)


def parse_delivery(data: Any) -> Delivery:
    if not isinstance(data, Mapping):
        raise InvalidInput("delivery must be an object", field="delivery")
    try:
        method = DeliveryMethod(str(data.get("method")))
    except ValueError:
        raise InvalidInput("delivery.method must be ship, pickup or curbside",
                           field="delivery.method") from None
    if method is DeliveryMethod.SHIP:
        validate_point(data.get("latitude"), data.get("longitude"), "delivery.")
        if data.get("location") is not None:
            raise InvalidInput("a ship delivery goes to latitude/longitude, not a location",
                               field="delivery.location")
        return Delivery(method, float(data["latitude"]), float(data["longitude"]))
    location = _identifier(data.get("location"), "delivery.location")
    return Delivery(method, location=location)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    order_id: str
    channel: str
    lines: tuple[OrderLine, ...]
    delivery: Delivery

    @classmethod
    def parse(cls, order_id: Any, channel: Any, lines: Any, delivery: Any) -> OrderRequest:
        request = cls(_identifier(order_id, "order_id"), _identifier(channel, "channel"),
                      parse_lines(lines), parse_delivery(delivery))
        order_quantities(request.sourcing())  # quantities: positive integers, named by line
        return request

    @property
    def method(self) -> DeliveryMethod:
        return DeliveryMethod(self.delivery.method)

    @property
    def skus(self) -> list[str]:
        return list(dict.fromkeys(line.sku for line in self.lines))

    def delivery_dict(self) -> dict[str, Any]:
        if self.method is DeliveryMethod.SHIP:
            return {"method": self.method.value, "latitude": self.delivery.latitude,
                    "longitude": self.delivery.longitude}
        return {"method": self.method.value, "location": self.delivery.location}

    def payload(self) -> dict[str, Any]:
        """What makes two requests with one order_id the same order (the idempotency hash)."""
        return {"channel": self.channel, "delivery": self.delivery_dict(),
                "lines": [[line.sku, line.quantity] for line in self.lines]}

    def sourcing(self) -> SourcingOrder:
        return SourcingOrder(self.order_id, self.lines, self.delivery)
