"""What people read, in a real browser (Debian's Chromium via Playwright), desktop and phone.

On the CAIRO6 test site (SYNTHETIC patients): a long screening log searched and paged, the
eligibility of an anaemic patient in clinicians' words, a participant's page and audit trail
with labels and dates in the browser's locale, and a refused cycle form with every problem at
once; on the SYNTHETIC TOY-BP trial, the warning before randomising past the accrual target
and the allocation's time. At 390 px no page is wider than the screen and a list's link stays
in view while its table scrolls. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from cairo6.service import enrolment, web_support
from tests.service.conftest import PATIENT
from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.web.test_workers import free_port
from tests.web.toy_site import toy_site

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's Chromium", allow_module_level=True)

VIEWPORTS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


def _serve(app: FastAPI) -> Iterator[str]:
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
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def cairo6_server(app: FastAPI, world: World) -> Iterator[tuple[str, World, str]]:
    """The CAIRO6 site with 60 more screening entries and one anaemic patient assessed."""
    trial, dm = world.site.trial, world.site.dm
    for i in range(60):
        enrolment.add_screening(
            trial,
            dm,
            "C01" if i % 3 else "C02",
            {"screened_on": "2018-02-01", "approached": True, "refused": False},
        )
    anaemic = world.screened(assessed=False)
    checklist = {**PATIENT, "hemoglobin_mmol_l": 5.4}
    checklist.pop("platelets_10e9_l", None)
    enrolment.assess_eligibility(trial, dm, anaemic, checklist, dt.date(2018, 1, 10))
    for base in _serve(app):
        yield base, world, anaemic


def _browser(playwright: Any, base: str, width: int) -> tuple[Any, Any]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    context = browser.new_context(
        base_url=base,
        viewport={"width": width, "height": 900},
        locale="en-GB",
        timezone_id="Europe/Amsterdam",
    )
    return browser, context


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def _shot(page: Any, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ux-{name}-{width}.png"), full_page=True)


def _fits(page: Any, width: int) -> None:
    """Nothing makes the page wider than the window (tables scroll inside their region)."""
    wide = page.evaluate("document.scrollingElement.scrollWidth")
    # What sticks out, for the message: each element, its width and its first words.
    culprits = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 8)
            .map(e => [e.tagName, e.className, Math.round(e.getBoundingClientRect().width),
                       e.textContent.slice(0, 20)].join(' '))""",
        width,
    )
    assert wide <= width, f"{page.url} is {wide} px wide at {width} px: {culprits}"


def _link_stays_in_view(page: Any, region: str, width: int) -> None:
    """Scrolled to its far right, a list's first column (the link) is still on screen."""
    scroller = page.get_by_role("region", name=region)
    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    link = scroller.locator("tbody th[scope=row] a").first
    box = link.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width


