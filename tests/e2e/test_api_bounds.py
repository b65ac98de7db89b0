"""Bounds on time and on numbers through the HTTP API, on SQLite and PostgreSQL: a fact dated
outside the window or a number out of range is a 422 problem naming the field (never a 500),
and a pushed feed quarantines such records and applies the rest."""

from __future__ import annotations

from typing import Any

import pytest

from omnistock.services.verify import verify

from ..factories import ref
from .conftest import Api, assert_problem
from .test_api_contract import ledger_of, receipt

pytestmark = pytest.mark.xdist_group("api-server")

T = "2026-11-01T09:00:00Z"
FAR, EARLY, EARLY_AHEAD = "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", \
    "0001-01-01T00:00:00+01:00"


def count(sku: str, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "location": "S1", "counted_quantity": 3, "counted_at": T,
            "source": "rfid", "external_id": ref("c"), **kw}


def _out_of_bounds(sku: str) -> list[tuple[str, str, Any, str]]:
    good = receipt(sku)
    cases: list[tuple[str, str, Any, str]] = []
    for at in (FAR, EARLY, EARLY_AHEAD):
        cases += [
            ("/v1/movements", f"occurred_at {at}", receipt(sku, occurred_at=at), "occurred_at"),
            ("/v1/movements", f"occurred_at {at} in a batch",
             {"movements": [good, receipt(sku, occurred_at=at)]}, "movements[1].occurred_at"),
            ("/v1/counts", f"counted_at {at}", count(sku, counted_at=at), "counted_at"),
            ("/v1/movements", f"expected_at {at}",
             receipt(sku, type="expected", expected_at=at), "expected_at"),
        ]
    for q in (2**40, 2**62, 2**63, 10**20):
        cases += [
            ("/v1/movements", f"quantity {q}", receipt(sku, quantity=q), "quantity"),
            ("/v1/movements", f"return of {q}", receipt(sku, type="return", quantity=q),
             "quantity"),
            ("/v1/movements", f"adjustment of -{q}",
             receipt(sku, type="adjustment", quantity=-q, reason="audit"), "quantity"),
            ("/v1/counts", f"count of {q}", count(sku, counted_quantity=q), "counted_quantity"),
        ]
    return cases


def test_out_of_bounds_times_and_numbers_are_422_naming_the_field(api: Api):
    sku = api.stocked_item(4)
    before = ledger_of(api, sku)
    with api.client() as c:
        for path, case, body, field in _out_of_bounds(sku):
            try:
                assert_problem(c.post(path, json=body), 422, "invalid-input", field)
            except AssertionError as e:
                raise AssertionError(f"{case}: {e}") from None
    assert ledger_of(api, sku) == before


def test_a_count_dated_9999_is_refused_and_a_later_movement_still_moves_on_hand(api: Api):
    sku = api.stocked_item(4)
    with api.client() as c:
        assert_problem(c.post("/v1/counts", json=count(sku, counted_at=FAR,
                                                        counted_quantity=100)),
                       422, "invalid-input", "counted_at")
        assert c.post("/v1/movements", json=receipt(sku, type="sale", quantity=1,
                                                    occurred_at="2026-11-02T09:00:00Z")
                      ).status_code == 201
        assert c.post("/v1/counts", json=count(sku, counted_at="2026-11-03T09:00:00Z",
                                               counted_quantity=10)).status_code == 201
        assert c.post("/v1/movements", json=receipt(sku, quantity=2,
                                                    occurred_at="2026-11-04T09:00:00Z")
                      ).status_code == 201
        on_hand = c.get(f"/v1/availability/{sku}").json()["locations"][0]["on_hand"]
    assert on_hand == 12


def test_a_pushed_feed_quarantines_what_is_out_of_bounds_and_applies_the_rest(api: Api):
    sku = api.stocked_item(0)
    lines = [(T, "5", "return"), (FAR, "1", "sale"), (EARLY_AHEAD, "1", "sale"),
             (T, "12345678901234567890", "return"), (T, str(2**63), "return"),
             (T, str(2**40), "return"), (T, "2", "sale")]
    data = "transaction_id,line,occurred_at,store,sku,quantity,type\n" + "".join(
        f"{ref('T')},1,{at},S1,{sku},{q},{t}\n" for at, q, t in lines)
    snapshot = ("location,sku,on_hand,as_of\n"
                f"S1,{sku},{2**63},{T}\nS1,{sku},7,{FAR}\n")
    with api.client("admin") as c:
        r = c.post("/v1/ingest/pos?source=till-bounds", content=data.encode())
        assert r.status_code == 200, r.text
        assert (r.json()["applied"], r.json()["quarantined"]) == (2, 5)
        r = c.post("/v1/ingest/snapshot?source=erp-bounds", content=snapshot.encode())
        assert r.status_code == 200, r.text
        assert (r.json()["applied"], r.json()["quarantined"]) == (0, 2)
        on_hand = c.get(f"/v1/availability/{sku}").json()["locations"][0]["on_hand"]
        assert on_hand == 3
        assert c.get("/v1/kpis").status_code == 200
    assert verify(api.db) == []


@pytest.mark.parametrize("huge", [2**63, 2**64, 10**30])
def test_huge_integers_in_queries_are_422(api: Api, huge: int):
    sku = api.stocked_item(1)
    with api.client("viewer") as c:
        for path, name in ((f"/v1/availability/{sku}", "horizon_days"),
                           ("/v1/sources", "stale_after_minutes"),
                           ("/v1/exceptions", "count_threshold"),
                           ("/v1/exceptions", "limit")):
            assert_problem(c.get(path, params={name: huge}), 422, "invalid-input", name)
        assert_problem(c.get(f"/v1/reservations/{huge}"), 422, "invalid-input", "id")
