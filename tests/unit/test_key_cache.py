"""The key cache: live keys in a least-recently-used map, unknown keys in a small one of their
own, so a flood of random keys never pushes a live key out."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from omnistock.api.auth import KeyCache
from omnistock.services import keys
from omnistock.services.keys import ApiKey, Role


def random_key() -> str:
    return f"osk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


class Directory:
    """Stands for the keys table: which keys are live, and how often each was looked up."""

    def __init__(self) -> None:
        self.live: dict[str, ApiKey] = {}
        self.lookups: Counter[str] = Counter()

    def add(self) -> str:
        key = random_key()
        self.live[key] = ApiKey(key[4:16], Role.VIEWER, None, "", datetime.now(UTC), None)
        return key

    def authenticate(self, _: Any, key: str) -> ApiKey | None:
        self.lookups[key] += 1
        return self.live.get(key)


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> Directory:
    d = Directory()
    monkeypatch.setattr(keys, "authenticate", d.authenticate)
    return d


def ask(cache: KeyCache, *keys_: str) -> list[Any]:
    async def run() -> list[Any]:
        return [await cache.principal(k) for k in keys_]

    return asyncio.run(run())


def test_a_live_key_is_looked_up_once_per_ttl(directory: Directory):
    key = directory.add()
    cache = KeyCache(None, ttl=60)  # type: ignore[arg-type]
    first, again = ask(cache, key, key)
    assert first == again and first.prefix == key[4:16]
    assert directory.lookups[key] == 1


def test_a_flood_of_random_keys_leaves_the_live_ones_cached(directory: Directory):
    live = [directory.add() for _ in range(3)]
    cache = KeyCache(None, ttl=60, max_entries=10, max_unknown=50)  # type: ignore[arg-type]
    ask(cache, *live)
    flood = [random_key() for _ in range(2_000)]
    assert ask(cache, *flood) == [None] * len(flood)
    assert all(p is not None for p in ask(cache, *live))
    assert all(directory.lookups[k] == 1 for k in live)  # served from memory after the flood
    ask(cache, flood[0], flood[-1])  # the oldest unknown key was dropped, the newest kept
    assert (directory.lookups[flood[0]], directory.lookups[flood[-1]]) == (2, 1)


def test_the_least_recently_used_key_goes_first(directory: Directory):
    a, b, c = directory.add(), directory.add(), directory.add()
    cache = KeyCache(None, ttl=60, max_entries=2)  # type: ignore[arg-type]
    ask(cache, a, b, a, c)  # a used after b: b is the one to go when c comes
    ask(cache, a, c, b)
    assert (directory.lookups[a], directory.lookups[b], directory.lookups[c]) == (1, 2, 1)


def test_a_malformed_key_is_refused_without_a_lookup(directory: Directory):
    cache = KeyCache(None)  # type: ignore[arg-type]
    assert ask(cache, "nonsense", "osk_short_x") == [None, None]
    assert not directory.lookups


def test_entries_expire_after_the_ttl(directory: Directory):
    key, unknown = directory.add(), random_key()
    cache = KeyCache(None, ttl=0)  # type: ignore[arg-type]
    ask(cache, key, unknown, key, unknown)
    assert (directory.lookups[key], directory.lookups[unknown]) == (2, 2)