@VIEWPORTS
def test_lists_eligibility_records_and_audit_read_well(
    cairo6_server: tuple[str, World, str], width: int
) -> None:
    base, world, anaemic = cairo6_server
    expect = sync_api.expect
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser, context = _browser(playwright, base, width)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, "dm")

        page.goto("/screening?per=25")
        total = len(web_support.screening_log(world.site.trial, world.site.dm, limit=None))
        assert total > 60
        expect(page.locator("[data-list-count]")).to_contain_text(f"1–25 of {total} entries")
        page.locator("#list-centre").select_option("C02")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("[data-list-count]")).to_contain_text(f"matching (of {total})")
        _fits(page, width)
        _link_stays_in_view(page, "Screening log", width)
        _shot(page, "screening", width)

        page.goto(f"/screening/{anaemic}")
        anaemia = page.locator("tr", has_text="Haemoglobin below 6.0 mmol/L")
        expect(anaemia).to_contain_text("excluded")
        expect(anaemia).to_contain_text("Haemoglobin: 5.4 mmol/L")
        expect(page.locator("tr", has_text="Age 18 years or older")).to_contain_text("meets")
        expect(page.locator("tr", has_text="Platelets below 100")).to_contain_text(
            "not assessable: enter Platelet count"
        )
        expect(page.locator("table.verdicts")).not_to_contain_text("hemoglobin_mmol_l")
        _fits(page, width)
        _shot(page, "eligibility", width)

        page.goto("/participants")
        _fits(page, width)
        _link_stays_in_view(page, "Participants", width)
        _shot(page, "participants", width)

        page.goto(f"/participants/{world.p1}")
        # Dates are rewritten in the browser's locale (en-GB here), never left as ISO text.
        enrolled = page.locator("dl.facts time").first
        expect(enrolled).to_have_attribute("data-shown", "")
        expect(enrolled).to_have_text("12 Jan 2018")
        expect(page.locator("#form-surgery")).to_contain_text("20 Apr 2018")
        expect(page.locator("#form-surgery")).to_contain_text("Mitomycin C")
        _fits(page, width)
        _shot(page, "participant", width)

        page.goto(f"/participants/{world.p1}/audit")
        trail = page.get_by_role("region", name="Audit history")
        expect(trail).to_contain_text("Surgery")
        expect(trail).to_contain_text("Completeness of cytoreduction")
        page.get_by_label("Record").select_option("Surgery")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("[data-list-count]")).to_contain_text("matching")
        expect(trail.locator("tbody time").first).to_have_attribute("data-shown", "")
        _fits(page, width)
        _shot(page, "audit", width)

        page.goto(f"/participants/{world.p1}/records/cycle/new")
        page.get_by_label("Phase").select_option(label="Adjuvant")
        page.locator("#f-regimen").select_option("CAPOX-B")
        page.get_by_label("Cycle number").fill("1")
        future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        page.get_by_label("Day 1 of the cycle").fill(future)
        page.get_by_label("Doses given per drug").fill("oxaliplatin = lots")
        page.get_by_label("Bevacizumab given").select_option("true")
        page.get_by_role("button", name="Save").click()
        for item in ("doses", "regimen", "given_on"):
            expect(page.locator(f"#{item}-error")).to_be_visible()
        _fits(page, width)
        _shot(page, "cycle-refused", width)

        page.goto("/")
        _fits(page, width)
        _shot(page, "dashboard", width)
        context.close()
        context = browser.new_context(base_url=base, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, "admin")
        page.goto("/admin/users?role=investigator")
        expect(page.locator("[data-list-count]")).to_contain_text("matching")
        expect(page.get_by_role("region", name="User accounts")).to_contain_text("inv1")
        expect(page.get_by_role("region", name="User accounts")).not_to_contain_text("monitor")
        _fits(page, width)
        _shot(page, "users", width)
        page.goto("/admin/centres")
        _fits(page, width)
        _shot(page, "centres", width)

        context.close()
        browser.close()
    assert errors == []


@pytest.fixture
def toy_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    toy = toy_site(tmp_path, target=1)
    toy.randomised()
    number = toy.screened()
    for base in _serve(toy.app):
        yield base, number


@VIEWPORTS
def test_randomising_past_the_target_warns_and_the_time_reads_locally(
    toy_server: tuple[str, str], width: int
) -> None:
    base, number = toy_server
    expect = sync_api.expect
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser, context = _browser(playwright, base, width)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, "nurse")
        page.goto(f"/screening/{number}/randomise")
        expect(page.locator("[data-next-number]")).to_have_text("2")
        expect(page.locator(".warning")).to_contain_text("target of 1 is already reached")
        page.get_by_label("Date of enrolment").fill("2024-01-12")
        page.get_by_label("I confirm that the patient has consented").check()
        _fits(page, width)
        _shot(page, "randomise-past-target", width)
        page.get_by_role("button", name="Randomise now").click()
        # The browser holds the form back until the target box is ticked too (the server
        # refuses it as well: tests/web/test_entry_answers.py).
        expect(page.locator("#past_target:invalid")).to_have_count(1)
        expect(page.locator(".allocation")).to_have_count(0)
        page.get_by_label("I confirm randomising participant 2").check()
        page.get_by_role("button", name="Randomise now").click()
        stamp = page.locator(".allocation time")
        expect(stamp).to_have_attribute("data-shown", "")
        text = stamp.inner_text()
        assert not re.search(r"\d{4}-\d\d-\d\dT", text)  # never raw ISO
        assert text.endswith(("CET", "GMT+1"))  # the browser's own zone (Europe/Amsterdam)
        assert str(dt.datetime.now(dt.UTC).year) in text
        _fits(page, width)
        _shot(page, "randomised", width)
        context.close()
        browser.close()
    assert errors == []
