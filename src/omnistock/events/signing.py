"""Webhook signatures (the receiver's side of the contract).

Each POST carries
    X-Omnistock-Event-Id:   the CloudEvent id (the outbox id); deliveries may repeat, dedupe on it
    X-Omnistock-Timestamp:  Unix seconds when this attempt was signed
    X-Omnistock-Signature:  t=<timestamp>,v1=<hex>
where <hex> = HMAC-SHA256(key = the webhook's secret, message = "<timestamp>." + raw body).
Signing the timestamp lets a receiver refuse replays: recompute, compare in constant time, and
reject a timestamp older than a few minutes. `verify` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, tolerance: float = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
