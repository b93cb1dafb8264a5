"""The print stylesheet in a real browser (Debian's Chromium): every main page prints clean.

Each page is shown as print media at the width of an A4 page: no navigation, no button, no
side form, nothing wider than the page, tables across the full width, folded records open.
Screenshots and a print-to-PDF go to test-artifacts/browser/ to look at.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import World
from tests.web.test_browser import ARTIFACTS, Session, browser, server  # noqa: F401

pytestmark = pytest.mark.browser
A4 = {"width": 794, "height": 1123}  # CSS pixels of an A4 page at 96 dpi

LAYOUT = """() => {
  const main = document.querySelector("main").getBoundingClientRect().width;
  const shown = el =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  return {
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    header: shown(document.querySelector("header.top")),
    buttons: [...document.querySelectorAll("button, .button")].filter(shown).length,
    narrowTables: [...document.querySelectorAll("table")].filter(shown)
      .filter(t => t.getBoundingClientRect().width < main - 2).length,
    hiddenRecords: [...document.querySelectorAll("details dl.record")]
      .filter(dl => !shown(dl) || dl.getBoundingClientRect().height === 0).length,
  };
}"""


def _pages(world: World) -> dict[str, str]:
    p1 = world.p1
    return {
        "dashboard": "/",
        "participants": "/participants",
        "participant": f"/participants/{p1}?on=2018-06-01",
        "audit": f"/participants/{p1}/audit",
        "queries": "/queries?all=1",
        "screening": "/screening",
        "record": f"/participants/{p1}/records/toxicity/edit?key={world.toxicity_id}",
        "casebooks": "/casebooks",
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_main_page_prints_clean(server: str, browser: Any, world: World) -> None:  # noqa: F811
    for _ in range(3):  # repeating records fold on screen; print must open them
        world.toxicity()
    dm = Session(browser, server, "dm")
    page = dm.page
    page.set_viewport_size(A4)
    problems = []
    for name, path in _pages(world).items():
        page.goto(path)
        page.emulate_media(media="screen")
        on_screen = page.evaluate(LAYOUT)
        assert on_screen["header"], name  # the check can fail: the screen shows the header
        page.emulate_media(media="print")
        printed = page.evaluate(LAYOUT)
        dm.shot(f"print-{name}")
        for key in ("overflow", "buttons", "narrowTables", "hiddenRecords"):
            if printed[key] > 0:
                problems.append(f"{name}: {key} = {printed[key]}")
        if printed["header"]:
            problems.append(f"{name}: the navigation prints")
    assert not problems, problems
    page.goto(_pages(world)["participant"])
    page.emulate_media(media="print")
    page.pdf(path=str(ARTIFACTS / "print-participant.pdf"), format="A4")
    dm.close()
