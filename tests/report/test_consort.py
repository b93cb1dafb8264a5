"""The flow diagram: boxes from the Figure records, side boxes only when there is something."""

from __future__ import annotations

from cairo6.analysis.ard import Ard
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.spec import FlowBox, FlowLayout, default_spec
from cairo6.report.consort import consort_figure
from cairo6.report.tables import ArdView
from tests.report.conftest import ARMS, make_result


def test_boxes_show_count_and_label_of_each_arm(result: AnalysisResult) -> None:
    figure = consort_figure(ArdView(result, ARMS), default_spec().flow_diagram)
    svg = figure.svg
    for text in (
        "233 Potentially eligible patients",
        "82 Not approached",
        "36 Feared adverse effects",
        "Perioperative systemic therapy",
        "CRS-HIPEC alone",
        "40 Assigned",
        "37 Started neoadjuvant",
        "25 CAPOX-B",
        "42 Underwent surgery",
        "2 CAPOX-B, after 1 cycle",
        "1 Severe emetophobia",
        "79 MITT population",
    ):
        assert text in svg, text
    assert figure.png.startswith(b"\x89PNG")
    assert 'aria-label="Figure. Trial flow diagram: ' in figure.inline


def test_another_trials_figure_draws_what_it_has() -> None:
    ard = Ard()
    ard.add("figure", "potentially_eligible", "", "total", "n", 50)
    ard.add("figure", "not_approached", "", "total", "n", 0)
    ard.add("figure", "randomised", "", "total", "n", 30)
    for arm, n in (("a", 10), ("b", 10), ("c", 10)):
        ard.add("figure", "assigned", "", arm, "n", n)
        ard.add("figure", "palliative_treatment", "", arm, "n", 0)
    layout = FlowLayout(
        top=(
            FlowBox("potentially_eligible"),
            FlowBox("not_approached", side=True),
            FlowBox("randomised"),
        ),
        arms=(FlowBox("assigned"), FlowBox("palliative_treatment", side=True)),
    )
    svg = consort_figure(ArdView(make_result(ard)), layout).svg
    assert "50 Potentially eligible patients" in svg
    assert svg.count("10 Assigned") == 3
    # A side box of nobody is left out.
    assert "Not approached" not in svg
    assert "Palliative treatment" not in svg


def test_inline_ids_are_unique_per_figure(result: AnalysisResult) -> None:
    inline = consort_figure(ArdView(result, ARMS)).inline
    assert 'id="consort-' in inline
    assert 'id="figure_1"' not in inline


def test_a_study_without_a_flow_layout_gets_its_figure_in_order() -> None:
    ard = Ard()
    ard.add("figure", "screened", "", "total", "n", 120)
    ard.add("figure", "randomised", "", "total", "n", 60)
    for arm, n in (("a", 20), ("b", 19), ("c", 21)):
        ard.add("figure", "allocated", "", arm, "n", n)
        ard.add("figure", "treated", "", arm, "n", n - 1)
    svg = consort_figure(ArdView(make_result(ard))).svg
    for text in ("120 Screened", "60 Randomised", "20 Allocated", "21 Allocated", "18 Treated"):
        assert text in svg, text
    # Counted per arm, the arm boxes are not drawn as totals above the arms.
    assert svg.count("Allocated") == 3
