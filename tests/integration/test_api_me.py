"""GET /v1/me: who a key is, so a store associate's views pin to their store."""

from __future__ import annotations

from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services import keys

from ..factories import seed


def test_me_names_the_key_and_its_location(db):
    seed(db)
    key, record = keys.create_key(db, role="store", location="S1")
    with TestClient(create_app(db, background=[])) as c:
        body = c.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
        assert body == {"prefix": record.prefix, "role": "store", "location": "S1"}
        assert c.get("/v1/me").status_code == 401
