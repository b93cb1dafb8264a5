"""The trial report: HTML, Word, CSV/XLSX tables, SVG/PNG figures and the ARD, from one analysis.

Renders only what an `AnalysisResult` holds: every number is an ARD record, formatted JAMA style
by `cairo6.report.format`; nothing here computes a statistic. Entry points: `ReportInput`
(the result plus the protocol's words), `build_report` (the laid-out content) and
`write_report` (every file into a directory).
"""

from typing import TYPE_CHECKING, Any

from cairo6.report.document import (
    ComparisonRow,
    Effect,
    PrimaryOutcome,
    Report,
    ReportInput,
    build_report,
)
from cairo6.report.files import STEPS, write_report

if TYPE_CHECKING:
    from cairo6.report.html import render_html

__all__ = [
    "STEPS",
    "ComparisonRow",
    "Effect",
    "PrimaryOutcome",
    "Report",
    "ReportInput",
    "build_report",
    "render_html",
    "write_report",
]


def __getattr__(name: str) -> Any:
    # Jinja2 loads with the first page rendered, not with the package (see files.write_report).
    if name == "render_html":
        from cairo6.report.html import render_html

        return render_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
