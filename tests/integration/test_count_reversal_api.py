"""`POST /v1/counts/{movement_id}/reverse` and `omnistock counts reverse`, on SQLite and
PostgreSQL: admin only, audited (actor, reason), idempotent, and the ledger verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnistock.api.app import create_app
from omnistock.cli import app as cli
from omnistock.services import keys
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..factories import T0, seed

T = T0.isoformat().replace("+00:00", "Z")


@pytest.fixture
def api(db: Database) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], str]]:
    """A client, the headers of an admin, an integration and a viewer key, the admin's
    prefix (the `actor` of what it does)."""
    seed(db)
    db.clock = lambda: T0 + timedelta(hours=1)
    made = {role: keys.create_key(db, role=role) for role in ("admin", "integration", "viewer")}
    auth = {role: {"Authorization": f"Bearer {key}"} for role, (key, _) in made.items()}
    with TestClient(create_app(db, background=[])) as c:
        yield c, auth, made["admin"][1].prefix


def _wrong_count(client: TestClient, auth: dict[str, str]) -> int:
    r = client.post("/v1/movements", headers=auth, json={
        "type": "receipt", "sku": "SKU-1", "location": "S1", "quantity": 10, "occurred_at": T,
        "source": "erp", "external_id": "grn-1"})
    assert r.status_code == 201, r.text
    r = client.post("/v1/counts", headers=auth, json={
        "sku": "SKU-1", "location": "S1", "counted_quantity": 2,
        "counted_at": "2026-11-01T09:05:00Z", "source": "rfid", "external_id": "sweep-1"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _on_hand(client: TestClient, auth: dict[str, str]) -> int:
    return int(client.get("/v1/availability/SKU-1", headers=auth).json()
               ["locations"][0]["on_hand"])


def test_an_admin_reverses_a_count_once(api, db):
    client, auth, prefix = api
    count_id = _wrong_count(client, auth["integration"])
    path = f"/v1/counts/{count_id}/reverse"
    for role in ("integration", "viewer"):
        r = client.post(path, headers=auth[role], json={"reason": "wrong shelf"})
        assert r.status_code == 403, r.text
    assert client.post(path, json={"reason": "wrong shelf"}).status_code == 401
    r = client.post(path, headers=auth["admin"], json={"reason": "wrong shelf"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["type"], body["reference"], body["reason"], body["deltas"]) == \
        ("count_reversal", f"count:{count_id}", "wrong shelf", {"on_hand": 8})
    assert body["actor"] == prefix
    assert _on_hand(client, auth["viewer"]) == 10
    again = client.post(path, headers=auth["admin"], json={"reason": "wrong shelf"})
    assert (again.status_code, again.json()) == (200, body)
    other = client.post(path, headers=auth["admin"], json={"reason": "another"})
    assert other.status_code == 409 and other.json()["type"].endswith("invalid-state")
    assert verify(db) == []


@pytest.mark.parametrize(("movement_id", "body", "status", "field"), [
    (10**9, {"reason": "x"}, 404, "movement_id"),
    (0, {"reason": "x"}, 422, "movement_id"),
    (2**63, {"reason": "x"}, 422, "movement_id"),
    (1, {}, 422, "reason"),
    (1, {"reason": ""}, 422, "reason"),
    (1, {"reason": "x" * 65}, 422, "reason"),
    (1, {"reason": "x", "extra": 1}, 422, "extra"),
])
def test_bad_reversals_are_problems_naming_the_field(api, db, movement_id, body, status, field):
    client, auth, _ = api
    _wrong_count(client, auth["integration"])
    r = client.post(f"/v1/counts/{movement_id}/reverse", headers=auth["admin"], json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in json.dumps(r.json())
    assert _on_hand(client, auth["viewer"]) == 2


def test_a_receipt_cannot_be_reversed_as_a_count(api):
    client, auth, _ = api
    _wrong_count(client, auth["integration"])
    r = client.post("/v1/counts/1/reverse", headers=auth["admin"], json={"reason": "x"})
    assert r.status_code == 409 and "not a count" in r.json()["detail"]


def test_the_cli_reverses_a_count_with_its_operator(api, db, database_url):
    client, auth, _ = api
    count_id = _wrong_count(client, auth["integration"])
    runner, env = CliRunner(), {"OMNISTOCK_DATABASE_URL": database_url}
    # The CLI's clock is the real one: the reversal is dated now, which the window allows.
    done = runner.invoke(cli, ["counts", "reverse", str(count_id), "--reason", "miscount",
                               "--actor", "ops-anna"], env=env)
    assert done.exit_code == 0, done.output
    movement = json.loads(done.stdout.strip().splitlines()[-1])
    assert (movement["actor"], movement["reason"], movement["type"]) == \
        ("ops-anna", "miscount", "count_reversal")
    assert _on_hand(client, auth["viewer"]) == 10
    refused = runner.invoke(cli, ["counts", "reverse", str(count_id), "--reason", "other"],
                            env=env)
    assert refused.exit_code == 1 and "already reversed" in refused.output
    missing = runner.invoke(cli, ["counts", "reverse", "999999", "--reason", "x"], env=env)
    assert missing.exit_code == 1 and "no movement" in missing.output
    assert verify(db) == []
