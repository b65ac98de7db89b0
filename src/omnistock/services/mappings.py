"""Code mappings: how each source names our items and locations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.errors import DomainError, InvalidInput
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


def put_mappings(db: Database, source: str,
                 mappings: Iterable[tuple[str, str, str, str]]) -> dict[str, int]:
    """Many mappings of one source, (position, kind, code, target) each, in one transaction:
    all of them or, when one is wrong (its line is named), none. A code already mapped to
    another target is re-pointed; importing the same file again changes nothing."""
    if not source or not source.strip():
        raise InvalidInput("source must not be empty", field="source")
    now = db.clock()
    rows, read = {}, 0
    with db.uow() as uow:
        for position, kind, code, target in mappings:
            read += 1
            try:
                if kind not in KINDS:
                    raise InvalidInput(f"kind must be item or location, got {kind!r}",
                                       field="kind")
                if not code.strip() or len(code) > 200:
                    raise InvalidInput("code must be 1 to 200 characters", field="code")
                if kind == "item":
                    uow.catalog.item_id(target, "target")
                else:
                    uow.catalog.location_id(target, "target")
            except DomainError as e:
                raise InvalidInput(f"{position}: {e.detail}", field="body") from None
            rows[(kind, code)] = {"source": source, "kind": kind, "code": code,
                                  "target": target, "created_at": now}
        if not rows:
            raise InvalidInput("the file has no mapping: expected a header line and at least "
                               "one line", field="body")
        added, changed = uow.feeds.put_mappings(list(rows.values()))
        uow.commit()
    return {"read": read, "added": added, "changed": changed,
            "unchanged": len(rows) - added - changed}
