"""The report as one self-contained HTML page (Jinja2, autoescaped)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cairo6.report.document import SYNTHETIC_NOTICE, Report

if TYPE_CHECKING:
    from cairo6.report.study_report import StudyReport

__all__ = ["render_html", "study_html"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cairo6.report", "templates"),
        autoescape=select_autoescape(["html", "jinja"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _css() -> str:
    return resources.files("cairo6.report").joinpath("templates", "report.css").read_text("utf-8")


def render_html(report: Report) -> str:
    """The report page: tables, figures, verdicts, warnings and the appendix."""
    template = _environment().get_template("report.html.jinja")
    # Only the SVGs and the style sheet are marked safe: matplotlib escapes the text it writes
    # into the SVG, and everything else (labels, warnings, places) goes through autoescaping.
    return template.render(
        report=report,
        consort_svg=Markup(report.consort.inline) if report.consort else None,
        timing_svg=Markup(report.timing.inline) if report.timing else None,
        survival_svg=Markup(report.survival.inline) if report.survival else None,
        css=Markup(_css()),
        synthetic_notice=SYNTHETIC_NOTICE,
    )


def study_html(report: StudyReport) -> str:
    """The page of a study reported from its definition (no layout of its own)."""
    template = _environment().get_template("study_report.html.jinja")
    return template.render(report=report, css=Markup(_css()))
