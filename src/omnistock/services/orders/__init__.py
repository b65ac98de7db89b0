"""Orders: placing them with explained sourcing, acting on their fulfillments, waves of them.

The floors, from the bottom: `request` and `view` (pure shapes), `network` (what sourcing may
use), `policy`, `write` (what every order use case writes, through the ledger writer), then the
use cases: `place` (place, cancel, re-source on no-show), `fulfillment` (pick, ship, short...)
and `waves` (a backlog planned and placed together).
"""

from .fulfillment import act
from .place import (
    cancel_order,
    expire_no_shows,
    get_order,
    list_orders,
    location_work,
    place_order,
)
from .policy import get_policy, set_policy
from .request import OrderRequest
from .view import ORDER_STATUSES
from .waves import apply_wave, plan_waves, read_backlog

__all__ = ["ORDER_STATUSES", "OrderRequest", "act", "apply_wave", "cancel_order",
           "expire_no_shows", "get_order", "get_policy", "list_orders", "location_work",
           "place_order", "plan_waves", "read_backlog", "set_policy"]
