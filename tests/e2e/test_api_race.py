"""Invariant 2 through HTTP: 200 concurrent reservations for 100 units of one hot SKU, against
the two-process server. Exactly 100 win; every loser is a 409 insufficient-stock problem."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from omnistock.services.verify import verify

from .conftest import Api, assert_problem

pytestmark = [pytest.mark.xdist_group("api-server"), pytest.mark.slow]

UNITS, REQUESTS = 100, 200


async def _race(api: Api, sku: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=api.base_url, headers=api.headers("integration"),
                                 limits=limits, timeout=60) as client:
        body = {"sku": sku, "location": "S1", "quantity": 1, "ttl_seconds": 600}
        return list(await asyncio.gather(
            *(client.post("/v1/reservations", json=body) for _ in range(REQUESTS))))


def test_hot_sku_race_through_http_never_oversells(api: Api):
    sku = api.stocked_item(UNITS)
    answers = asyncio.run(_race(api, sku))
    won = [r for r in answers if r.status_code == 201]
    lost = [r for r in answers if r.status_code != 201]
    assert len(won) == UNITS, sorted({r.status_code for r in answers})
    assert len({r.json()["id"] for r in won}) == UNITS
    for r in lost:
        assert_problem(r, 409, "insufficient-stock", "quantity")
    with api.client("viewer") as c:
        position = c.get(f"/v1/availability/{sku}").json()["locations"][0]
    assert (position["reserved"], position["available"]) == (UNITS, 0)
    assert verify(api.db) == []
