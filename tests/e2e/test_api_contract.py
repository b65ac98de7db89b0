"""The HTTP contract (design.md section 3) against a real server, on SQLite and PostgreSQL:
roles and locations, idempotent replays, problems for bad input that change nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from omnistock.domain.gs1 import with_check_digit
from omnistock.services import keys
from omnistock.store.tables import items, movements

from ..factories import ref
from .conftest import PROBLEM, Api, assert_problem

pytestmark = pytest.mark.xdist_group("api-server")

T = "2026-11-01T09:00:00Z"


def receipt(sku: str, quantity: int = 5, **kw: Any) -> dict[str, Any]:
    return {"type": "receipt", "sku": sku, "location": "S1", "quantity": quantity,
            "occurred_at": T, "source": "erp", "external_id": ref("r"), **kw}


def ledger_of(api: Api, sku: str) -> tuple[int, list[dict[str, Any]]]:
    """(movements recorded for sku, its buckets at every location): what a refusal must keep."""
    with api.db.uow(readonly=True) as uow:
        n = uow.conn.execute(select(func.count()).select_from(movements).join(
            items, items.c.id == movements.c.item_id).where(items.c.sku == sku)).scalar()
    with api.client() as c:
        r = c.get(f"/v1/availability/{sku}")
    return int(n or 0), (r.json()["locations"] if r.status_code == 200 else [])


# -- roles and locations -----------------------------------------------------------------
def test_no_unknown_or_malformed_key_is_401_problem_with_challenge(api: Api):
    sku = api.stocked_item(1)
    for headers in ({}, {"Authorization": "Bearer osk_000000000000_" + "x" * 43},
                    {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic YTpi"}):
        r = httpx.get(f"{api.base_url}/v1/availability/{sku}", headers=headers)
        assert_problem(r, 401, "unauthenticated", "Authorization")
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_revoked_key_is_refused_within_the_cache_time(api: Api):
    key, record = keys.create_key(api.db, role="viewer")
    url = f"{api.base_url}/v1/locations"
    assert httpx.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    keys.revoke_key(api.db, record.prefix)
    deadline = time.monotonic() + 5  # the test server caches keys for 1 s
    while time.monotonic() < deadline:
        codes = {httpx.get(url, headers={"Authorization": f"Bearer {key}"}).status_code
                 for _ in range(4)}  # both worker processes
        if codes == {401}:
            return
        time.sleep(0.2)
    pytest.fail(f"a revoked key was still accepted after 5 s: {codes}")


def _requests(api: Api) -> dict[str, tuple[str, str, Any]]:
    sku = api.stocked_item(50)
    return {
        "read": ("GET", f"/v1/availability/{sku}", None),
        "item": ("POST", "/v1/items", lambda: {"sku": ref("NEW")}),
        "location": ("POST", "/v1/locations", lambda: {"code": ref("L"), "kind": "dc"}),
        "channel": ("POST", "/v1/channels", lambda: {"code": ref("C"), "locations": ["S1"]}),
        "movement": ("POST", "/v1/movements", lambda: receipt(sku)),
        "count at S1": ("POST", "/v1/counts", lambda: {
            "sku": sku, "location": "S1", "counted_quantity": 50, "counted_at": T,
            "source": "rfid", "external_id": ref("c")}),
        "count at S2": ("POST", "/v1/counts", lambda: {
            "sku": sku, "location": "S2", "counted_quantity": 0, "counted_at": T,
            "source": "rfid", "external_id": ref("c")}),
        "reservation": ("POST", "/v1/reservations", lambda: {
            "sku": sku, "location": "S1", "quantity": 1, "ttl_seconds": 600}),
        "return at S1": ("POST", "/v1/movements", lambda: receipt(sku, 1, type="return")),
        "return at S2": ("POST", "/v1/movements", lambda: receipt(
            sku, 1, type="return", location="S2")),
        "returns and a sale at S1": ("POST", "/v1/movements", lambda: {"movements": [
            receipt(sku, 1, type="return"), receipt(sku, 1, type="sale")]}),
    }


OK, NO = "ok", 403
MATRIX = {  # request: (admin, integration, store bound to S1, viewer)
    "read": (OK, OK, OK, OK),
    "item": (OK, OK, NO, NO),
    "location": (OK, NO, NO, NO),
    "channel": (OK, NO, NO, NO),
    "movement": (OK, OK, NO, NO),
    "count at S1": (OK, OK, OK, NO),
    "count at S2": (OK, OK, NO, NO),
    "reservation": (OK, OK, NO, NO),
    "return at S1": (OK, OK, OK, NO),
    "return at S2": (OK, OK, NO, NO),
    "returns and a sale at S1": (OK, OK, NO, NO),
}


def test_role_and_location_matrix(api: Api):
    requests = _requests(api)
    seen = {}
    for name, expected in MATRIX.items():
        method, path, body = requests[name]
        for role, want in zip(("admin", "integration", "store", "viewer"), expected,
                              strict=True):
            with api.client(role) as c:
                r = c.request(method, path, json=body() if body else None)
            seen[(name, role)] = r.status_code
            if want == OK:
                assert r.status_code in (200, 201), (name, role, r.text)
            else:
                assert_problem(r, 403, "forbidden")
    # the store key is refused at another location, naming it
    with api.client("store") as c:
        r = c.post("/v1/counts", json=requests["count at S2"][2]())
    assert assert_problem(r, 403, "forbidden", "location")["key_location"] == "S1"
    with api.client("store") as c:
        r = c.post("/v1/movements", json=requests["return at S2"][2]())
    assert assert_problem(r, 403, "forbidden", "location")["key_location"] == "S1"


def test_every_movement_records_the_key_that_made_it(api: Api):
    sku = api.stocked_item()
    for role in ("admin", "integration"):
        with api.client(role) as c:
            r = c.post("/v1/movements", json=receipt(sku))
        assert r.status_code == 201 and r.json()["actor"] == api.prefixes[role]
    with api.client("store") as c:
        r = c.post("/v1/counts", json={"sku": sku, "location": "S1", "counted_quantity": 3,
                                       "counted_at": T, "source": "rfid",
                                       "external_id": ref("c")})
    assert r.status_code == 201 and r.json()["actor"] == api.prefixes["store"]


# -- idempotency ---------------------------------------------------------------------------
def test_movement_replay_is_200_with_the_same_body_and_another_payload_409(api: Api):
    sku = api.stocked_item()
    body = receipt(sku, 7)
    with api.client("integration") as c:
        first, again = c.post("/v1/movements", json=body), c.post("/v1/movements", json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        before = ledger_of(api, sku)
        other = c.post("/v1/movements", json={**body, "quantity": 8})
        assert_problem(other, 409, "idempotency-conflict", "external_id")
    assert ledger_of(api, sku) == before and before[1][0]["on_hand"] == 7


def test_batch_is_one_transaction_and_replays_as_a_whole(api: Api):
    sku = api.stocked_item()
    batch = {"movements": [receipt(sku, 4), receipt(sku, 6, location="S2")]}
    with api.client() as c:
        first, again = c.post("/v1/movements", json=batch), c.post("/v1/movements", json=batch)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and len(first.json()["movements"]) == 2
    assert sorted(p["on_hand"] for p in ledger_of(api, sku)[1]) == [4, 6]


def test_count_replay(api: Api):
    sku = api.stocked_item(10)
    count = {"sku": sku, "location": "S1", "counted_quantity": 4, "counted_at": T,
             "source": "rfid", "external_id": ref("c")}
    with api.client("store") as c:
        first, again = c.post("/v1/counts", json=count), c.post("/v1/counts", json=count)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json() and first.json()["deltas"] == {"on_hand": -6}


def _reserve(api: Api, sku: str, quantity: int = 2, key: str | None = None,
             role: str = "integration") -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    with api.client(role) as c:
        return c.post("/v1/reservations", headers=headers, json={
            "sku": sku, "location": "S1", "quantity": quantity, "ttl_seconds": 600})


def _reserved(api: Api, sku: str) -> int:
    return ledger_of(api, sku)[1][0]["reserved"]


def test_idempotency_key_replays_a_reservation_instead_of_holding_twice(api: Api):
    sku, key = api.stocked_item(10), ref("idem")
    first, again = _reserve(api, sku, 2, key), _reserve(api, sku, 2, key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert_problem(_reserve(api, sku, 3, key), 409, "idempotency-key-reused", "Idempotency-Key")
    assert _reserved(api, sku) == 2
    # keys belong to the API key that sent them: another one acts anew
    assert _reserve(api, sku, 2, key, role="admin").status_code == 201
    assert _reserved(api, sku) == 4


def test_concurrent_retries_with_one_idempotency_key_hold_once(api: Api):
    sku, key = api.stocked_item(100), ref("idem")
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: _reserve(api, sku, 5, key), range(16)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 1, codes
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409, "idempotency-key-in-progress", "Idempotency-Key")
        else:
            assert r.status_code in (200, 201)
    assert _reserved(api, sku) == 5


def test_a_refused_request_is_not_remembered_under_its_key(api: Api):
    sku, key = api.stocked_item(1), ref("idem")
    assert_problem(_reserve(api, sku, 3, key), 409, "insufficient-stock", "quantity")
    with api.client() as c:
        c.post("/v1/movements", json=receipt(sku, 5)).raise_for_status()
    assert _reserve(api, sku, 3, key).status_code == 201


# -- reservations --------------------------------------------------------------------------
def test_reservation_life_cycle(api: Api):
    sku = api.stocked_item(5)
    held = _reserve(api, sku, 5)
    assert held.status_code == 201
    body = held.json()
    assert body["status"] == "active" and body["expires_at"].endswith("Z")
    refused = _reserve(api, sku, 1)
    problem = assert_problem(refused, 409, "insufficient-stock", "quantity")
    assert problem["lines"] == [{"sku": sku, "location": "S1", "requested": 1, "available": 0}]
    with api.client("integration") as c:
        rid = body["id"]
        assert c.get(f"/v1/reservations/{rid}").json() == body
        committed = c.post(f"/v1/reservations/{rid}/commit")
        assert committed.status_code == 200 and committed.json()["status"] == "committed"
        assert_problem(c.post(f"/v1/reservations/{rid}/release"), 409, "invalid-state", "id")
        assert_problem(c.get("/v1/reservations/00000000-0000-4000-8000-000000000000"), 404,
                       "not-found", "id")
    position = ledger_of(api, sku)[1][0]
    assert (position["committed"], position["reserved"], position["available"]) == (5, 0, 0)


def test_the_sweeper_expires_lapsed_holds(api: Api):
    sku = api.stocked_item(3)
    with api.client("integration") as c:
        rid = c.post("/v1/reservations", json={"sku": sku, "location": "S1", "quantity": 3,
                                                "ttl_seconds": 1}).json()["id"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with api.db.uow(readonly=True) as uow:
                row = uow.reservations.get(rid)
            if row is not None and row["status"] == "expired":
                break
            time.sleep(0.2)
        assert row is not None and row["status"] == "expired"
        assert_problem(c.post(f"/v1/reservations/{rid}/commit"), 409, "invalid-state")
    assert ledger_of(api, sku)[1][0]["reserved"] == 0


# -- bad input: a problem naming the field, and nothing changed ----------------------------
def wrong_check_digit(body: str) -> str:
    right = with_check_digit(body)
    return right[:-1] + str((int(right[-1]) + 1) % 10)


def _bad_inputs(sku: str) -> list[tuple[str, str, Any, int, str, str]]:
    good = receipt(sku)
    bad_gtin = wrong_check_digit("400638133393")
    return [  # (path, case, body, status, problem type, field)
        ("/v1/movements", "zero quantity", {**good, "quantity": 0}, 422, "invalid-input",
         "quantity"),
        ("/v1/movements", "negative quantity", {**good, "quantity": -2}, 422, "invalid-input",
         "quantity"),
        ("/v1/movements", "zero adjustment", {**good, "type": "adjustment", "quantity": 0,
                                              "reason": "audit"}, 422, "invalid-input",
         "quantity"),
        ("/v1/movements", "boolean as integer", {**good, "quantity": True}, 422,
         "invalid-input", "quantity"),
        ("/v1/movements", "string as integer", {**good, "quantity": "5"}, 422,
         "invalid-input", "quantity"),
        ("/v1/movements", "unknown sku", {**good, "sku": "NO-SUCH-SKU"}, 422,
         "unknown-reference", "sku"),
        ("/v1/movements", "unknown location", {**good, "location": "NOWHERE"}, 422,
         "unknown-reference", "location"),
        ("/v1/movements", "timestamp without zone", {**good, "occurred_at": "2026-11-01T09:00"},
         422, "invalid-input", "occurred_at"),
        ("/v1/movements", "unknown type", {**good, "type": "teleport"}, 422, "invalid-input",
         "type"),
        ("/v1/movements", "internal type", {**good, "type": "reserve"}, 422, "invalid-input",
         "type"),
        ("/v1/movements", "adjustment without reason", {**good, "type": "adjustment"}, 422,
         "invalid-input", "reason"),
        ("/v1/movements", "expected without date", {**good, "type": "expected"}, 422,
         "invalid-input", "expected_at"),
        ("/v1/movements", "unknown field", {**good, "qty": 5}, 422, "invalid-input", "qty"),
        ("/v1/movements", "missing field", {k: v for k, v in good.items() if k != "source"},
         422, "invalid-input", "source"),
        ("/v1/movements", "bad batch element", {"movements": [good, {**good, "quantity": -1}]},
         422, "invalid-input", "movements[1].quantity"),
        ("/v1/movements", "unknown sku in batch",
         {"movements": [good, {**receipt(sku), "sku": "NO-SUCH-SKU"}]}, 422,
         "unknown-reference", "movements[1].sku"),
        ("/v1/movements", "not an object", [good], 422, "invalid-input", "body"),
        ("/v1/movements", "malformed JSON", b'{"type": "receipt", ', 400, "malformed-json",
         "body"),
        ("/v1/counts", "negative count", {"sku": sku, "location": "S1", "counted_quantity": -1,
                                          "counted_at": T, "source": "s", "external_id": "e"},
         422, "invalid-input", "counted_quantity"),
        ("/v1/counts", "count without zone", {"sku": sku, "location": "S1",
                                              "counted_quantity": 1,
                                              "counted_at": "2026-11-01 09:00:00",
                                              "source": "s", "external_id": "e"},
         422, "invalid-input", "counted_at"),
        ("/v1/reservations", "zero ttl", {"sku": sku, "location": "S1", "quantity": 1,
                                          "ttl_seconds": 0}, 422, "invalid-input",
         "ttl_seconds"),
        ("/v1/reservations", "boolean quantity", {"sku": sku, "location": "S1",
                                                  "quantity": True, "ttl_seconds": 60},
         422, "invalid-input", "quantity"),
        ("/v1/items", "GTIN check digit", {"sku": ref("G"), "gtin": bad_gtin}, 422,
         "invalid-identifier", "gtin"),
        ("/v1/items", "GTIN letters", {"sku": ref("G"), "gtin": "ABCDEFGH"}, 422,
         "invalid-input", "gtin"),
        ("/v1/items", "sku with a space", {"sku": "A B"}, 422, "invalid-input", "sku"),
        ("/v1/items", "existing sku", {"sku": sku}, 409, "already-exists", "sku"),
        ("/v1/locations", "GLN check digit", {"code": ref("L"), "kind": "store",
                                              "gln": wrong_check_digit("400000100000")}, 422,
         "invalid-identifier", "gln"),
        ("/v1/locations", "unknown kind", {"code": ref("L"), "kind": "moon"}, 422,
         "invalid-input", "kind"),
        ("/v1/channels", "unknown location", {"code": ref("C"), "locations": ["NOWHERE"]},
         422, "unknown-reference", "locations"),
    ]


def test_bad_inputs_are_problems_naming_the_field_and_change_nothing(api: Api):
    sku = api.stocked_item(10)
    before = ledger_of(api, sku)
    created = {"/v1/items": "sku", "/v1/locations": "code", "/v1/channels": "code"}
    with api.client() as c:
        for path, case, body, status, code, field in _bad_inputs(sku):
            if isinstance(body, bytes):
                r = c.post(path, content=body, headers={"content-type": "application/json"})
            else:
                r = c.post(path, json=body)
            try:
                assert_problem(r, status, code, field)
            except AssertionError as e:
                raise AssertionError(f"{case}: {e}") from None
            if path in created and case != "existing sku":
                assert c.get(f"{path}/{body[created[path]]}").status_code in (404, 422), case
    assert ledger_of(api, sku) == before


def test_bad_query_and_path_parameters(api: Api):
    sku = api.stocked_item(1)
    with api.client("viewer") as c:
        assert_problem(c.get(f"/v1/availability/{sku}", params={"horizon_days": -1}), 422,
                       "invalid-input", "horizon_days")
        assert_problem(c.get(f"/v1/availability/{sku}", params={"channel": "nope"}), 404,
                       "not-found", "channel")
        assert_problem(c.get("/v1/availability/NO-SUCH"), 404, "not-found", "sku")
        assert_problem(c.get("/v1/items/NO-SUCH"), 404, "not-found", "sku")
        assert_problem(c.get("/v1/reservations/not-a-uuid"), 422, "invalid-input", "id")
        assert_problem(c.get("/v1/no/such/route"), 404, "not-found")
        r = c.delete("/v1/items")
        assert_problem(r, 405, "method-not-allowed")
        assert "GET" in r.headers["allow"]


# -- reads, documents, operations ----------------------------------------------------------
def test_catalog_and_availability_reads(api: Api):
    gtin = with_check_digit("400638133393")
    sku = ref("APPLE")
    with api.client() as c:
        made = c.post("/v1/items", json={"sku": sku, "name": "Green apple", "gtin": gtin})
        assert made.status_code == 201 and made.json()["gtin"] == gtin.zfill(14)
        assert c.get(f"/v1/items/{sku}").json() == made.json()
        for q in (sku.lower(), gtin[3:9], "green APP"[:5]):
            found = c.get("/v1/items", params={"q": q}).json()["items"]
            assert sku in {i["sku"] for i in found}, q
        assert c.get("/v1/channels/web").json() == {"code": "web", "name": "Web",
                                                    "locations": ["S1", "S2"]}
        assert {"S1", "S2"} <= {loc["code"] for loc in c.get("/v1/locations").json()["locations"]}
        c.post("/v1/movements", json=receipt(sku, 9)).raise_for_status()
        c.post("/v1/movements", json={**receipt(sku, 4), "type": "expected",
                                      "expected_at": "2026-11-03T00:00:00Z"}).raise_for_status()
        body = c.get(f"/v1/availability/{sku}", params={"channel": "web"}).json()
        assert (body["sku"], body["channel"], body["available"]) == (sku, "web", 9)
        assert body["locations"][0]["incoming"] == 4
        assert c.get(f"/v1/availability/{sku}").json()["channel"] is None


def test_openapi_documents_every_error_as_a_problem(api: Api):
    spec = httpx.get(f"{api.base_url}/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "Problem" in spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
            if path.startswith("/v1/ingest/shopify/"):  # signed by the shop, not a key
                assert "401" in errors, (method, path)
            elif path.startswith("/v1/") and path.split("/")[2] not in ("events", "webhooks"):
                assert {"401", "403"} <= set(errors), (method, path)
                if "requestBody" in op:
                    assert {"400", "422"} <= set(errors), (method, path)
            for status, response in errors.items():
                assert list(response["content"]) == [PROBLEM], (method, path, status)


def test_health_and_metrics(api: Api):
    assert httpx.get(f"{api.base_url}/healthz").json() == {"status": "ok"}
    sku = api.stocked_item(1)
    with api.client() as c:
        c.post("/v1/movements", json={**receipt(sku), "type": "damage"}).raise_for_status()
        assert c.post("/v1/reservations", json={"sku": sku, "location": "S1", "quantity": 99,
                                                "ttl_seconds": 60}).status_code == 409
        for _ in range(4):
            c.get(f"/v1/availability/{sku}").raise_for_status()
    assert_problem(httpx.get(f"{api.base_url}/metrics"), 401, "unauthenticated")
    with api.client("viewer") as c:
        text = c.get("/metrics").text  # aggregated over both workers
    assert 'omnistock_movements_applied_total{type="damage"}' in text
    assert "omnistock_reservations_refused_total" in text
    assert "omnistock_reservations_expired_total" in text
    assert "omnistock_outbox_lag_seconds" in text
    latency = [line for line in text.splitlines() if line.startswith(
        "omnistock_http_request_duration_seconds_count") and "/v1/availability/{sku}" in line
        and 'status="200"' in line]
    assert latency and float(latency[0].rsplit(" ", 1)[1]) >= 4
    assert sku not in text  # routes by template, never by raw path
