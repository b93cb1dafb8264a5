"""The HTML report of the reference cohort in a real browser (Debian's Chromium, headless).

The page must load with no console error and no request leaving the file (it is self-contained),
and the flow diagram must be legible: drawn at least 900 px wide, no text smaller than 10 px and
no two lines of text overlapping. Screenshots are kept under test-artifacts/report/ for a person
to look at. Driven by Playwright when it is installed, else by Chromium's own command line.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cairo6.protocol import default_protocol
from cairo6.report.run import run_report
from cairo6.studies.cairo6.synthetic_large import reference_trial, to_extract

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
WIDTH, HEIGHT = 1400, 1000

if not CHROMIUM.exists():
    pytest.skip(
        "the report's browser test needs Debian's Chromium at /usr/bin/chromium; enable it with "
        "`apt-get update && apt-get install -y chromium`",
        allow_module_level=True,
    )

# Text geometry of the flow diagram: every <text> box as drawn, and any two that overlap.
LAYOUT_JS = """
() => {
  const svg = document.querySelector('figure.consort svg');
  const frame = svg.getBoundingClientRect();
  const boxes = [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            height: r.height};
  }).filter(b => b.text.trim());
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
          && b.top < a.bottom - 1) overlaps.push([a.text, b.text]);
    }
  }
  return {width: frame.width, right: frame.right, texts: boxes.length,
          smallest: Math.min(...boxes.map(b => b.height)),
          outside: boxes.filter(b => b.right > frame.right + 1).map(b => b.text),
          overlaps: overlaps};
}
"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference cohort's report, made by the real analysis (no database needed)."""
    out = tmp_path_factory.mktemp("report")
    frames = to_extract(reference_trial())
    run_report(default_protocol(), frames, out, source="reference cohort (frames)")
    return out / "report.html"


def _playwright(page_file: Path) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri(), wait_until="load")
            layout: dict[str, Any] = page.evaluate(LAYOUT_JS)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            page.locator("figure.consort").screenshot(path=str(ARTIFACTS / "consort.png"))
            page.locator("figure.timing").screenshot(path=str(ARTIFACTS / "timeframes.png"))
            captions = page.locator("section.table-section caption").all_inner_texts()
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert [c.split(".")[0] for c in captions] == ["Table 1", "Table 2", "Table 3", "Table 4"]
    assert layout["width"] >= 900
    assert layout["texts"] > 50
    assert layout["smallest"] >= 10, layout["smallest"]
    assert layout["outside"] == []
    assert layout["overlaps"] == []


def _command_line(page_file: Path, profile: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    command = [
        str(CHROMIUM),
        *ARGS,
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WIDTH},9000",
    ]
    run = subprocess.run(
        [*command, f"--screenshot={shot}", page_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = subprocess.run(
        [*command, "--dump-dom", page_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in (run.stderr + dom.stderr).splitlines() if "CONSOLE" in line]
    assert console == []
    assert shot.stat().st_size > 0
    assert "Table 4." in dom.stdout


def test_report_in_chromium(page_file: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("playwright") is not None:
        _playwright(page_file)
    else:
        _command_line(page_file, tmp_path / "profile")
    shutil.copy(page_file, ARTIFACTS / "report.html")
