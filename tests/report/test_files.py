"""Every output file is written and opens in the program it is for."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook  # type: ignore[import-untyped]
from PIL import Image

from cairo6.analysis.ard import Ard
from cairo6.report import Report, ReportInput, write_report

EXPECTED = [
    "ard.csv",
    "ard.json",
    "figures/consort.png",
    "figures/consort.svg",
    "figures/timeframes.png",
    "figures/timeframes.svg",
    "report.docx",
    "report.html",
    "tables.xlsx",
    *(
        f"tables/{name}.csv"
        for name in (
            "comparison", "effects", "figure", "results", "stopping", "table1", "table2",
            "table3", "table4", "warnings",
        )
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def written(
    report_input: ReportInput, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Report, Path, list[Path]]:
    out = tmp_path_factory.mktemp("report")
    steps: list[str] = []
    report, files = write_report(report_input, out, steps.append)
    assert len(steps) == 7
    return report, out, files


def test_every_file(written: tuple[Report, Path, list[Path]]) -> None:
    _, out, files = written
    assert sorted(str(f.relative_to(out)) for f in files) == sorted(EXPECTED)
    assert all(f.stat().st_size > 0 for f in files)


def test_docx_has_the_four_jama_tables(written: tuple[Report, Path, list[Path]]) -> None:
    report, out, _ = written
    document = Document(str(out / "report.docx"))
    assert len(document.tables) == 4
    text = "\n".join(p.text for p in document.paragraphs)
    for table in report.tables:
        assert f"{table.name}. {table.title}" in text
    assert "SYNTHETIC DATA" in text
    first = document.tables[0]
    assert first.rows[0].cells[0].text == "Characteristic"
    assert first.rows[0].cells[1].text == "Perioperative systemic therapy + CRS-HIPEC (n = 37)"
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in first.rows}
    assert rows["Male"] == ["18 (49)", "25 (60)", "43 (54)"]
    second = {r.cells[0].text: r.cells[-1].text for r in document.tables[1].rows}
    assert second["Cytoreductive surgery"] == ".74a"  # P value with its footnote letter


def test_xlsx_one_sheet_per_table(written: tuple[Report, Path, list[Path]]) -> None:
    _, out, _ = written
    workbook = load_workbook(out / "tables.xlsx", read_only=True)
    assert workbook.sheetnames[:6] == [
        "Table 1",
        "Table 2",
        "Table 3",
        "Table 4",
        "Figure",
        "Results",
    ]
    assert "Published vs reproduced" in workbook.sheetnames
    rows = list(workbook["Table 1"].iter_rows(values_only=True))
    assert rows[0][0] == "Table 1. Baseline characteristics"
    assert rows[1][:2] == ("Characteristic", "Perioperative systemic therapy + CRS-HIPEC (n = 37)")
    assert ("  Male", "18 (49)", "25 (60)", "43 (54)") in rows
    workbook.close()


def test_csv_tables(written: tuple[Report, Path, list[Path]]) -> None:
    _, out, _ = written
    with (out / "tables" / "table2.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][-1] == "P value"
    assert ["Cytoreductive surgery", "", "", "", ".74 [a]"] in rows
    with (out / "tables" / "warnings.csv").open(encoding="utf-8", newline="") as handle:
        warnings = list(csv.DictReader(handle))
    assert [w["participant"] for w in warnings] == ["CAIRO6-C02-013", "CAIRO6-C05-002"]


def test_figures_svg_and_png(written: tuple[Report, Path, list[Path]]) -> None:
    _, out, _ = written
    for name in ("consort", "timeframes"):
        root = ET.parse(out / "figures" / f"{name}.svg").getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        with Image.open(out / "figures" / f"{name}.png") as image:
            assert image.format == "PNG"
            assert image.width >= 900  # 150 dpi: legible when printed or zoomed


def test_ard_files_round_trip(
    written: tuple[Report, Path, list[Path]], report_input: ReportInput
) -> None:
    _, out, _ = written
    ard = report_input.result.ard
    assert Ard.from_json_text((out / "ard.json").read_text(encoding="utf-8")) == ard
    assert (out / "ard.csv").read_text(encoding="utf-8") == ard.to_csv_text()
    assert len(json.loads((out / "ard.json").read_text(encoding="utf-8"))) == len(ard)
