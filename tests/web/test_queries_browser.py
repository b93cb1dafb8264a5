"""Queries on items and expected forms in a real browser (Debian's Chromium, Playwright), with
screenshots at 1280 and 390 pixels wide under test-artifacts/browser/.

The monitor raises a query from the control beside an item; the site answers it in the list
(htmx swaps the row); the monitor closes it with a note everybody then sees. The data manager
reads the expected forms and the dashboard. No page may log a script error.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import World
from tests.web.test_browser import ARTIFACTS, Session, browser, server, sync_api

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures this module shares with the day in a browser
WIDTHS = (1280, 390)


def _shots(session: Session, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        session.page.set_viewport_size({"width": width, "height": 900})
        session.page.screenshot(path=str(ARTIFACTS / f"q-{name}-{width}.png"), full_page=True)
    session.page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_query_from_the_item_to_its_close_note(server: str, browser: Any, world: World) -> None:
    expect = sync_api.expect
    monitor = Session(browser, server, "monitor")
    page = monitor.page
    page.goto(f"/participants/{world.p1}")
    page.get_by_role("link", name="Raise a query on Operating time").click()
    expect(page.locator("[data-query-value]")).to_contain_text("300")
    _shots(monitor, "1-raise")
    page.get_by_label("Question to the site").fill("The anaesthesia chart says 330 minutes?")
    page.get_by_role("button", name="Raise query").click()
    expect(page.get_by_role("status")).to_contain_text("Query raised")
    expect(page.locator('[data-item-query="operating_time_min"]')).to_contain_text("open")
    _shots(monitor, "2-participant")

    site = Session(browser, server, "inv1")
    spage = site.page
    spage.goto(f"/participants/{world.p1}/records/surgery/edit?key=")
    expect(spage.locator('[data-asked="operating_time_min"]')).to_contain_text("330 minutes?")
    _shots(site, "2a-correct")
    spage.goto(f"/queries?q={world.p1}")
    row = spage.locator("tr[id^=query-]").filter(has_text="anaesthesia chart")
    row.get_by_label("Answer").fill("330, corrected on the form")
    row.get_by_role("button", name="Answer").click()
    expect(row.locator("[data-query-status]")).to_have_text("answered")  # swapped by htmx
    expect(row.get_by_role("button", name="Answer")).to_have_count(0)  # one answer only
    _shots(site, "3-answered")

    page.goto(f"/queries?q={world.p1}&state=answered")
    mrow = page.locator("tr[id^=query-]").filter(has_text="anaesthesia chart")
    mrow.get_by_label("Closing note").fill("agrees with the anaesthesia chart")
    mrow.get_by_role("button", name="Close").click()
    expect(mrow.locator("[data-close-note]")).to_have_text(
        "Note: agrees with the anaesthesia chart"
    )
    expect(mrow.locator("[data-step]")).to_have_count(3)
    _shots(monitor, "4-closed")
    spage.goto(f"/queries?q={world.p1}&state=closed")
    expect(spage.locator("[data-close-note]")).to_contain_text("agrees with the anaesthesia")
    site.close()
    monitor.close()


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_expected_forms_and_the_dashboard(server: str, browser: Any) -> None:
    expect = sync_api.expect
    office = Session(browser, server, "dm")
    page = office.page
    page.goto("/?on=2019-01-01")
    expect(page.get_by_role("heading", name="Expected forms on 2019-01-01")).to_be_visible()
    _shots(office, "5-dashboard")
    page.get_by_role("link", name="All expected forms").click()
    expect(page.locator("[data-expected=overdue]").first).to_be_visible()
    _shots(office, "6-expected")
    page.goto("/queries")
    _shots(office, "7-list")
    office.close()
