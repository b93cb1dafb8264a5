"""A report says INTERIM until the database is locked, FINAL with the lock time after: in the
title, on the page and on every printed page (HTML) or page header (Word)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from cairo6.cli import app
from cairo6.cli.common import settings
from cairo6.report import ReportInput, build_report, render_html
from cairo6.report.docx import render_docx
from cairo6.service import lifecycle
from cairo6.study.loader import read_study_texts
from tests.service.test_lifecycle import TOY, _build


@pytest.mark.parametrize(
    "status",
    [
        "INTERIM: the database is not locked; the data may still change",
        "FINAL: database locked on 2026-12-03 15:40 UTC by dm",
    ],
)
def test_the_layout_report_carries_its_status(report_input: ReportInput, status: str) -> None:
    word = status.split(":")[0]
    report = build_report(dataclasses.replace(report_input, data_status=status))
    assert report.title.startswith(f"{word}: ")
    html = render_html(report)
    assert f"<title>{word}: " in html
    assert f'role="note">{status}</div>' in html
    # The print-only copy repeats on every printed page (a fixed element does, in print).
    assert f'<div class="data-status-page" aria-hidden="true">{word}</div>' in html
    assert ".data-status-page { display: block; position: fixed;" in html
    document = Document(io.BytesIO(render_docx(report)))
    assert document.sections[0].header.paragraphs[0].text == status
    assert document.paragraphs[0].text.startswith(f"{word}: ")


def test_a_report_without_a_status_is_unlabelled(report_input: ReportInput) -> None:
    html = render_html(build_report(report_input))
    assert "data-status-page" not in html.split("</style>")[1]


def test_cairo6_report_is_interim_then_final_once_locked(tmp_path: Path) -> None:
    db = tmp_path / "toy.db"
    toy = _build(db, read_study_texts(TOY))
    runner = CliRunner()
    env = {"CAIRO6_DB": str(db), "CAIRO6_USER": "dm"}

    def report(out: Path) -> tuple[str, str]:
        settings.cache_clear()
        result = runner.invoke(app, ["report", "--out", str(out)], env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output, (out / "report.html").read_text(encoding="utf-8")

    shown, html = report(tmp_path / "interim")
    assert "INTERIM: the database is not locked" in shown
    assert "<title>INTERIM: " in html
    assert "<h1>INTERIM: " in html
    held = lifecycle.lock_database(toy.trial, toy.dm, "final analysis")
    toy.trial.db.dispose()
    shown, html = report(tmp_path / "final")
    stamp = held.at[:16].replace("T", " ")
    assert f"FINAL: database locked on {stamp} UTC by dm" in " ".join(shown.split())
    assert "<title>FINAL: " in html
    assert f"FINAL: database locked on {stamp} UTC by dm</div>" in html
    assert "INTERIM" not in html


def test_every_printed_page_of_the_html_report_carries_the_status(
    report_input: ReportInput,
) -> None:
    """Printed by Chromium to PDF, each page of an INTERIM report says INTERIM."""
    from tests.web.test_browser import ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    pypdf = pytest.importorskip("pypdf", reason="needs pypdf to read the PDF back")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium")
    status = "INTERIM: the database is not locked; the data may still change"
    html = render_html(build_report(dataclasses.replace(report_input, data_status=status)))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.set_content(html)
        pdf = page.pdf(format="A4")
        browser.close()
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 3
    unlabelled = [i + 1 for i, p in enumerate(pages) if "INTERIM" not in p.extract_text()]
    assert unlabelled == []
