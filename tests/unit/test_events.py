"""Pure parts of the event machinery: CloudEvents, patterns, signatures, backoff, high water."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from omnistock.domain.errors import InvalidInput
from omnistock.events.cloudevents import Event, matches, validate_patterns
from omnistock.events.config import EventsConfig
from omnistock.events.deliveries import backoff
from omnistock.events.highwater import HighWater
from omnistock.events.signing import sign, verify
from omnistock.events.sse import Filter, resume_point
from omnistock.events.webhooks import mask

T = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
ROW = {"id": 42, "type": "availability.changed", "subject": "SKU-1", "occurred_at": T,
       "created_at": T, "data": {"sku": "SKU-1", "available": 3}}


def test_outbox_row_as_cloudevent():
    event = Event.from_row(ROW, EventsConfig(source="shop-eu"))
    assert json.loads(event.body) == {
        "specversion": "1.0", "id": "42", "source": "shop-eu",
        "type": "dev.omnistock.availability.changed", "subject": "SKU-1",
        "time": "2026-11-01T09:30:00Z", "datacontenttype": "application/json",
        "data": {"sku": "SKU-1", "available": 3}}
    assert (event.id, event.type, event.subject) == (42, "availability.changed", "SKU-1")


@pytest.mark.parametrize(("type_", "patterns", "expected"), [
    ("availability.changed", ["availability.changed"], True),
    ("availability.changed", ["order.*"], False),
    ("order.fulfillment.shipped", ["order.*"], True),
    ("order.created", ["availability.*", "*"], True),
    ("availability.changed", ["availability"], False),
])
def test_type_patterns(type_, patterns, expected):
    assert matches(type_, patterns) is expected


@pytest.mark.parametrize(("patterns", "field"), [
    ([], "events"), ("order.*", "events"), (["ok.*", "Bad"], "events[1]"),
    (["a..b"], "events[0]"), ([3], "events[0]"),
])
def test_invalid_patterns_name_the_field(patterns, field):
    with pytest.raises(InvalidInput) as e:
        validate_patterns(patterns, "events")
    assert e.value.field == field


def test_signature_binds_secret_body_and_timestamp():
    body = b'{"id":"1"}'
    header = sign("s" * 20, 1_800_000_000, body)
    assert header.startswith("t=1800000000,v1=")
    assert verify("s" * 20, body, header, now=1_800_000_010)
    assert not verify("s" * 20, body + b" ", header, now=1_800_000_010)
    assert not verify("x" * 20, body, header, now=1_800_000_010)
    assert not verify("s" * 20, body, header, now=1_800_000_000 + 301)  # replayed later
    forged = header.replace("t=1800000000", "t=1800000300")  # fresh time, old signature
    assert not verify("s" * 20, body, forged, now=1_800_000_300)
    assert not verify("s" * 20, body, "garbage", now=1_800_000_000)


def test_backoff_doubles_up_to_the_cap():
    config = EventsConfig(webhook_backoff_base=1.0, webhook_backoff_cap=30.0)
    assert [backoff(n, config) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def rows(*ids: int) -> list[dict]:
    return [{"id": i} for i in ids]


def released(hw: HighWater, ids: tuple[int, ...], token: str | None = "snap",
             now: float = 0.0) -> list[int]:
    return [r["id"] for r in hw.advance(rows(*ids), token, now)]


def test_in_order_backend_releases_across_holes():
    hw = HighWater(0, in_order=True, timeout=5)
    assert released(hw, (1, 2, 5, 6), token=None) == [1, 2, 5, 6]
    assert hw.cursor == 6


def test_hole_holds_back_later_rows_until_it_fills():
    hw = HighWater(0, in_order=False, timeout=5)
    assert released(hw, (1, 2, 4, 5)) == [1, 2]
    assert hw.pending_token() == "snap"
    assert released(hw, (4, 5), now=1) == []  # 3 still in flight
    assert released(hw, (3, 4, 5), now=2) == [3, 4, 5]  # it committed
    assert hw.hole is None and hw.cursor == 5


def test_settled_hole_is_passed_but_only_up_to_the_rows_it_covered():
    hw = HighWater(0, in_order=False, timeout=5)
    assert released(hw, (1, 3, 4), token="s1") == [1]
    hw.settle()  # every transaction in flight at s1 has ended: 2 rolled back
    assert released(hw, (3, 4, 6, 7), token="s2", now=1) == [3, 4]
    assert hw.pending_token() == "s2"  # 5 was drawn after s1: a new wait
    assert released(hw, (6, 7), token="s3", now=2) == []
    hw.settle()
    assert released(hw, (6, 7), token="s4", now=3) == [6, 7]


def test_hole_is_passed_after_the_timeout():
    hw = HighWater(0, in_order=False, timeout=5)
    assert released(hw, (2,), now=0) == []
    assert released(hw, (2,), now=4.9) == []
    assert released(hw, (2,), now=5.0) == [2]


def test_stream_filter_and_resume_point():
    event = Event.from_row(ROW, EventsConfig())
    assert Filter.parse("order.*, availability.changed", None)(event)
    assert not Filter.parse("order.*", None)(event)
    assert not Filter.parse(None, "SKU-2")(event)
    assert Filter.parse(None, "SKU-1")(replace(event))
    assert resume_point("17", 3) == 17 and resume_point(None, 3) == 3
    assert resume_point(" ", None) is None
    for bad in ("x", "-1"):
        with pytest.raises(InvalidInput):
            resume_point(bad, None)


def test_secrets_are_masked():
    assert mask("whsec_0123456789abcdef") == "****cdef"
