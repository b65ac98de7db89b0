"""Planning use cases: demand history, forecast runs, and safety stock written to the ledger.

A forecast run reads `days` of history in one snapshot, forecasts every position that had
demand (planning/forecast.py) and replaces each position's stored forecast. Safety stock is
derived from the stored forecasts and written as `safety_stock` movements (source `planning`,
the reason saying the service level, lead time and error it came from), so the ledger explains
every change of the bucket and `verify` covers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from ..domain.buckets import available
from ..domain.errors import InvalidInput, InvalidState, NotFound
from ..domain.ledger import Movement
from ..domain.movements import MovementType
from ..planning.demand import DemandRow, DemandSeries, build_series
from ..planning.forecast import forecast, segment_accuracy
from ..planning.replenishment import AutoRule, Policy, PositionPlan, plan_item
from ..planning.safety import DEFAULT_SERVICE_LEVELS, safety_stock
from ..store.database import Database
from .context import iso, payload_hash
from .ledger import record

SOURCE = "planning"
MAX_HISTORY_DAYS = 730
MAX_HORIZON_DAYS = 120


def _midnight(at: datetime) -> datetime:
    return datetime.combine(at.date(), time(), at.tzinfo)


def demand_history(db: Database, days: int, *, now: datetime | None = None
                   ) -> dict[tuple[int, int], DemandSeries]:
    """Every position's daily demand over the `days` whole days before today (UTC)."""
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_HISTORY_DAYS}", field="days")
    end = _midnight(now or db.clock())
    start = end - timedelta(days=days)
    with db.uow(snapshot=True) as uow:
        rows = [DemandRow((i, loc), d, kind, units)
                for i, loc, d, kind, units in uow.planning.demand(start, end)]
        before = uow.planning.on_hand_before(start)
        deltas = uow.planning.on_hand_deltas(start, end)
    return build_series(rows, before, deltas, start.date(), end.date())


def demand_view(db: Database, sku: str, location: str, days: int) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        key = (uow.catalog.item_id(sku), uow.catalog.location_id(location))
    series = demand_history(db, days).get(key)
    body = series.to_dict() if series else None
    return {"sku": sku, "location": location, "history": body}


