"""The Transfers view in headless Chromium against a real server on the seeded demo
retailer: what is in transit, from and to where, when it is due, late ones marked, each line,
and a receipt taking a transfer off the list without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from omnistock.services.availability import availability

from .conftest_dashboard import Dashboard, artefact, browser_type_launch_args, dashboard

__all__ = ["browser_type_launch_args", "dashboard"]  # fixtures, imported to be found here
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboard")]
LIVE_WITHIN_MS = 10_000


def stocked_at_dc(d: Dashboard, count: int) -> list[str]:
    """Skus the DC has at least 5 of available."""
    found = []
    for sku in d.network.skus:
        rows = availability(d.db, sku)["locations"]
        if any(r["location"] == d.network.dc and r["available"] >= 5 for r in rows):
            found.append(sku)
        if len(found) == count:
            return found
    pytest.fail("the seeded DC holds too few items")


def shipped_transfer(d: Dashboard, sku: str, to: str, due: datetime, quantity: int = 3,
                     ship: bool = True) -> dict:
    with d.client() as c:
        made = c.post("/v1/transfers", json={
            "from_location": d.network.dc, "to_location": to,
            "lines": [{"sku": sku, "quantity": quantity}], "expected_at": due.isoformat()})
        assert made.status_code == 201, made.text
        if not ship:
            return made.json()
        shipped = c.post(f"/v1/transfers/{made.json()['id']}/ship")
        assert shipped.status_code == 200, shipped.text
        return shipped.json()


def row(page: Page, transfer: dict):
    return page.locator(f'table.transfers tr[data-transfer="{transfer["id"]}"]')


def test_transfers_in_transit_with_late_ones_marked_and_live_receipts(page: Page, dashboard):
    d = dashboard
    now = datetime.now(UTC)
    first, second, third = stocked_at_dc(d, 3)
    store, other = d.network.stores[0], d.network.stores[1]
    late = shipped_transfer(d, first, store, now - timedelta(days=1))
    due = shipped_transfer(d, second, other, now + timedelta(days=2), quantity=2)
    waiting = shipped_transfer(d, third, store, now + timedelta(days=1), ship=False)

    page.goto(d.url() + "#transfers")
    expect(page.locator("#live")).to_have_text("live", timeout=15_000)
    expect(page.get_by_role("tab", name="Transfers")).to_have_attribute("aria-selected",
                                                                          "true")
    expect(row(page, late)).to_have_class("late")
    expect(row(page, late).locator(".st-late")).to_have_text("late")
    expect(row(page, late).locator(f'li[data-sku="{first}"]')).to_have_text(
        f"{first}: 3 of 3")
    expect(row(page, due)).not_to_have_class("late")
    expect(row(page, due).locator(".st-late")).to_have_count(0)
    expect(row(page, due).locator("td.expected")).to_contain_text(
        str((now + timedelta(days=2)).year))
    with d.client() as c:
        to_name = c.get(f"/v1/locations/{other}").json()["name"]
    expect(row(page, due).locator("td").nth(1)).to_have_text(to_name)
    expect(row(page, waiting)).to_have_count(0)  # not on its way yet
    page.screenshot(path=artefact("dashboard-transfers.png"), full_page=True)

    page.evaluate("window.__same_page = true")
    with d.client() as c:
        got = c.post(f"/v1/transfers/{due['id']}/receive",
                     json={"lines": [{"sku": second, "quantity": 2}]})
        assert got.status_code == 200, got.text
    expect(row(page, due)).to_have_count(0, timeout=LIVE_WITHIN_MS)
    expect(row(page, late)).to_be_visible()
    assert page.evaluate("window.__same_page") is True  # no reload

    page.select_option("#transfers-location", other)
    expect(page.locator("#transfers")).to_contain_text("No transfer matches")
    page.select_option("#transfers-status", "received")
    expect(row(page, due)).to_be_visible()
    page.select_option("#transfers-location", "")
    page.select_option("#transfers-status", "requested")
    expect(row(page, waiting)).to_be_visible()
