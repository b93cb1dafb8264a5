"""The survival table: every printed statistic is its ARD record, rounded; reasons, not reprs."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import numpy as np
import pandas as pd
from docx import Document

from cairo6.analysis.ard import COMPARISON, TOTAL, Ard
from cairo6.analysis.engine import analyse
from cairo6.analysis.rounding import round_half_up
from cairo6.analysis.survival import TABLE, compare_survival, survival_records
from cairo6.protocol import default_protocol
from cairo6.report.document import build_report
from cairo6.report.docx import render_docx
from cairo6.report.html import render_html
from cairo6.report.survival import MONTH_DIGITS, NOT_REACHED
from tests.analysis._cohort import frames as small_frames
from tests.report.conftest import ARMS, make_input, make_result, published_ard

ESTIMATE = re.compile(r"^(?P<value>[\d.]+) \((?P<low>[\d.]+|NR|NA)-(?P<high>[\d.]+|NR|NA)\)$")


def _survival_ard(seed: int = 7) -> Ard:
    """Three endpoints: an ordinary one, one whose medians are not reached, one where every
    event is in one arm (no hazard ratio) and the curve falls to 0 (no upper limit)."""
    rng = np.random.default_rng(seed)
    ard = published_ard()
    arms = ["experimental"] * 40 + ["control"] * 40
    ordinary = np.round(rng.exponential(30, 80), 1)
    cases = {
        "os": (ordinary, ordinary < 48),
        "pfs": (np.round(rng.uniform(1, 30, 80), 1), rng.random(80) < 0.1),
        "dfs": (
            np.array([*range(1, 41), *np.linspace(50, 60, 40)], dtype=float),
            np.array([True] * 40 + [False] * 40),
        ),
    }
    for endpoint, (time, event) in cases.items():
        result = compare_survival(time, event, arms, arms=list(ARMS), control="control")
        ard.extend(survival_records(endpoint, endpoint.upper(), result))
    return ard


def _cells(page: str) -> list[list[str]]:
    section = page[page.index('<table class="survival">') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("<tr>")[1:]]


def _expect(text: str, stat: object, digits: int, missing: str) -> None:
    if stat is None:
        assert text == missing
        return
    assert isinstance(stat, int | float)
    assert Decimal(text) == round_half_up(stat, digits), (text, stat)


def test_every_statistic_of_the_survival_table_equals_its_ard_record() -> None:
    ard = _survival_ard()
    page = render_html(build_report(make_input(make_result(ard))))
    rows = _cells(page)
    labels = {label: group for group, label in ARMS.items()} | {"Total": TOTAL}
    endpoints = ["os", "pfs", "dfs"]
    assert len(rows) == 3 * len(endpoints)
    for i, cells in enumerate(rows):
        endpoint, group = endpoints[i // 3], labels[cells[1]]
        _, _, events, median, rate, follow_up, hazard, logrank = cells

        def stat(level: str, name: str, who: str = group, variable: str = endpoint) -> object:
            return ard.stat(TABLE, variable, level, who, name)

        assert events == f"{stat('', 'n')}/{stat('', 'N')}"
        for text, level, name, digits, missing in (
            (median, "median", "median", MONTH_DIGITS, NOT_REACHED),
            (rate, "rate_3y", "pct", 0, "NA"),
            (follow_up, "median_follow_up", "median", MONTH_DIGITS, NOT_REACHED),
        ):
            match = ESTIMATE.match(text)
            if match is None:  # the estimate itself is missing
                _expect(text, stat(level, name), digits, missing)
                continue
            for part, stat_name in (("value", name), ("low", "ci_low"), ("high", "ci_high")):
                _expect(match[part], stat(level, stat_name), digits, missing)
        if i % 3:
            assert hazard == logrank == ""
            continue
        hr = ard.find(TABLE, endpoint, "hazard_ratio", COMPARISON, "rr")
        assert hr is not None
        if hr.stat is None:
            assert hazard == hr.note
        else:
            match = ESTIMATE.match(hazard)
            assert match is not None
            for part, stat_name in (("value", "rr"), ("low", "rr_low"), ("high", "rr_high")):
                _expect(match[part], stat("hazard_ratio", stat_name, COMPARISON), 2, "NA")
        p = stat("logrank", "p_value", COMPARISON)
        assert isinstance(p, float)
        assert logrank.replace("&lt;", "<").lstrip("< ").startswith(".")
    # The cases the table must show: not reached, not estimable with its reason.
    assert "not estimable (all events in one arm)" in page
    assert f"({NOT_REACHED}" in page or f"-{NOT_REACHED})" in page


def test_no_python_repr_in_any_report() -> None:
    report = build_report(make_input(make_result(_survival_ard())))
    page = render_html(report)
    document = Document(io.BytesIO(render_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    for rendered in (page, text):
        for token in ("ArdRecord(", "Estimate(", "None", "nan", "CoxFit("):
            assert token not in rendered


def _follow_up_all_events_in_one_arm() -> pd.DataFrame:
    """Deaths in the experimental arm only; every control alive at the last visit."""
    rows = []
    for number in ("T-E1", "T-E2", "T-E3", "T-E4"):
        rows.append((number, "2020-06-01", "dead", "2020-06-01"))
    for number in ("T-C1", "T-C2", "T-C3"):
        rows.append((number, "2022-01-10", "alive", None))
    frame = pd.DataFrame(rows, columns=["study_number", "visit_date", "vital_status", "death_date"])
    frame["recurrence"] = False
    frame["recurrence_date"] = None
    return frame


def test_report_with_every_event_in_one_arm_completes_and_says_why() -> None:
    frames = small_frames()
    frames["follow_up"] = _follow_up_all_events_in_one_arm()
    result = analyse(default_protocol(), frames)
    hr = result.ard.find(TABLE, "overall_survival", "hazard_ratio", COMPARISON, "rr")
    assert hr is not None
    assert hr.stat is None
    assert hr.note == "not estimable (all events in one arm)"
    report = build_report(make_input(result))
    page = render_html(report)
    assert "not estimable (all events in one arm)" in page
    document = Document(io.BytesIO(render_docx(report)))
    assert any(p.text.startswith("Survival: Kaplan-Meier") for p in document.paragraphs)
    assert 'id="methods"' in page
    assert "Efron ties" in page
