"""Transfers: stock moved between locations as a record with lines, an expected date and a
status, over the one ledger writer.

The floors: `view` (how a transfer reads), `write` (what every use case writes), then the use
cases: `records` (request, read, list), `actions` (ship, receive, close, cancel) and `legs`
(an order's endless-aisle leg, kept in step by the order's use cases).
"""

from .actions import cancel, close, receive, ship
from .legs import cancel_leg, open_leg, receive_leg, ship_leg
from .records import STATUS_FILTERS, create_transfer, get_transfer, list_transfers

__all__ = ["STATUS_FILTERS", "cancel", "cancel_leg", "close", "create_transfer",
           "get_transfer", "list_transfers", "open_leg", "receive", "receive_leg", "ship",
           "ship_leg"]
