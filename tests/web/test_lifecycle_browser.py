"""The form lifecycle in a real browser (Debian's Chromium via Playwright), desktop and phone.

On the SYNTHETIC toy study: the research nurse completes a visit, the investigator signs it
with the password, the monitor verifies it item by item, a correction voids the signature
("Re-signing needed"), the data manager locks the database and the reports page then says
FINAL. Screenshots are kept under test-artifacts/browser/.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.service.test_lifecycle import Toy
from tests.web.conftest import PASSWORD
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.web.test_lifecycle_pages import lifecycle_app  # noqa: F401  (the fixture)
from tests.web.test_workers import free_port

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's Chromium", allow_module_level=True)


@pytest.fixture
def server(lifecycle_app: tuple[FastAPI, Toy]) -> Iterator[tuple[str, str]]:  # noqa: F811
    app, toy = lifecycle_app
    port = free_port()
    served = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    )
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not served.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", toy.number
    served.should_exit = True
    thread.join(timeout=10)


def _sign_in(browser: Any, base: str, size: dict[str, int], username: str) -> Any:
    context = browser.new_context(base_url=base, viewport=size)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


def _no_sideways_scroll(page: Any) -> None:
    # The page fits the screen: wide tables scroll inside their own region, never the page.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_complete_sign_verify_void_and_lock(
    server: tuple[str, str], viewport: tuple[int, int]
) -> None:
    base, number = server
    expect = sync_api.expect
    width, height = viewport
    size = {"width": width, "height": height}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str) -> None:
        _no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"lifecycle-{name}-{width}.png"), full_page=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        nurse = _sign_in(browser, base, size, "nurse")
        nurse.goto(f"/participants/{number}")
        visit = nurse.locator("#form-visit")
        expect(visit.locator("[data-record-status]")).to_have_text("In progress")
        visit.get_by_role("link", name="Status and sign-off").click()
        nurse.get_by_role("button", name="Mark complete").click()
        expect(nurse.locator("h1 [data-record-status]")).to_have_text("Complete")
        shot(nurse, "record-complete")

        inv = _sign_in(browser, base, size, "inv")
        inv.goto(f"/participants/{number}")
        inv.locator("#form-visit").get_by_role("link", name="Status and sign-off").click()
        inv.get_by_role("link", name="Sign this visit").click()
        expect(inv.locator("#meaning")).to_contain_text("Meaning of this signature")
        shot(inv, "sign")
        inv.get_by_label("Your password").fill(PASSWORD)
        inv.get_by_role("button", name="Sign", exact=True).click()
        expect(inv.locator("h1 [data-record-status]")).to_have_text("Signed")
        expect(inv.get_by_text("Dr inv")).to_be_visible()

        monitor = _sign_in(browser, base, size, "monitor")
        monitor.goto(f"/participants/{number}")
        monitor.locator("#form-visit").get_by_role("link", name="Status and sign-off").click()
        monitor.get_by_role("link", name="Verify against the source").click()
        boxes = monitor.locator("table.sdv input[type=checkbox]")
        expect(boxes).to_have_count(4)
        monitor.get_by_label("Week").check()
        monitor.get_by_role("button", name="Verify the form").click()
        # Not every item checked: refused, the tick kept, the others named.
        expect(monitor.locator(".problems")).to_contain_text("Systolic blood pressure")
        expect(monitor.get_by_label("Week")).to_be_checked()
        for i in range(4):
            boxes.nth(i).check()
        shot(monitor, "sdv")
        monitor.get_by_role("button", name="Verify the form").click()
        expect(monitor.locator(".notice")).to_contain_text("Verified against the source")
        # Signed and verified: the badge shows the furthest step, signed.
        expect(monitor.locator("h1 [data-record-status]")).to_have_text("Signed")

        nurse.goto(f"/participants/{number}")
        nurse.locator("#form-visit").get_by_role("link", name="Correct").click()
        nurse.get_by_label("Systolic blood pressure").fill("139")
        nurse.get_by_label("Reason for the change").fill("transcription error")
        nurse.get_by_role("button", name="Save the correction").click()
        inv.goto(f"/participants/{number}")
        expect(inv.locator("p[data-resign]")).to_contain_text("Re-signing needed")
        expect(inv.locator("[data-signature=voided]")).to_contain_text("transcription error")
        expect(inv.locator("#form-visit [data-resign]")).to_be_visible()
        shot(inv, "participant-resign")

        dm = _sign_in(browser, base, size, "dm")
        dm.goto("/reports")
        expect(dm.locator("[data-report-status]")).to_have_text("INTERIM")
        dm.get_by_role("link", name="Database lock").click()
        dm.get_by_label("Reason to lock").fill("final analysis")
        dm.get_by_role("button", name="Lock the database").click()
        expect(dm.locator("[data-db-lock]")).to_have_text("Locked")
        shot(dm, "database-lock")
        dm.goto("/reports")
        expect(dm.locator("[data-report-status]")).to_have_text("FINAL")
        expect(dm.locator("p.data-status")).to_contain_text("FINAL: database locked on")
        shot(dm, "reports-final")
        browser.close()
