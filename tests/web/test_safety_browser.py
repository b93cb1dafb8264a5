"""An SAE in a real browser (Debian's Chromium via Playwright), desktop and phone: the
investigator enters a serious adverse event (a misspelt term is refused with a suggestion),
the app's clock is moved 25 hours on (not slept), and the data manager finds the report
overdue on the dashboard and the safety list; the site then sends its initial report.
Screenshots are kept under test-artifacts/browser/.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.service.smtp_sink import Sink, smtp_sink
from tests.web.conftest import PASSWORD, World
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.web.test_safety_pages import AWARE, Clock
from tests.web.test_workers import free_port

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's Chromium", allow_module_level=True)

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def served(world: World) -> Iterator[tuple[str, Clock, Sink]]:
    clock = Clock(AWARE + dt.timedelta(minutes=10))
    with smtp_sink() as (sink, mail):
        app = create_app(world.site.trial.db, WebSettings(mail=mail), now=clock)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", clock, sink
        server.should_exit = True
        thread.join(timeout=10)


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_an_sae_is_entered_and_is_overdue_24_hours_later(
    served: tuple[str, Clock, Sink], world: World, viewport: tuple[int, int]
) -> None:
    base, clock, sink = served
    expect = sync_api.expect
    width, height = viewport
    errors: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for username in ("inv1", "dm"):
            context = browser.new_context(
                base_url=base, viewport={"width": width, "height": height}
            )
            page: Any = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            _sign_in(page, username)
            if username == "inv1":
                page.goto(f"/participants/{world.p1}/records/toxicity/new")
                page.get_by_label("Adverse event as reported (verbatim)").fill("loose stools")
                page.get_by_label("CTCAE v5.0 term").fill("diarhea")
                page.get_by_label("CTCAE grade").fill("3")
                page.get_by_label("Phase").select_option(label="Neoadjuvant")
                page.get_by_label("Date of onset").fill("2018-02-02")
                page.get_by_label("Serious adverse event").select_option(label="yes")
                for criterion in (
                    "Results in death", "Is life-threatening",
                    "Results in persistent or significant disability/incapacity",
                    "Is a congenital anomaly/birth defect", "Is another important medical event",
                ):  # fmt: skip
                    page.get_by_label(criterion).select_option(label="no")
                page.get_by_label("Requires hospitalisation or prolongs it").select_option(
                    label="yes"
                )
                page.get_by_label("Site aware that it is serious").fill("2018-02-03T09:30")
                page.get_by_role("button", name="Save").click()
                term_error = page.locator("#ctcae_term-error")
                expect(term_error).to_contain_text("did you mean 'Diarrhea'")
                page.screenshot(
                    path=str(ARTIFACTS / f"sae-term-refused-{width}.png"), full_page=True
                )
                page.get_by_label("CTCAE v5.0 term").fill("Diarrhea")
                page.get_by_role("button", name="Save").click()
                page.wait_for_url(f"**/participants/{world.p1}**")
                assert len(sink.messages) == 1
                page.goto("/safety")
                expect(page.locator("table.sae-list")).to_contain_text("initial due by")
                # The clock moves 25 hours on: nothing was reported, so the report is late.
                clock.at = AWARE + dt.timedelta(hours=25)
            else:
                board = page.locator("#sae-h")
                expect(board).to_have_text("Overdue serious-adverse-event reports: 1")
                expect(page.locator(".sae-overdue")).to_contain_text("initial overdue by 1 h")
                page.screenshot(path=str(ARTIFACTS / f"sae-dashboard-{width}.png"), full_page=True)
                page.get_by_role("link", name="All serious adverse events").click()
                expect(page.locator("table.sae-list tr.bad")).to_have_count(1)
                page.screenshot(path=str(ARTIFACTS / f"sae-list-{width}.png"), full_page=True)
                page.locator("table.sae-list").get_by_role("link", name="Diarrhea").click()
                page.get_by_label("Initial report").fill("Admitted for rehydration.")
                page.get_by_role("button", name="Send report").click()
                expect(page.locator("main")).to_contain_text("follow-up due by")
                expect(page.locator("main")).to_contain_text("Report 1 (initial)")
                page.screenshot(path=str(ARTIFACTS / f"sae-event-{width}.png"), full_page=True)
                page.goto("/")
                expect(page.locator("#sae-h")).to_have_text(
                    "Overdue serious-adverse-event reports: 0"
                )
            context.close()
        browser.close()
    assert errors == []
    assert [m["Subject"].split("(")[-1] for m in sink.messages] == [
        "new serious adverse event)", "initial report 1)",
    ]  # fmt: skip
