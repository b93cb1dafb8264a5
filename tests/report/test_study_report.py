"""The report generated from a study definition shows exactly its ARD.

Each cell of the rendered page is parsed back into numbers and compared with the ARD records it
was formatted from, so a table that shows a wrong or stale number fails here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cairo6.analysis.ard import Ard
from cairo6.analysis.definition import flatten
from cairo6.report.html import study_html
from cairo6.report.study_report import StudyReport, build_report
from cairo6.study import bundled_study_folder, read_study
from cairo6.study.data import read_study_data


class _Tables(HTMLParser):
    """Rows of every table of a page: table id -> [[cell text, ...], ...]."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def report() -> StudyReport:
    study = read_study(bundled_study_folder("indo_rct"))
    people = [flatten(p.participant, p.arm, p.centre, p.forms) for p in read_study_data(study)]
    return build_report(study, people)


@pytest.fixture(scope="module")
def tables(report: StudyReport) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(study_html(report))
    return parser.tables


def _stat(ard: Ard, *key: str) -> float:
    value = ard.stat(*key)
    assert isinstance(value, int | float), key
    return float(value)


def test_every_outcome_cell_equals_its_ard_records(
    report: StudyReport, tables: dict[str, list[list[str]]]
) -> None:
    ard = report.ard
    rows = tables["table-endpoints"][1:]
    assert [row[0] for row in rows] == ["Post-ERCP pancreatitis"]
    for row in rows:
        variable = "post_ercp_pancreatitis"
        for arm, cell in zip(("indomethacin", "placebo"), row[1:3], strict=True):
            n, total, pct = re.fullmatch(r"(\d+)/(\d+) \(([\d.]+)%\)", cell).groups()  # type: ignore[union-attr]
            assert int(n) == _stat(ard, "endpoints", variable, "", arm, "n")
            assert int(total) == _stat(ard, "endpoints", variable, "", arm, "N")
            assert float(pct) == pytest.approx(
                _stat(ard, "endpoints", variable, "", arm, "pct"), abs=0.05
            )
        rr, low, high = map(
            float, re.fullmatch(r"([\d.]+) \(([\d.]+) to ([\d.]+)\)", row[3]).groups()
        )  # type: ignore[union-attr]
        for shown, stat in ((rr, "rr"), (low, "rr_low"), (high, "rr_high")):
            assert shown == pytest.approx(
                _stat(ard, "endpoints", variable, "", "comparison", stat), abs=0.005
            )
        rd = re.fullmatch(r"(-?[\d.]+) \((-?[\d.]+) to (-?[\d.]+)\)", row[4])
        assert rd is not None
        assert float(rd.group(1)) == pytest.approx(
            _stat(ard, "endpoints", variable, "", "comparison", "rd"), abs=0.05
        )
        p_value = _stat(ard, "endpoints", variable, "", "comparison", "p_value")
        assert row[5] == f"{p_value:.3f}".lstrip("0") + " (chi2)"


def test_every_baseline_cell_equals_its_ard_records(
    report: StudyReport, tables: dict[str, list[list[str]]]
) -> None:
    ard = report.ard
    study = report.study
    items = {
        f"{item.label}, No. (%)": item
        for form_id in study.baseline_forms
        for item in study.form(form_id).items()
    }
    groups = ["indomethacin", "placebo", "total"]
    checked = 0
    current = None
    for row in tables["table-baseline"][1:]:
        label, cells = row[0], row[1:]
        if label.endswith("median (IQR)"):
            current = None
            continue
        if label in items:
            current = items[label]
            variable, level = current.id, ""
            if current.codelist:
                assert cells == ["", "", ""]  # a heading row; its codes follow
                continue
        elif current is not None and current.codelist:
            codes = study.codelist(current.codelist).codes
            variable, level = current.id, next(c.value for c in codes if c.label == label)
        else:
            raise AssertionError(f"unexpected row {label!r}")
        for group, cell in zip(groups, cells, strict=True):
            n, pct = re.fullmatch(r"(\d+) \(([\d.]+)%\)", cell).groups()  # type: ignore[union-attr]
            assert int(n) == _stat(ard, "baseline", variable, level, group, "n")
            assert float(pct) == pytest.approx(
                _stat(ard, "baseline", variable, level, group, "pct"), abs=0.05
            )
            checked += 1
    assert checked > 60


def test_the_page_shows_no_python_repr(tables: dict[str, list[list[str]]]) -> None:
    for rows in tables.values():
        for row in rows:
            for cell in row:
                assert "Record(" not in cell
                assert "None" not in cell
                assert cell.lower() not in ("nan", "inf", "-inf")


def test_published_numbers_are_all_reproduced(report: StudyReport) -> None:
    assert report.comparison_summary == "7 of 7 published numbers reproduced"
    assert {c.status for c in report.comparisons} == {"match"}


def test_the_written_files(report: StudyReport, tmp_path: Path) -> None:
    from cairo6.report.study_report import write_report

    page, ard_file = write_report(report, tmp_path)
    assert "27/295 (9.2%)" in page.read_text(encoding="utf-8")
    assert ard_file.read_text(encoding="utf-8").count("\n") == len(report.ard) + 1
