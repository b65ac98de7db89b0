"""Code mappings: how each source names our items and locations."""

from __future__ import annotations

from typing import Any

from ..domain.errors import InvalidInput
from ..store.database import Database
from .context import iso

KINDS = ("item", "location")


def add_mapping(db: Database, *, source: str, kind: str, code: str, target: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise InvalidInput("kind must be item or location", field="kind")
    for name, value in (("source", source), ("code", code), ("target", target)):
        if not value or not value.strip():
            raise InvalidInput(f"{name} must not be empty", field=name)
    with db.uow() as uow:
        # The target must exist: a mapping to nothing would only move the failure later.
        if kind == "item":
            uow.catalog.item_id(target, "target")
        else:
            uow.catalog.location_id(target, "target")
        uow.feeds.add_mapping({"source": source, "kind": kind, "code": code, "target": target,
                               "created_at": db.clock()})
        uow.commit()
    return {"source": source, "kind": kind, "code": code, "target": target}


def list_mappings(db: Database, source: str | None = None) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        return [{"source": m["source"], "kind": m["kind"], "code": m["code"],
                 "target": m["target"], "created_at": iso(m["created_at"])}
                for m in uow.feeds.mappings(source)]


def remove_mapping(db: Database, *, source: str, kind: str, code: str) -> None:
    with db.uow() as uow:
        uow.feeds.remove_mapping(source, kind, code)
        uow.commit()
