"""In Chromium: a blinded central reviewer works through the review and sees no arm anywhere.

The radiology reviewer signs in, reads the dashboard (the reviews still to do), the participant
list and page, the worklist, and records a review from it; no page shows an arm's code or label
or a record of a form that reveals the arm, and each page passes axe-core. The data manager's
view of the same participant shows the arm, so the check can fail. Screenshots at 1280 and
390 px are kept under test-artifacts/browser/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.a11y import assert_accessible
from tests.web.conftest import SECRET_TERM, World
from tests.web.test_blinded import arm_pattern, titles
from tests.web.test_browser import ARTIFACTS, Session, sync_api
from tests.web.test_browser import browser as browser
from tests.web.test_browser import server as server

pytestmark = pytest.mark.browser


def _shown(page: Any, world: World) -> list[str]:
    """The arm words (and a revealing form's secret) in what the page shows and holds."""
    return _words(page.content(), world)


def _words(text: str, world: World) -> list[str]:
    for title in titles(world.site.trial):
        text = text.replace(title, "")
    found = arm_pattern(world.site.trial).findall(text)
    return found + ([SECRET_TERM] if SECRET_TERM in text else [])


def _shots(session: Session, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        session.page.set_viewport_size({"width": width, "height": 900})
        session.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    session.page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_blinded_reviewer_sees_no_arm_in_the_browser(
    server: str, browser: Any, world: World
) -> None:
    expect = sync_api.expect
    reviewer = Session(browser, server, "radiologist")
    page = reviewer.page
    seen: dict[str, list[str]] = {}

    def check(name: str) -> None:
        seen[page.url] = _shown(page, world)
        assert_accessible(page, f"radiologist {name}")
        _shots(reviewer, f"blinded-{name}")

    expect(page.locator("[data-pending]")).to_have_count(1)
    assert page.get_by_text("Windows due or overdue").count() == 0
    check("dashboard")
    page.get_by_role("link", name="Participants").first.click()
    expect(page.get_by_role("columnheader", name="Arm")).to_have_count(0)
    check("participants")
    page.get_by_role("link", name=world.p1).click()
    expect(page.get_by_text("not shown (blinded review)")).to_be_visible()
    expect(page.locator("#form-toxicity")).to_have_count(0)
    check("participant")
    page.goto("/review/radiology")
    check("worklist")
    page.goto(f"/participants/{world.p1}/records/radiology/new?timepoint=restaging")
    page.get_by_label("Date of CT").fill("2018-03-20")
    page.get_by_label("Radiologic PCI").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("aved")
    check("saved")
    for url in (f"/api/participants/{world.p1}", f"/api/participants/{world.p1}/records"):
        seen[url] = _words(reviewer.context.request.get(url).text(), world)
    leaks = {url: words for url, words in seen.items() if words}
    assert not leaks, f"the blinded reviewer was shown the allocation: {leaks}"
    reviewer.close()

    manager = Session(browser, server, "dm")
    manager.page.goto(f"/participants/{world.p1}")
    assert _shown(manager.page, world), "the data manager sees the arm on the same page"
    manager.close()
