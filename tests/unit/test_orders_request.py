"""An order request is checked field by field before anything is read."""

from __future__ import annotations

import pytest

from omnistock.domain.errors import InvalidInput
from omnistock.services.orders import OrderRequest

LINES = [{"sku": "A", "quantity": 2}]


def test_a_valid_request_and_its_idempotency_payload():
    r = OrderRequest.parse("O-1", "web", [*LINES, {"sku": "A", "quantity": 1}],
                           {"method": "ship", "latitude": 45, "longitude": 4.5})
    assert r.skus == ["A"]
    assert r.payload() == {"channel": "web",
                           "delivery": {"method": "ship", "latitude": 45.0, "longitude": 4.5},
                           "lines": [["A", 2], ["A", 1]]}
    pickup = OrderRequest.parse("O-1", "web", LINES, {"method": "curbside", "location": "S1"})
    assert pickup.delivery_dict() == {"method": "curbside", "location": "S1"}


@pytest.mark.parametrize(("args", "field"), [
    (("", "web", LINES, {"method": "pickup", "location": "S1"}), "order_id"),
    (("a/b", "web", LINES, {"method": "pickup", "location": "S1"}), "order_id"),
    (("O", None, LINES, {"method": "pickup", "location": "S1"}), "channel"),
    (("O", "web", "A", {"method": "pickup", "location": "S1"}), "lines"),
    (("O", "web", [3], {"method": "pickup", "location": "S1"}), "lines[0]"),
    (("O", "web", [{"sku": "A", "quantity": True}], {"method": "pickup", "location": "S1"}),
     "lines[0].quantity"),
    (("O", "web", LINES, None), "delivery"),
    (("O", "web", LINES, {"method": "pickup"}), "delivery.location"),
    (("O", "web", LINES, {"method": "ship", "latitude": 1, "longitude": 200}),
     "delivery.longitude"),
    (("O", "web", LINES, {"method": "ship", "latitude": 1, "longitude": 2, "location": "S1"}),
     "delivery.location"),
])
def test_a_bad_request_names_its_field(args, field):
    with pytest.raises(InvalidInput) as bad:
        OrderRequest.parse(*args)
    assert bad.value.field == field
