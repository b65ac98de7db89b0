"""Buckets of a position and the availability formula."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

BUCKETS = (
    "on_hand",
    "committed",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
    "incoming",
)

# Buckets that take units out of what can be promised (on_hand minus these is available).
HELD_BUCKETS = ("committed", "reserved", "damaged", "quality_control", "safety_stock")

Delta = Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Buckets:
    on_hand: int = 0
    committed: int = 0
    reserved: int = 0
    damaged: int = 0
    quality_control: int = 0
    safety_stock: int = 0
    incoming: int = 0

    @property
    def available(self) -> int:
        return available(self)

    def apply(self, delta: Delta) -> Buckets:
        return replace(self, **{k: getattr(self, k) + v for k, v in delta.items() if v})

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def available(b: Buckets | Mapping[str, int]) -> int:
    get = b.get if isinstance(b, Mapping) else lambda k, _=0: getattr(b, k)
    return int(get("on_hand", 0)) - sum(int(get(k, 0)) for k in HELD_BUCKETS)


def available_sql(prefix: str = "") -> str:
    """The availability formula as a SQL expression (kept here so SQL and Python never differ)."""
    return f"{prefix}on_hand - " + " - ".join(f"{prefix}{k}" for k in HELD_BUCKETS)
