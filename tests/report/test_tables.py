"""Tables laid out from the ARD: every published number appears in its cell, JAMA style."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cairo6.analysis.ard import Ard, StatValue
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.rounding import jama_p, jama_pct
from cairo6.reference.published import load_published
from cairo6.report import ReportInput, build_report
from cairo6.report.tables import DENOMINATOR_LABEL, ArdView, DisplayTable, Row, display_table
from tests.report.conftest import ARMS, make_result

TABLES = ("table1", "table2", "table3", "table4")


@pytest.fixture(scope="module")
def view(result: AnalysisResult) -> ArdView:
    return ArdView(result, ARMS)


def row(table: DisplayTable, variable: str, level: str) -> Row:
    found = [r for r in table.rows if (r.variable, r.level) == (variable, level)]
    assert len(found) == 1, (table.id, variable, level, found)
    return found[0]


def cell(table: DisplayTable, variable: str, level: str, group: str) -> str:
    groups = [c.group for c in table.columns]
    return row(table, variable, level).cells[groups.index(group)]


def test_columns_are_the_arms_then_the_total_with_their_n(view: ArdView) -> None:
    table = display_table(view, "table1")
    assert [c.group for c in table.columns] == ["experimental", "control", "total"]
    assert [c.title for c in table.columns] == [
        "Perioperative systemic therapy + CRS-HIPEC (n = 37)",
        "CRS-HIPEC alone (n = 42)",
        "Total (n = 79)",
    ]
    assert table.name == "Table 1"
    assert table.title == "Baseline characteristics"
    assert table.spanner == "No. (%)"


def test_rows_follow_the_ard_order(view: ArdView, result: AnalysisResult) -> None:
    table = display_table(view, "table2")
    ard_order = list(dict.fromkeys(r.variable for r in result.ard if r.table == "table2"))
    shown = list(dict.fromkeys(r.variable for r in table.rows))
    assert shown == [v for v in ard_order if v != "population"]


@pytest.mark.parametrize("table_id", TABLES)
def test_every_published_count_and_percentage_in_its_cell(view: ArdView, table_id: str) -> None:
    table = display_table(view, table_id)
    published = {n.key: n.value for n in load_published() if n.table == table_id}
    checked = 0
    for (t, variable, level, group, stat), value in published.items():
        if stat != "n" or not level:
            continue
        pct = published.get((t, variable, level, group, "pct"))
        expected = f"{value} ({jama_pct(pct)})" if pct is not None else str(value)
        assert cell(table, variable, level, group) == expected, (variable, level, group)
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("table_id", ["table1", "table2"])
def test_summaries_and_p_values(view: ArdView, table_id: str) -> None:
    table = display_table(view, table_id)
    for number in load_published():
        if number.table == table_id and number.stat_name == "p_value":
            assert number.value is not None
            assert row(table, number.variable, "").p == jama_p(number.value)
    if table_id == "table1":
        assert cell(table, "age", "", "experimental") == "59 (11)"  # mean (SD)
        assert cell(table, "baseline_pci", "", "control") == "5 (0-18)"  # median (range)
    else:
        assert cell(table, "length_of_stay", "", "experimental") == "8 (6-16)"  # median (IQR)
        assert row(table, "cytoreductive_surgery", "").p == ".74"


def test_tests_and_their_warnings_are_footnotes(view: ArdView) -> None:
    table = display_table(view, "table2")
    notes = dict(table.footnotes)
    assert notes[row(table, "cytoreductive_surgery", "").p_mark] == "Fisher exact test"
    assert notes[row(table, "peritoneal_cancer_index", "").p_mark] == "Mann-Whitney U test"
    warned = notes[row(table, "clavien_dindo_4", "").p_mark]
    assert warned == "χ² test; expected count below 5 in at least one cell"


def test_own_denominator_is_a_line_above_its_levels(view: ArdView) -> None:
    table = display_table(view, "table4")
    lines = [r for r in table.rows if r.variable == "trg_peritoneal_metastases"]
    assert lines[1].label == DENOMINATOR_LABEL
    assert lines[1].cells == ("34",)
    assert lines[2].level == "grade_1"


def test_sub_population_n_is_a_footnote(view: ArdView) -> None:
    table = display_table(view, "table3")
    assert any("Adjuvant: n = 22" in text for _, text in table.footnotes)


def test_results_table_has_risk_ratios_and_exact_cis(view: ArdView) -> None:
    table = display_table(view, "results")
    assert table.has_rr
    assert row(table, "cytoreductive_surgery", "macroscopic_complete").rr == "1.04 (0.88-1.23)"
    ci = cell(table, "radiologic_pci_response", "objective_response", "experimental")
    assert ci == "9 (28) [95% CI, 14-47]"
    assert cell(table, "enrolment_first", "", "total") == "2017-06-15"


def test_primary_outcomes_with_counts_and_risk_ratio(report_input: ReportInput) -> None:
    report = build_report(report_input)
    first, second = report.primary_effects()
    assert first.label == "Macroscopic complete CRS-HIPEC"
    assert first.cells == ("33/37 (89)", "36/42 (86)")
    assert (first.rr, first.p) == ("1.04 (0.88-1.23)", ".74")
    assert second.cells == ("8/37 (22)", "14/42 (33)")
    assert second.rr == "0.65 (0.31-1.37)"


def test_a_changed_record_shows_changed(
    with_value: Callable[[tuple[str, str, str, str, str], StatValue], ReportInput],
) -> None:
    changed = with_value(("table1", "sex", "male", "experimental", "n"), 777)
    table = build_report(changed).tables[0]
    assert cell(table, "sex", "male", "experimental") == "777 (49)"
    changed = with_value(("table2", "cytoreductive_surgery", "", "comparison", "p_value"), 0.0004)
    table = build_report(changed).tables[1]
    assert row(table, "cytoreductive_surgery", "").p == "< .001"


def test_a_table_of_another_trial_lays_out_from_its_records() -> None:
    ard = Ard()
    for arm, n in (("a", 10), ("b", 12), ("c", 11)):
        ard.add("table1", "population", "", arm, "N", n)
        ard.add("table1", "smoker", "yes", arm, "n", 3)
        ard.add("table1", "smoker", "yes", arm, "pct", 300 / n)
    ard.add("table1", "smoker", "", "comparison", "p_value", 0.5)
    table = display_table(ArdView(make_result(ard), {"c": "Arm C"}), "table1")
    assert [c.title for c in table.columns] == ["Arm C (n = 11)", "A (n = 10)", "B (n = 12)"]
    assert [r.label for r in table.rows] == ["Smoker", "Yes"]
    assert row(table, "smoker", "yes").cells == ("3 (27)", "3 (30)", "3 (25)")
