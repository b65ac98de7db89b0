"""Feed adapters: pure parsers from a source's bytes to records (no database).

Each adapter yields `FeedRecord` (to apply) or `Rejected` (to quarantine, with the reason) in
source order; applying them to the ledger, mapping "source" ids and de-duplicating by
`external_id` are the caller's job. `registry.parse(fmt, file)` picks the adapter by name.
"""

from .edifact import parse_edifact
from .epcis import parse_epcis, parse_epcis_document
from .pos import parse_pos
from .records import Feed, FeedRecord, ParseResult, Rejected
from .registry import FORMATS, parse
from .shopify import parse_webhook, verify_hmac
from .snapshot import parse_snapshot

__all__ = [
    "FORMATS",
    "Feed",
    "FeedRecord",
    "ParseResult",
    "Rejected",
    "parse",
    "parse_edifact",
    "parse_epcis",
    "parse_epcis_document",
    "parse_pos",
    "parse_snapshot",
    "parse_webhook",
    "verify_hmac",
]
