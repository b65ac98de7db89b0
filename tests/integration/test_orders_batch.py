"""`omnistock route --batch FILE`: a backlog planned as one wave, then optionally placed."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from omnistock.cli.orders import route
from omnistock.services.orders import get_order, plan_waves, read_backlog
from omnistock.services.verify import verify

from .test_orders import LYON, PARIS, buckets, retailer


def backlog_lines() -> list[str]:
    orders = [{"order_id": f"W-{i}", "channel": "web", "lines": [{"sku": "A", "quantity": 1}],
               "delivery": LYON if i % 2 else PARIS} for i in range(6)]
    return [json.dumps(o) for o in orders] + [
        "not json", json.dumps({"order_id": "W-0", "channel": "web", "lines": [],
                                "delivery": LYON})]


def test_a_backlog_is_planned_jointly_against_capacity(db):
    retailer(db, {("A", "S1"): 10, ("A", "DC"): 10}, capacity={"S1": 2, "DC": 3})
    backlog = read_backlog(backlog_lines())
    assert len(backlog.requests) == 6
    assert [r.get("line") for r in backlog.rejected] == [7, 8]
    [wave] = plan_waves(db, backlog)
    summary = wave.summary()
    assert summary["served"] == 5  # 2 + 3 shipments of capacity today
    assert summary["total_cost"] <= summary["one_by_one_cost"]
    assert len(summary["unserved"]) == 1


def test_the_route_command_prints_the_comparison_and_applies(db, tmp_path):
    retailer(db, {("A", "S1"): 10, ("A", "DC"): 10})
    path = tmp_path / "backlog.jsonl"
    path.write_text("\n".join(backlog_lines()[:6]) + "\n")
    app = typer.Typer()
    app.command()(route)
    url = db.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    planned = runner.invoke(app, ["--batch", str(path), "--json", "--database-url", url])
    assert planned.exit_code == 0, planned.output
    result = json.loads(planned.stdout)
    assert result["waves"][0]["served"] == 6
    assert result["applied"] == []
    applied = runner.invoke(app, ["--batch", str(path), "--apply", "--database-url", url])
    assert applied.exit_code == 0, applied.output
    assert "one by one" in applied.stdout and "placed 6" in applied.stdout
    strategy = get_order(db, "W-1")["explanation"]["strategy"]
    assert strategy == ("batch_milp" if result["waves"][0]["strategy"] == "batch_milp"
                        else "milp")
    assert buckets(db, "A", "S1")["committed"] + buckets(db, "A", "DC")["committed"] == 6
    assert verify(db) == []
    again = runner.invoke(app, ["--batch", str(path), "--json", "--database-url", url])
    assert len(json.loads(again.stdout)["rejected"]) == 6  # already placed
