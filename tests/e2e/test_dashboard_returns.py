"""The dashboard's returns view (what came back and the disposition decided for it, and the
associate's form to record one) and the try-in-store holds on the store's work list, in
headless Chromium against a real server on the seeded SQLite database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from omnistock.services.availability import availability
from omnistock.services.returns import ReturnRequest, record_return
from omnistock.services.verify import verify

from .conftest_dashboard import Dashboard, artefact, browser_type_launch_args, dashboard

__all__ = ["browser_type_launch_args", "dashboard"]  # fixtures, imported to be found here
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboard")]


def sign_in(page: Page, d: Dashboard, key: str | None = None, fragment: str = "") -> None:
    page.goto(d.url(key) + fragment)
    expect(page.locator("#live")).to_have_text("live", timeout=15_000)


def on_hand(d: Dashboard, sku: str, code: str) -> dict:
    return next((r for r in availability(d.db, sku)["locations"] if r["location"] == code),
                {"on_hand": 0, "damaged": 0, "reserved": 0})


def test_returns_are_listed_with_their_dispositions(page: Page, dashboard):
    code = dashboard.network.associate_store
    sku = dashboard.network.ranged[code][5]
    made = [record_return(dashboard.db, ReturnRequest(sku, 1, code, c, reason="e2e")).view
            for c in ("sellable", "defective", "open_box")]
    sign_in(page, dashboard, fragment="#returns")
    expect(page.locator("#view-returns")).to_be_visible()
    for view in made:
        row = page.locator(f'#returns tr[data-key="{view["id"]}"]')
        expect(row).to_be_visible()
        expect(row.locator(".disposition")).to_have_attribute(
            "data-action", view["disposition"]["action"])
        expect(row).to_contain_text(view["disposition"]["reason"])
    expect(page.locator(f'#returns tr[data-key="{made[1]["id"]}"]')).to_contain_text("to vendor")
    page.screenshot(path=artefact("dashboard-returns.png"), full_page=True)


def test_an_associate_records_a_damaged_return_and_sees_it_live(page: Page, dashboard):
    page.set_viewport_size({"width": 390, "height": 844})
    code = dashboard.network.associate_store
    sku = dashboard.network.ranged[code][6]
    before = on_hand(dashboard, sku, code)
    sign_in(page, dashboard, key=dashboard.associate, fragment="#returns")
    expect(page.locator("#returns-location")).to_be_disabled()
    page.get_by_label("SKU", exact=True).fill(sku)
    page.get_by_label("Units", exact=True).fill("2")
    page.get_by_label("Condition").select_option("damaged")
    page.get_by_label("Customer's reason (optional)").fill("cracked")
    page.get_by_role("button", name="Record return").click()
    expect(page.locator("#return-result")).to_contain_text("Recorded: damaged")
    row = page.locator("#returns tbody tr", has_text="cracked").first
    expect(row.locator(".disposition")).to_have_attribute("data-action", "damaged")
    after = on_hand(dashboard, sku, code)
    assert (after["on_hand"] - before["on_hand"], after["damaged"] - before["damaged"]) == (2, 2)
    # one recorded elsewhere shows up without a reload
    other = record_return(dashboard.db, ReturnRequest(sku, 1, code, "open_box",
                                                      reason="seen live")).view
    expect(page.locator(f'#returns tr[data-key="{other["id"]}"]')).to_be_visible(timeout=10_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the returns view scrolls sideways on a phone"
    assert verify(dashboard.db) == []


def test_try_in_store_holds_are_on_the_work_list_until_bought(page: Page, dashboard):
    code = dashboard.network.associate_store
    sku = next(s for s in dashboard.network.ranged[code]
               if on_hand(dashboard, s, code).get("available", 0) >= 2)
    collect_by = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    with dashboard.client() as c:
        made = c.post("/v1/try-in-store", json={
            "sku": sku, "location": code, "quantity": 1, "collect_by": collect_by.isoformat(),
            "customer": {"name": "Mary Somerville", "phone": "+44 20 7946 0001"}})
        assert made.status_code == 201, made.text
        declined = c.post("/v1/try-in-store", json={
            "sku": sku, "location": code, "quantity": 1,
            "customer": {"name": "Charles Babbage"}}).json()
    hold = made.json()
    before = on_hand(dashboard, sku, code)
    sign_in(page, dashboard, key=dashboard.associate, fragment="#work")
    card = page.locator(f'#holds li.card[data-hold="{hold["id"]}"]')
    expect(page.locator("#holds-title")).to_have_text("Try-in-store holds")
    expect(card).to_contain_text("Mary Somerville")
    expect(card.locator(".collect-by")).to_contain_text("collect by")
    page.screenshot(path=artefact("dashboard-work-holds.png"), full_page=True)
    card.get_by_role("button", name="Bought").click()
    expect(card).to_have_count(0)
    other = page.locator(f'#holds li.card[data-hold="{declined["id"]}"]')
    other.get_by_role("button", name="Declined").click()
    expect(other).to_have_count(0)
    with dashboard.client() as c:
        assert c.get(f"/v1/try-in-store/{hold['id']}").json()["status"] == "converted"
        assert c.get(f"/v1/try-in-store/{declined['id']}").json()["status"] == "cancelled"
    after = on_hand(dashboard, sku, code)
    assert (before["on_hand"] - after["on_hand"], before["reserved"] - after["reserved"]) == (1, 2)
    with dashboard.client() as c:  # one made meanwhile by the web shop appears without a reload
        late = c.post("/v1/try-in-store", json={"sku": sku, "location": code, "quantity": 1,
                                                "customer": {"name": "Alan Turing"}}).json()
    expect(page.locator(f'#holds li.card[data-hold="{late["id"]}"]')).to_contain_text(
        "Alan Turing", timeout=10_000)
    with dashboard.client() as c:
        assert c.post(f"/v1/try-in-store/{late['id']}/cancel").status_code == 200
    assert verify(dashboard.db) == []
