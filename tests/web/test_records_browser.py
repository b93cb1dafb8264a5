"""A study's forms in a real browser (Debian's Chromium via Playwright), desktop and phone.

The SYNTHETIC TOY-BP study's pages are generated from its definition: a nurse opens the
participant, enters the baseline form (a branching item appears in the answer only when
asked), is shown every problem at once, and corrects a visit with a reason. Screenshots are
kept under test-artifacts/browser/.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.web.conftest import PASSWORD
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.web.test_records_pages import toy_app  # noqa: F401  (the fixture)
from tests.web.test_workers import free_port

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's Chromium", allow_module_level=True)


@pytest.fixture
def toy_server(toy_app: tuple[FastAPI, str, str]) -> Iterator[tuple[str, str]]:  # noqa: F811
    app, number, _ = toy_app
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
    yield f"http://127.0.0.1:{port}", number
    served.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_nurse_enters_and_corrects_a_studys_forms(
    toy_server: tuple[str, str], viewport: tuple[int, int]
) -> None:
    base, number = toy_server
    expect = sync_api.expect
    errors: list[str] = []
    width, height = viewport
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(base_url=base, viewport={"width": width, "height": height})
        page: Any = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/login")
        page.get_by_label("Username").fill("nurse")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        page.goto(f"/participants/{number}")
        page.get_by_role("link", name="Case report forms").click()
        expect(page.locator("#form-baseline")).to_contain_text("Not entered yet")
        page.locator("#form-baseline").get_by_role("link", name="Enter").click()
        page.get_by_label("Date of baseline visit").fill("2024-01-12")
        page.get_by_label("Systolic blood pressure").fill("400")
        page.get_by_label("Smoking").select_option(label="Current smoker")
        page.get_by_role("button", name="Save").click()
        # Every problem at once: the range and the branch that the answer opened.
        expect(page.locator(".has-error")).to_have_count(2)
        shot = ARTIFACTS / f"toy-baseline-refused-{width}.png"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        page.get_by_label("Systolic blood pressure").fill("158")
        page.get_by_label("Cigarettes per day").fill("10")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#form-baseline")).to_contain_text("Current smoker")
        page.locator("#form-visit").get_by_role("link", name="Enter").click()
        page.get_by_label("Week").fill("12")
        page.get_by_label("Date of visit").fill("2024-04-05")
        page.get_by_label("Systolic blood pressure").fill("138")
        page.get_by_label("Adherence").select_option(label="Took 80% or more of doses")
        page.get_by_role("button", name="Save").click()
        visit = page.locator("#form-visit")
        expect(visit).to_contain_text("84")  # days since baseline, computed
        visit.get_by_role("link", name="Correct").click()
        page.get_by_label("Systolic blood pressure").fill("136")
        page.get_by_label("Reason for the change").fill("re-read from the chart")
        page.get_by_role("button", name="Save the correction").click()
        expect(page.locator("#form-visit")).to_contain_text("136 mmHg")
        page.screenshot(path=str(ARTIFACTS / f"toy-records-{width}.png"), full_page=True)
        context.close()
        browser.close()
    assert errors == []
