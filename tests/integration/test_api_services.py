"""The services under the API's security: keys (hashed, revocable, cached) and remembered
Idempotency-Key responses, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from omnistock.api.auth import KeyCache
from omnistock.domain.errors import InvalidInput, NotFound, UnknownReference
from omnistock.services import idempotency, keys
from omnistock.store.database import Database
from omnistock.store.tables import api_keys

from ..factories import seed


def test_a_key_is_shown_once_and_stored_only_as_its_hash(db: Database):
    key, record = keys.create_key(db, role="integration", name="erp")
    assert key.startswith(f"osk_{record.prefix}_") and keys.KEY_PATTERN.fullmatch(key)
    with db.uow(readonly=True) as uow:
        row = uow.conn.execute(select(api_keys)).mappings().one()
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(dict(row))
    found = keys.authenticate(db, key)
    assert found is not None and (found.prefix, found.role) == (record.prefix, "integration")


def test_wrong_secret_unknown_and_malformed_keys_do_not_authenticate(db: Database):
    key, _ = keys.create_key(db, role="viewer")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    for attempt in (tampered, key + "x", "osk_nothing", "", key.replace("osk_", "xsk_")):
        assert keys.authenticate(db, attempt) is None, attempt


def test_revocation_is_final_and_listed(db: Database):
    key, record = keys.create_key(db, role="admin")
    first = keys.revoke_key(db, record.prefix)
    again = keys.revoke_key(db, record.prefix)
    assert first.revoked_at is not None and again.revoked_at == first.revoked_at
    assert keys.authenticate(db, key) is None
    assert [k.prefix for k in keys.list_keys(db)] == [record.prefix]
    with pytest.raises(NotFound):
        keys.revoke_key(db, "000000000000")


def test_store_keys_are_bound_to_an_existing_location(db: Database):
    seed(db)
    _, record = keys.create_key(db, role="store", location="S1")
    assert record.location == "S1" and keys.list_keys(db)[0].location == "S1"
    with pytest.raises(InvalidInput) as no_location:
        keys.create_key(db, role="store")
    assert no_location.value.field == "location"
    with pytest.raises(InvalidInput):
        keys.create_key(db, role="viewer", location="S1")
    with pytest.raises(UnknownReference):
        keys.create_key(db, role="store", location="NOWHERE")
    with pytest.raises(InvalidInput) as bad_role:
        keys.create_key(db, role="root")
    assert bad_role.value.field == "role"


def test_the_key_cache_answers_from_memory_until_its_ttl(db: Database):
    key, record = keys.create_key(db, role="viewer")
    cache = KeyCache(db, ttl=0.3)
    assert asyncio.run(cache.principal(key)).prefix == record.prefix
    keys.revoke_key(db, record.prefix)
    assert asyncio.run(cache.principal(key)) is not None  # cached

    async def later():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.35)
        return await cache.principal(key)

    assert asyncio.run(later()) is None


def test_one_claim_per_idempotency_key_however_many_race(db: Database):
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: idempotency.claim(db, "k", "actor", "h1"),
                                range(8)))
    assert answers.count(None) == 1
    assert all(a is not None and a.pending for a in answers if a is not None)
    idempotency.complete(db, "k", "actor", 201, '{"id": 1}')
    seen = idempotency.claim(db, "k", "actor", "h2")
    assert seen is not None and (seen.status_code, seen.body, seen.request_hash) == (
        201, '{"id": 1}', "h1")
    assert idempotency.claim(db, "k", "another actor", "h2") is None


def test_an_abandoned_claim_frees_the_key_and_old_keys_are_pruned(db: Database):
    assert idempotency.claim(db, "k", "a", "h") is None
    idempotency.abandon(db, "k", "a")
    assert idempotency.claim(db, "k", "a", "h") is None
    idempotency.complete(db, "k", "a", 200, "{}")
    idempotency.abandon(db, "k", "a")  # a completed answer is never abandoned
    assert idempotency.claim(db, "k", "a", "h") is not None
    assert idempotency.prune(db, db.clock() - timedelta(hours=1)) == 0
    assert idempotency.prune(db, db.clock() + timedelta(seconds=1)) == 1
