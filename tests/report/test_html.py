"""The HTML report: every part present, escaped, self-contained, and only printing the ARD."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from cairo6.analysis.ard import StatValue
from cairo6.reference.published import load_published
from cairo6.report import ReportInput, build_report, render_html
from tests.report.conftest import WARNINGS, make_input, make_result


@pytest.fixture(scope="module")
def html(report_input: ReportInput) -> str:
    return render_html(build_report(report_input))


def test_every_table_and_section(html: str) -> None:
    for name in ("Table 1.", "Table 2.", "Table 3.", "Table 4."):
        assert f'<span class="table-name">{name}</span>' in html
    for section in ("summary", "flow", "outcomes", "timeframes", "stopping", "quality", "appendix"):
        assert f'id="{section}"' in html
    assert html.count("<svg") == 2  # flow diagram and time frames, inline


def test_synthetic_banner_only_for_synthetic_data(html: str) -> None:
    assert "<title>CAIRO6 phase 2 report (SYNTHETIC DATA)</title>" in html
    assert 'class="synthetic-banner"' in html
    real = render_html(build_report(make_input(make_result(synthetic=False))))
    assert "SYNTHETIC" not in real
    assert 'class="synthetic-banner"' not in real


def test_every_warning_names_participant_and_field(html: str) -> None:
    section = html.split('id="quality"')[1].split("</section>")[0]
    for warning in WARNINGS:
        assert f"<td>{warning.participant}</td>" in section
        assert f"<td>{warning.field}</td>" in section
    # Data are text, never markup.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section


def test_self_contained(html: str) -> None:
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the page's own SVG


def test_stopping_verdicts(html: str) -> None:
    section = html.split('id="stopping"')[1].split("</section>")[0]
    assert section.count('class="verdict met"') == 1
    assert section.count('class="verdict not-met"') == 1
    assert "STOP: criterion met" in section
    assert "Observed: 8 of 37 vs 14 of 42" in section


def test_primary_outcomes_in_the_summary(html: str) -> None:
    summary = html.split('id="summary"')[1].split("</section>")[0]
    assert "Macroscopic complete CRS-HIPEC" in summary
    assert "<td>33/37 (89)</td>" in summary
    assert "<td>1.04 (0.88-1.23)</td>" in summary
    assert "published numbers reproduced" in summary


def test_appendix_lists_every_published_number(html: str) -> None:
    appendix = html.split('id="appendix"')[1]
    rows = re.findall(r'<tr class="status-([a-z_]+)">', appendix)
    published = load_published()
    assert len(rows) == len(published)
    # The renderer got the published numbers themselves, so all but the month-only dates
    # (which an ARD date cannot hold) are reproduced.
    months = sum(1 for n in published if n.stat_name == "date" and len(n.text or "") < 10)
    assert rows.count("match") == len(published) - months
    assert rows.count("missing") == months


def test_flow_diagram_shows_the_counts(html: str) -> None:
    flow = html.split('id="flow"')[1].split("</section>")[0]
    assert "233 Potentially eligible patients" in flow
    assert "80 Enrolled and randomised" not in flow  # no label given: readable fallback
    assert "80 Randomised" in flow


def test_a_changed_value_is_printed_changed(
    with_value: Callable[[tuple[str, str, str, str, str], StatValue], ReportInput],
) -> None:
    changed = render_html(build_report(with_value(("table1", "age", "", "control", "mean"), 71.4)))
    age = changed.split('data-variable="age"')[1].split("</tr>")[0]
    assert "<td>71 (10)</td>" in age
    changed = render_html(
        build_report(with_value(("figure", "potentially_eligible", "", "total", "n"), 234))
    )
    assert "234 Potentially eligible patients" in changed


def test_survival_section_only_with_follow_up() -> None:
    from cairo6.analysis.ard import ArdRecord
    from cairo6.analysis.survival import SurvivalCurve
    from cairo6.report.document import build_report
    from cairo6.report.html import render_html
    from tests.report.conftest import make_input, make_result, published_ard

    plain = render_html(build_report(make_input(make_result())))
    assert 'id="survival"' not in plain
    ard = published_ard()
    for group, n in (("experimental", 3), ("control", 4), ("total", 7)):
        ard.append(
            ArdRecord("survival", "overall_survival", "", group, "N", 10, "Overall survival")
        )
        ard.append(ArdRecord("survival", "overall_survival", "", group, "n", n, "Overall survival"))
    ard.append(ArdRecord("survival", "overall_survival", "hazard_ratio", "comparison", "rr", 0.7))
    ard.append(ArdRecord("survival", "overall_survival", "logrank", "comparison", "p_value", 0.04))
    result = make_result(ard)
    result.survival = [
        SurvivalCurve("overall_survival", "Overall survival", g, (0.0, 5.0), (1.0, 0.6), (7.0,),
                      ((0.0, 10), (6.0, 4)))
        for g in ("experimental", "control")
    ]  # fmt: skip
    report = build_report(make_input(result))
    page = render_html(report)
    assert 'id="survival"' in page
    assert report.survival is not None
    assert "At risk" in report.survival.svg
    assert "0.7" in page
