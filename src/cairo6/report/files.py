"""Writing the report's outputs into a directory.

report.html            the self-contained report
report.docx            Tables 1-4 for a manuscript
tables/<table>.csv     every table as printed (plus effects, warnings, comparison)
tables.xlsx            the same, one sheet per table
figures/<name>.svg|png the flow diagram and the time-frame plots
ard.csv, ard.json      the Analysis Results Data every number comes from
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cairo6.report.cells import neutralise_row
from cairo6.report.document import Report, ReportInput, build_report

if TYPE_CHECKING:
    from cairo6.report.painter import Painter

__all__ = ["Sheet", "sheets", "write_report"]

Progress = Callable[[str], None]
# In the order done: what needs no figure first, while a painter's workers draw them.
STEPS = (
    "laying out tables and drawing figures",
    "report.docx",
    "tables (CSV)",
    "tables.xlsx",
    "ARD (CSV, JSON)",
    "figures (SVG, PNG)",
    "report.html",
)


@dataclass(frozen=True)
class Sheet:
    """A flat table: a file stem, a sheet title, a header and string rows."""

    stem: str
    title: str
    header: list[str]
    rows: list[list[str]]
    caption: str = ""


def sheets(report: Report) -> list[Sheet]:
    """Every table of the report in flat form, in report order."""
    out = [
        Sheet(t.id, t.name, t.header(), t.body(), f"{t.name}. {t.title}".strip())
        for t in report.all_tables
    ]
    if report.effects:
        header = ["Outcome", *(c.heading for c in report.effect_columns)]
        header += ["Risk ratio (95% CI)", "P value", "Test", "Primary"]
        rows = [
            [e.label, *e.cells, e.rr, e.p, e.test, "yes" if e.primary else ""]
            for e in report.effects
        ]
        out.append(Sheet("effects", "Effects", header, rows, "Between-arm effect estimates"))
    out.append(
        Sheet(
            "warnings",
            "Warnings",
            ["participant", "form", "field", "message"],
            [[w.participant, w.form, w.field, w.message] for w in report.warnings],
            "Data-quality warnings",
        )
    )
    out.append(
        Sheet(
            "stopping",
            "Stopping rules",
            ["rule", "label", "observed", "threshold", "criterion met"],
            [
                [v.rule_id, v.label, v.observed, v.threshold, "yes" if v.met else "no"]
                for v in report.stopping
            ],
            "Stopping-rule verdicts",
        )
    )
    if report.comparisons:
        out.append(
            Sheet(
                "comparison",
                "Published vs reproduced",
                ["key", "place", "published", "reproduced", "status", "note"],
                [
                    [c.key, c.place, c.printed, c.computed, c.status, c.note]
                    for c in report.comparisons
                ],
                report.input.comparison_summary,
            )
        )
    return out


def _csv(sheet: Sheet) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(neutralise_row(sheet.header))
    writer.writerows(neutralise_row(row) for row in sheet.rows)
    return buffer.getvalue()


def _xlsx(tables: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in tables:
        # Excel allows 31 characters in a sheet name.
        worksheet = workbook.create_sheet(sheet.title[:31])
        worksheet.append(neutralise_row([sheet.caption]))
        worksheet["A1"].font = Font(bold=True)
        worksheet.append(neutralise_row(sheet.header))
        for cell in worksheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for row in sheet.rows:
            worksheet.append(neutralise_row(row))
        worksheet.column_dimensions["A"].width = 60
        for letter in "BCDEFGH":
            worksheet.column_dimensions[letter].width = 24
        worksheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_report(
    given: ReportInput, out: Path, progress: Progress | None = None, painter: Painter | None = None
) -> tuple[Report, list[Path]]:
    """Write every output into `out` (created if needed); returns the report and the files.
    With a `painter` the figures are drawn in its workers while the other files are written."""
    step = progress or (lambda _: None)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(path: Path, data: str | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", newline="")
        else:
            path.write_bytes(data)
        written.append(path)

    step(STEPS[0])
    report = build_report(given, painter)
    # The writers' libraries (python-docx, Jinja2) load here, not with the module: with a
    # painter, while the figures are drawn instead of before the analysis.
    from cairo6.report.docx import render_docx
    from cairo6.report.html import render_html

    step(STEPS[1])
    put(out / "report.docx", render_docx(report))
    step(STEPS[2])
    flat = sheets(report)
    for sheet in flat:
        put(out / "tables" / f"{sheet.stem}.csv", _csv(sheet))
    step(STEPS[3])
    put(out / "tables.xlsx", _xlsx(flat))
    step(STEPS[4])
    put(out / "ard.csv", given.result.ard.to_csv_text())
    put(out / "ard.json", given.result.ard.to_json_text())
    step(STEPS[5])
    report.finish_figures()
    for figure in (report.consort, report.timing, report.survival):
        if figure is not None:
            put(out / "figures" / f"{figure.name}.svg", figure.svg)
            put(out / "figures" / f"{figure.name}.png", figure.png)
    step(STEPS[6])
    put(out / "report.html", render_html(report))
    return report, written
