"""Return rules kept as data: a policy is an ordered list of rules and a par level, stored as
JSON (per location, per channel, or the default) and read with `ReturnPolicy.from_dict`, which
names the offending field. domain/returns.py applies them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import InvalidInput


class Condition(StrEnum):
    SELLABLE = "sellable"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    OPEN_BOX = "open_box"


class Action(StrEnum):
    RESTOCK = "restock"
    TRANSFER = "transfer"
    DAMAGED = "damaged"
    RETURN_TO_VENDOR = "return_to_vendor"
    QUALITY_CONTROL = "quality_control"


FACTS = ("sold_here", "under_target")
NEEDED, NEAREST_DC = "needed", "dc"


@dataclass(frozen=True, slots=True)
class ReturnRule:
    name: str
    condition: Condition
    action: Action
    when: tuple[str, ...] = ()
    to: str | None = None  # a transfer's destination: NEEDED, NEAREST_DC or a location code

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "condition": self.condition.value,
                                "action": self.action.value, "when": list(self.when)}
        if self.action is Action.TRANSFER:
            data["to"] = self.to
        return data


_RULE_FIELDS = ("name", "condition", "action", "when", "to")
_POLICY_FIELDS = ("par_level", "rules")
MAX_PAR_LEVEL = 1_000_000
MAX_RULES = 100


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    rules: tuple[ReturnRule, ...]
    par_level: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"par_level": self.par_level, "rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_dict(cls, data: Any) -> ReturnPolicy:
        """A policy from JSON; InvalidInput names the field (rules[2].action)."""
        data = _mapping(data, "", _POLICY_FIELDS)
        par = data.get("par_level", 1)
        if isinstance(par, bool) or not isinstance(par, int) or not 0 <= par <= MAX_PAR_LEVEL:
            raise InvalidInput(f"par_level must be an integer from 0 to {MAX_PAR_LEVEL}",
                               field="par_level")
        raw = data.get("rules")
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RULES:
            raise InvalidInput(f"rules must be a list of 1 to {MAX_RULES} rules", field="rules")
        rules = tuple(_rule(r, f"rules[{i}]") for i, r in enumerate(raw))
        names = [r.name for r in rules]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise InvalidInput(f"rule name {name!r} is used twice", field=f"rules[{i}].name")
        for condition in Condition:
            if not any(r.condition is condition and not r.when for r in rules):
                raise InvalidInput(f"{condition} returns need a last rule without `when`, so "
                                   "that every return finds a disposition", field="rules")
        return cls(rules, par)

    def destinations(self) -> set[str]:
        """Location codes the rules name (they must exist)."""
        return {r.to for r in self.rules if r.to is not None and r.to not in (NEEDED, NEAREST_DC)}


def _mapping(value: Any, field: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field or 'the policy'} must be an object", field=field or "policy")
    for key in value:
        if key not in allowed:
            where = f"{field}.{key}" if field else str(key)
            raise InvalidInput(f"unknown field {key!r}", field=where)
    return value


def _rule(value: Any, field: str) -> ReturnRule:
    data = _mapping(value, field, _RULE_FIELDS)
    name = data.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 64 or not name.strip():
        raise InvalidInput("name must be a string of 1 to 64 characters", field=f"{field}.name")
    condition = _choice(Condition, data.get("condition"), f"{field}.condition")
    action = _choice(Action, data.get("action"), f"{field}.action")
    when = data.get("when", [])
    if not isinstance(when, list) or any(w not in FACTS for w in when):
        raise InvalidInput(f"when must be a list of facts among {', '.join(FACTS)}",
                           field=f"{field}.when")
    to = data.get("to")
    if action is Action.TRANSFER:
        to = NEEDED if to is None else to
        if not isinstance(to, str) or not 0 < len(to) <= 64 or not to.strip():
            raise InvalidInput("to must be 'needed', 'dc' or a location code",
                               field=f"{field}.to")
    elif to is not None:
        raise InvalidInput("to goes with a transfer only", field=f"{field}.to")
    return ReturnRule(name, condition, action, tuple(dict.fromkeys(when)), to)


def _choice(enum: Any, value: Any, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not one of {', '.join(e.value for e in enum)}",
                           field=field) from None


DEFAULT_POLICY = ReturnPolicy((
    ReturnRule("restock_here", Condition.SELLABLE, Action.RESTOCK, ("sold_here", "under_target")),
    ReturnRule("transfer_where_needed", Condition.SELLABLE, Action.TRANSFER, (), NEEDED),
    ReturnRule("damaged", Condition.DAMAGED, Action.DAMAGED),
    ReturnRule("return_to_vendor", Condition.DEFECTIVE, Action.RETURN_TO_VENDOR),
    ReturnRule("open_box_inspection", Condition.OPEN_BOX, Action.QUALITY_CONTROL),
))
