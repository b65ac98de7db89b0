"""A channel's sourcing policy (channels.policy, JSON): read with its defaults, and replace."""

from __future__ import annotations

from typing import Any

from ...domain.sourcing.policy import SourcingPolicy
from ...store.database import Database


def _view(code: str, stored: dict[str, Any]) -> dict[str, Any]:
    """`policy`: in force, defaults filled in; `stored`: what was set (absent = default)."""
    return {"channel": code, "policy": SourcingPolicy.from_dict(stored).to_dict(),
            "stored": stored}


def get_policy(db: Database, code: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.catalog.channel(code)
    return _view(code, row["policy"] or {})


def set_policy(db: Database, code: str, policy: dict[str, Any]) -> dict[str, Any]:
    """Replace the policy; InvalidInput names the offending field (e.g. rate_table.bands[1].cost)
    and nothing changes."""
    SourcingPolicy.from_dict(policy)
    with db.uow() as uow:
        uow.catalog.set_channel_policy(code, dict(policy))
        uow.commit()
    return _view(code, dict(policy))
