"""In a real browser (Debian's Chromium, driven by Playwright): the site's, the pathologist's
and the data manager's day, with screenshots kept under test-artifacts/browser/.

An investigator signs in, logs a screened patient, completes the eligibility checklist,
randomises, records surgery with the PCI grid (whose total the page adds up as the scores are
chosen) and sees the treatment calendar; the pathology reviewer grades pathology from the
worklist; the data manager raises a query and closes it. No page may log a script error
(the Content-Security-Policy allows only the package's own scripts).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from cairo6.scoring import Region
from tests.service.conftest import PATIENT
from tests.web.conftest import PASSWORD
from tests.web.test_workers import free_port

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's Chromium at /usr/bin/chromium; enable them with "
        "`apt-get install -y chromium`",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package (pip install)"
)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not served.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Session:
    """One user's browser tab, with every script error it logs."""

    def __init__(self, browser: Any, base: str, username: str) -> None:
        self.context = browser.new_context(base_url=base)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        self.page.goto("/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.errors == []


def _checklist(page: Any) -> None:
    for field, value in PATIENT.items():
        box = page.locator(f"#c-{field}")
        if isinstance(value, bool):
            box.select_option("true" if value else "false")
        elif box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(str(value))
        else:
            box.fill(str(value))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_day_at_the_trial_in_a_browser(server: str, browser: Any) -> None:
    expect = sync_api.expect
    site = Session(browser, server, "inv1")
    page = site.page
    page.get_by_role("link", name="Screening").click()
    page.get_by_label("Date screened").fill("2018-01-10")
    page.get_by_label("Approached for the trial").select_option("true")
    page.get_by_label("Refused participation").select_option("false")
    page.get_by_role("button", name="Add to the screening log").click()
    expect(page.get_by_role("status")).to_contain_text("Screening entry added")
    page.get_by_label("Date assessed").fill("2018-01-10")
    _checklist(page)
    page.get_by_role("button", name="Assess eligibility").click()
    expect(page.locator("h2 .ok")).to_have_text("eligible")
    site.shot("1-eligibility")
    page.get_by_role("link", name="Randomise…").click()
    page.get_by_label("Date of enrolment").fill("2018-01-12")
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Randomise now").click()
    expect(page.locator("[data-study-number]")).to_have_text("CAIRO6-C01-001")
    site.shot("2-allocation")
    page.get_by_role("link", name="Open the participant's record").click()
    page.locator("#form-surgery").get_by_role("link", name="Enter").click()
    page.get_by_label("Date of surgery").fill("2018-04-20")
    page.get_by_label("Procedure").select_option("crs_hipec")
    total = page.locator("[data-pci-total]")
    for region in Region:
        page.locator(f"#f-pci_{region.id}").select_option("1")
    expect(total).to_have_text("13")
    page.locator("#f-pci_pelvis").select_option("3")
    expect(total).to_have_text("15")  # added up by the page as the scores are chosen
    page.get_by_label("Completeness of cytoreduction (CC-0..3)").fill("0")
    page.get_by_label("Primary tumour resected").select_option("false")
    page.get_by_label("Bowel anastomosis").select_option("true")
    page.get_by_label("Ostomy formed").select_option("false")
    page.get_by_label("HIPEC given").select_option("mitomycin_c")
    site.shot("3-surgery-pci-grid")
    page.get_by_role("button", name="Save").click()
    computed = page.locator("#form-surgery dt", has_text="PCI total (computed)")
    expect(computed.locator("xpath=following-sibling::dd[1]")).to_have_text("15")  # the server's
    expect(page.locator("#form-surgery")).to_contain_text("Mitomycin C")  # labels, not codes
    page.goto("/participants/CAIRO6-C01-001?on=2018-05-01")
    expect(page.get_by_role("heading", name="Treatment calendar on 2018-05-01")).to_be_visible()
    expect(page.locator("[data-window-status]").first).to_be_visible()
    site.shot("4-calendar")
    site.close()

    pathology = Session(browser, server, "pathologist")
    page = pathology.page
    page.get_by_role("link", name="Pathology review").click()
    page.get_by_role("link", name="peritoneal").click()
    page.locator("#f-evaluable").select_option("true")
    page.get_by_label("Mandard TRG").fill("2")
    page.get_by_label("PRGS per biopsy (1-4)").fill("2, 3")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#form-pathology")).to_contain_text("2, 3")
    pathology.shot("5-pathology")
    pathology.close()

    office = Session(browser, server, "dm")
    page = office.page
    page.goto("/participants/CAIRO6-C01-001")
    page.locator("#q-form").select_option("surgery")
    expect(page.locator('#q-field option[value="cc_score"]')).to_have_count(1)  # from htmx
    page.locator("#q-field").select_option("cc_score")
    page.get_by_label("Question").fill("Was it CC-0 in the operation note?")
    page.get_by_role("button", name="Raise query").click()
    expect(page.get_by_role("status")).to_contain_text("Query raised")
    page.get_by_role("link", name="Answer or close queries").click()
    row = page.locator("tr[id^=query-]").first
    row.get_by_role("button", name="Close").click()
    expect(page.locator("[data-query-status]").first).to_have_text("closed")  # swapped by htmx
    office.shot("6-query-closed")
    office.close()
