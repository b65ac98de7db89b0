"""Helpers every use case shares: payload digests for idempotency and ISO 8601 times."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..domain.isotime import iso

__all__ = ["iso", "payload_hash"]


def payload_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
