"""Checks on input read from JSON; each raises InvalidInput naming the offending field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import isfinite
from typing import Any

from ..errors import InvalidInput


def check_number(value: Any, field: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
        raise InvalidInput(f"{field} must be a number", field=field)
    if value < minimum:
        raise InvalidInput(f"{field} must be at least {minimum:g}, got {value:g}", field=field)
    return float(value)


def check_money(value: Any, field: str) -> float:
    amount = check_number(value, field)
    if abs(amount * 100 - round(amount * 100)) > 1e-6:
        raise InvalidInput(f"{field} must be a whole number of cents, got {amount}", field=field)
    return round(amount, 2)


def check_integer(value: Any, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an integer", field=field)
    if value < minimum:
        raise InvalidInput(f"{field} must be at least {minimum}, got {value}", field=field)
    return value


def check_mapping(value: Any, field: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field or 'policy'} must be an object", field=field or "policy")
    for key in value:
        if key not in allowed:
            name = f"{field}.{key}" if field else str(key)
            raise InvalidInput(f"unknown field {name}; expected one of {', '.join(allowed)}",
                               field=name)
    return value
