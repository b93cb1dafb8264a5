"""The protocol versions page in Chromium: the administrator picks the amended files (read by the
page's script, sent as text), checks, records; screenshots at 1280 and 390 px wide are kept
under test-artifacts/browser/."""

from __future__ import annotations

from typing import Any

import pytest

from cairo6.study.loader import bundled_study_folder
from tests.web.test_browser import Session, browser, server, sync_api  # noqa: F401

pytestmark = pytest.mark.browser
PHASE3 = bundled_study_folder("cairo6") / "amendments" / "phase3"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_amendment_recorded_in_a_browser(server: str, browser: Any) -> None:  # noqa: F811
    expect = sync_api.expect
    admin = Session(browser, server, "admin")
    page = admin.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Protocol versions").click()
    expect(page.get_by_role("heading", name="Protocol versions")).to_be_visible()
    # With script the picker replaces the paste field.
    expect(page.get_by_label("Its amended text")).to_be_hidden()
    page.get_by_label("Amended definition files").set_input_files(sorted(PHASE3.glob("*.toml")))
    expect(page.locator("#amend-files-list")).to_contain_text("protocol.toml")
    page.get_by_label("Effective from").fill("2020-01-01")
    page.get_by_label("Reason").fill("Phase 3 amendment approved by the ethics committee")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="Check of version 2")).to_be_visible()
    expect(page.get_by_text("minimisation factor hipec_drug dropped")).to_be_visible()
    admin.shot("amend-check-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    admin.shot("amend-check-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The checked files come back with the page: "Record" records what was checked.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("#amend-files-list")).to_contain_text("Checked: analysis.toml")
    page.get_by_role("button", name="Record amendment").click()
    expect(page.get_by_role("status")).to_contain_text("Amendment recorded")
    expect(page.get_by_role("cell", name="2 (in force)")).to_be_visible()
    admin.shot("amend-versions-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    admin.shot("amend-versions-390")
    admin.close()
