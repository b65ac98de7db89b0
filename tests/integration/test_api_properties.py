"""A hypothesis property over the API's inputs (TestClient against `create_app` on SQLite):
whatever schema-valid movements, counts, count reversals and reservations are sent, with
dates from year 1 to 9999 and quantities up to the bound, no request is a 5xx and no sequence
of accepted requests leaves a position that a later real movement cannot change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnistock.api.app import create_app
from omnistock.domain.movements import MAX_QUANTITY
from omnistock.services import keys
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..backends import fresh_sqlite
from ..factories import T0, seed

NOW = T0 + timedelta(days=1)
UNSIGNED = ["receipt", "sale", "return", "damage", "write_off", "quality_control_in",
            "quality_control_out", "transfer_out", "transfer_in", "ship"]

def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


# Instants across the whole range the schema allows, and a dense band around now (where the
# bounds are), with any offset.
instants = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.just(UTC)),
    st.integers(-3 * 86_400, 3 * 86_400).map(lambda s: NOW + timedelta(seconds=s)),
).flatmap(lambda t: st.integers(-14 * 60, 14 * 60).map(
    lambda m: t.astimezone(UTC).isoformat().replace("+00:00", "Z") if m == 0 else
    t.astimezone(_zone(m)).isoformat()))
quantities = st.one_of(st.integers(1, 20), st.integers(1, MAX_QUANTITY),
                       st.just(MAX_QUANTITY))
external_ids = st.integers(0, 5).map(lambda n: f"e-{n}")  # some repeat: replays, conflicts


movements = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(UNSIGNED), "quantity": quantities,
                           "occurred_at": instants, "external_id": external_ids}),
    st.fixed_dictionaries({"type": st.just("adjustment"), "reason": st.just("found"),
                           "quantity": st.one_of(quantities, quantities.map(lambda q: -q)),
                           "occurred_at": instants, "external_id": external_ids}),
    st.fixed_dictionaries({"type": st.just("expected"), "quantity": quantities,
                           "occurred_at": instants, "expected_at": instants,
                           "external_id": external_ids}),
).map(lambda m: {"sku": "SKU-1", "location": "S1", "source": "fuzz", **m})
counts = st.fixed_dictionaries({
    "counted_quantity": st.one_of(st.integers(0, 20), st.integers(0, MAX_QUANTITY)),
    "counted_at": instants, "external_id": external_ids,
}).map(lambda c: {"sku": "SKU-1", "location": "S1", "source": "rfid", **c})
holds = st.fixed_dictionaries({"quantity": quantities,
                               "ttl_seconds": st.integers(1, 86_400)}).map(
    lambda r: {"sku": "SKU-1", "location": "S1", **r})
requests = st.lists(st.one_of(
    st.tuples(st.just("/v1/movements"), movements),
    st.tuples(st.just("/v1/movements"), st.lists(movements, min_size=1, max_size=4)
              .map(lambda ms: {"movements": ms})),
    st.tuples(st.just("/v1/counts"), counts),
    st.tuples(st.just("reverse"), st.integers(1, 12)),
    st.tuples(st.just("/v1/reservations"), holds),
), min_size=1, max_size=12)


def on_hand(client: TestClient) -> int:
    locations = client.get("/v1/availability/SKU-1").json()["locations"]
    return int(locations[0]["on_hand"]) if locations else 0


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sequence=requests)
def test_no_accepted_input_freezes_a_position_or_fails_the_server(sequence, sqlite_template,
                                                                  tmp_path_factory):
    db = Database.open(fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("fuzz")))
    try:
        seed(db)
        now = [NOW]
        db.clock = lambda: now[0]
        key, _ = keys.create_key(db, role="admin")
        with TestClient(create_app(db, background=[]),
                        headers={"Authorization": f"Bearer {key}"}) as client:
            for path, body in sequence:
                if path == "reverse":
                    r = client.post(f"/v1/counts/{body}/reverse", json={"reason": "fuzz"})
                else:
                    r = client.post(path, json=body)
                assert r.status_code < 500, (path, body, r.text)
                assert r.status_code in (200, 201, 404, 409, 422), (path, body, r.text)
            assert verify(db) == []
            now[0] += timedelta(hours=2)  # past the skew every accepted fact had to respect
            before = on_hand(client)
            later = now[0].isoformat()
            r = client.post("/v1/movements", json={
                "type": "receipt", "sku": "SKU-1", "location": "S1", "quantity": 1,
                "occurred_at": later, "source": "real", "external_id": "later-1"})
            assert r.status_code == 201, r.text
            assert on_hand(client) == before + 1  # the position still moves
            r = client.post("/v1/counts", json={
                "sku": "SKU-1", "location": "S1", "counted_quantity": 7, "counted_at": later,
                "source": "real", "external_id": "later-count"})
            assert r.status_code == 201, r.text
            assert on_hand(client) == 7  # and a later count still sets it
            assert verify(db) == []
    finally:
        db.close()