def run_forecasts(db: Database, *, days: int = 120, horizon: int = 28,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Forecast every position with demand in the last `days` days, `horizon` days ahead.
    `progress(done, total)` is told as series are done."""
    if not 1 <= horizon <= MAX_HORIZON_DAYS:
        raise InvalidInput(f"horizon must be between 1 and {MAX_HORIZON_DAYS}",
                           field="horizon")
    now = db.clock()
    history = list(demand_history(db, days, now=now).values())
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(history))

    found = forecast(history, horizon, progress=step)
    run_id = str(uuid.uuid4())
    with db.uow() as uow:
        uow.planning.replace_forecasts([{
            "item_id": f.key[0], "location_id": f.key[1], "run_id": run_id, "created_at": now,
            "segment": f.segment, "model": f.model, "error_sd": f.error_sd, "wape": f.wape,
            "mase": f.mase, "body": f.to_dict()} for f in found])
        uow.commit()
    models: dict[str, int] = {}
    for f in found:
        models[f.model] = models.get(f.model, 0) + 1
    return {"run_id": run_id, "at": iso(now), "series": len(found), "history_days": days,
            "horizon_days": horizon, "models": models, "accuracy": segment_accuracy(found)}


def forecast_view(db: Database, sku: str, location: str | None = None) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        item_id = uow.catalog.item_id(sku)
        location_id = uow.catalog.location_id(location) if location else None
        rows = uow.planning.forecasts_of(item_id, location_id)
    if not rows:
        where = f" at {location}" if location else ""
        raise NotFound(f"no forecast of {sku}{where} yet: run `omnistock plan forecast`",
                       field="location" if location else "sku")
    return {"sku": sku, "forecasts": [
        {"location": r["location"], "run_id": r["run_id"], "created_at": iso(r["created_at"]),
         **r["body"]} for r in rows]}


def apply_safety_stock(db: Database, *, lead_time_days: float = 3.0,
                       lead_times: Mapping[str, float] | None = None,
                       service_levels: Mapping[str, float] = DEFAULT_SERVICE_LEVELS,
                       classes: Mapping[str, str] | None = None, default_class: str = "B",
                       dry_run: bool = False, actor: str | None = None) -> dict[str, Any]:
    """Set each forecast position's safety_stock bucket to what its item class's service
    level needs over its location's lead time (`lead_times` by location code, else
    `lead_time_days`); `classes` maps skus to their class. Returns what changed."""
    now, batch = db.clock(), uuid.uuid4().hex
    lead_times, classes = lead_times or {}, classes or {}
    with db.uow() as uow:
        current = {(p["item_id"], p["location_id"]): p["safety_stock"]
                   for p in uow.ledger.all_positions()}
        changes, moves = [], []
        for row in uow.planning.all_forecasts():
            cls = classes.get(row["sku"], default_class)
            if cls not in service_levels:
                raise InvalidInput(f"no service level for class {cls!r}", field="classes")
            days = row["body"]["days"]
            target = safety_stock(row["error_sd"], lead_times.get(row["location"], lead_time_days),
                                  service_levels[cls],
                                  daily_demand=sum(d["mean"] for d in days) / max(1, len(days)))
            key = (row["item_id"], row["location_id"])
            delta = target.units - current.get(key, 0)
            changes.append({"sku": row["sku"], "location": row["location"], "class": cls,
                            "from": current.get(key, 0), "to": target.units,
                            "reason": target.reason})
            if delta:
                moves.append(Movement(
                    MovementType.SAFETY_STOCK, key[0], key[1], row["sku"], row["location"],
                    delta, now, SOURCE, f"safety:{batch}:{key[0]}:{key[1]}",
                    payload_hash({"run": row["run_id"], "to": target.units}),
                    reason=target.reason, reference=f"forecast:{row['run_id']}",
                    actor=actor))
        if moves and not dry_run:
            record(uow, moves, now)
            uow.commit()
    changed = [c for c in changes if c["from"] != c["to"]]
    return {"positions": len(changes), "changed": len(changed), "dry_run": dry_run,
            "changes": changed}


MAX_PROPOSALS = 500


def _value(quantity: int, cost: Any) -> float | None:
    return None if cost is None else round(float(cost) * quantity, 2)


def propose(db: Database, policy: Mapping[str, Any] | None = None,
            actor: str | None = None) -> dict[str, Any]:
    """Replenishment and rebalancing proposals for every item from its positions and their
    forecasts (planning/replenishment.py); the open proposals of an earlier run are
    superseded. Rules in `policy["auto_accept"]` accept what they allow at once."""
    policy = dict(policy or {})
    try:
        rules = [AutoRule.from_dict(r) for r in policy.pop("auto_accept", [])]
        settings = Policy.from_dict(policy)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"policy: {e}", field="policy") from None
    now, run_id = db.clock(), str(uuid.uuid4())
    with db.uow() as uow:
        demand = {(f["item_id"], f["location_id"]): _daily(f["body"])
                  for f in uow.planning.all_forecasts()}
        by_item: dict[str, list[PositionPlan]] = {}
        ids: dict[tuple[str, str], tuple[int, int]] = {}
        for p in uow.planning.network_positions():
            key = (p["item_id"], p["location_id"])
            ids[(p["sku"], p["location"])] = key
            by_item.setdefault(p["sku"], []).append(PositionPlan(
                # Safety stock is a target of the plan, not a use of stock: left in.
                p["sku"], p["location"], p["kind"], available(p) + p["safety_stock"],
                p["incoming"],
                p["safety_stock"], demand.get(key, 0.0),
                None if p["unit_cost"] is None else float(p["unit_cost"])))
        found = [x for plans in by_item.values() for x in plan_item(plans, settings)]
        superseded = uow.planning.supersede_open(now)
        rows: list[dict[str, Any]] = []
        for x in found:
            item_id, to_id = ids[(x.sku, x.to_location)]
            cost = next(p.unit_cost for p in by_item[x.sku] if p.location == x.to_location)
            row = {"id": str(uuid.uuid4()), "run_id": run_id, "kind": x.kind,
                   "item_id": item_id, "to_location_id": to_id,
                   "from_location_id": ids[(x.sku, x.from_location)][1]
                   if x.from_location else None,
                   "quantity": x.quantity, "value": _value(x.quantity, cost),
                   "status": "proposed", "why": x.why, "created_at": now}
            rule = next((r for r in rules if r.allows(x, _value(x.quantity, cost))), None)
            if rule is not None:
                row.update(status="accepted", decided_at=now, decided_by=f"rule:{rule.name}")
            rows.append(row)
        uow.planning.add_proposals(rows)
        uow.commit()
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    return {"run_id": run_id, "at": iso(now), "proposals": len(rows), "by_kind": kinds,
            "auto_accepted": sum(1 for r in rows if r["status"] == "accepted"),
            "superseded": superseded}


def _daily(body: Mapping[str, Any]) -> float:
    days = body.get("days") or []
    return sum(d["mean"] for d in days) / len(days) if days else 0.0


def proposal_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "run_id": row["run_id"], "kind": row["kind"], "sku": row["sku"],
            "from_location": row["from_location"], "to_location": row["to_location"],
            "quantity": row["quantity"], "value": row["value"], "status": row["status"],
            "why": row["why"], "created_at": iso(row["created_at"]),
            "decided_at": iso(row["decided_at"]) if row["decided_at"] else None,
            "decided_by": row["decided_by"], "result": row["result"]}


def list_proposals(db: Database, status: str | None = None, kind: str | None = None,
                   limit: int = 100) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        return [proposal_view(r) for r in uow.planning.proposals(status, kind,
                                                                 min(limit, MAX_PROPOSALS))]


def decide_proposal(db: Database, proposal_id: str, accept: bool,
                    actor: str | None = None) -> dict[str, Any]:
    """Accept or reject a proposal that is still open; 409 (InvalidState) otherwise."""
    now = db.clock()
    with db.uow() as uow:
        row = uow.planning.proposal(proposal_id, lock=True)
        if row is None:
            raise NotFound(f"proposal {proposal_id!r} not found", field="id")
        if row["status"] != "proposed":
            raise InvalidState(f"proposal {proposal_id} is {row['status']}, not proposed")
        status = "accepted" if accept else "rejected"
        uow.planning.decide(proposal_id, status=status, decided_at=now, decided_by=actor)
        uow.commit()
        return proposal_view({**row, "status": status, "decided_at": now, "decided_by": actor})
