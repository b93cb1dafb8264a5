"""A SYNTHETIC three-arm study that is not CAIRO6, analysed from its definition alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cairo6.analysis.definition import arm_pairs, binary_endpoints, flatten, flow, population
from cairo6.study import read_study

TOY = Path(__file__).resolve().parent / "data" / "toy"


def _person(pid: str, arm: str, visits: list[tuple[int, int, str]]) -> object:
    records = [
        {
            "week": w,
            "visit_date": dt.date(2024, 1, 1) + dt.timedelta(weeks=w),
            "systolic": s,
            "adherence": a,
        }
        for w, s, a in visits
    ]
    return flatten(pid, arm, "H01", {"baseline": [{"systolic": 160}], "visit": records})


@pytest.fixture(scope="module")
def people() -> list[object]:
    return [
        _person("1", "usual_care", [(4, 150, "good"), (12, 145, "good")]),
        _person("2", "usual_care", [(12, 132, "poor")]),
        _person("3", "low_dose", [(4, 150, "good"), (12, 135, "good")]),
        _person("4", "low_dose", [(4, 139, "good"), (12, 141, "good")]),
        _person("5", "high_dose", [(12, 128, "good")]),
        _person("6", "high_dose", [(12, 120, "poor")]),
        _person("7", "high_dose", []),
    ]


def test_all_pairs_of_three_arms_are_compared() -> None:
    study = read_study(TOY)
    assert arm_pairs(study) == [
        ("usual_care", "low_dose"),
        ("usual_care", "high_dose"),
        ("low_dose", "high_dose"),
    ]


def test_a_binary_endpoint_reads_one_visit_at_a_time(people: list[object]) -> None:
    study = read_study(TOY)
    ard = {(r.variable, r.group, r.stat_name): r.stat for r in binary_endpoints(study, people)}  # type: ignore[arg-type]
    # Participant 4 was under 140 at week 4 but not at week 12: not controlled.
    assert [ard["controlled", arm, "n"] for arm in ("usual_care", "low_dose", "high_dose")] == [
        1,
        1,
        2,
    ]
    assert ard["controlled", "high_dose", "N"] == 3
    assert ("controlled", "usual_care_vs_high_dose", "p_value") in ard
    # 1/2 vs 2/3 -> risk ratio (1/2) / (2/3) = 0.75
    assert ard["controlled", "usual_care_vs_high_dose", "rr"] == pytest.approx(0.75)


def test_the_per_protocol_population_leaves_out_any_poor_adherence(people: list[object]) -> None:
    study = read_study(TOY)
    members = population(study, "per_protocol", people)  # type: ignore[arg-type]
    # 7 has no visit: whether adherence was good is unknown, and unknown is never assumed.
    assert sorted(p.id for p in members) == ["1", "3", "4", "5"]


def test_flow_counts_by_arm(people: list[object]) -> None:
    study = read_study(TOY)
    counts = {(r.variable, r.group): r.stat for r in flow(study, people)}  # type: ignore[arg-type]
    assert counts["randomised", "total"] == 7
    assert counts["seen_week_12", "high_dose"] == 2


def test_time_to_event_is_derived_from_the_definition() -> None:
    from cairo6.analysis.tte import MONTH_DAYS, derive_tte

    study = read_study(TOY)
    start = dt.date(2024, 1, 1)

    def person(pid: str, stroke: dt.date | None, visits: list[dt.date]) -> object:
        forms: dict[str, list[dict[str, object]]] = {
            "visit": [
                {"week": i + 1, "visit_date": d, "systolic": 130} for i, d in enumerate(visits)
            ]
        }
        if stroke is not None:
            forms["stroke"] = [{"stroke_date": stroke}]
        view = flatten(pid, "low_dose", "H01", forms)
        view.values["@randomised_on"] = start  # type: ignore[index]
        return view

    people = [
        person("a", dt.date(2024, 3, 1), [dt.date(2024, 2, 1), dt.date(2024, 6, 1)]),
        person("b", None, [dt.date(2024, 2, 1), dt.date(2024, 6, 1)]),
        person("c", None, []),
    ]
    times, missing = derive_tte(study, study.endpoint("time_to_stroke"), people)  # type: ignore[arg-type]
    by_id = {t.participant: t for t in times}
    # The stroke comes first; without one, the last visit censors.
    assert by_id["a"].event
    assert by_id["a"].time_months == pytest.approx(60 / MONTH_DAYS)
    assert not by_id["b"].event
    assert by_id["b"].time_months == pytest.approx(152 / MONTH_DAYS)
    assert by_id["b"].source == "last visit"
    assert [(m.participant, m.reason) for m in missing] == [
        ("c", "no event and no date to censor at")
    ]


def test_a_continuous_endpoint_gets_the_plans_t_test() -> None:
    study = read_study(TOY)

    def person(pid: str, arm: str, systolic: int) -> object:
        return flatten(pid, arm, "H01", {"baseline": [{"systolic": systolic}]})

    people = [
        person("1", "usual_care", 150),
        person("2", "usual_care", 160),
        person("3", "usual_care", 171),
        person("4", "low_dose", 148),
        person("5", "low_dose", 152),
        person("6", "low_dose", 158),
        person("7", "high_dose", 140),
    ]
    ard = {(r.variable, r.group, r.stat_name): r.stat for r in binary_endpoints(study, people)}  # type: ignore[arg-type]
    assert ard["baseline_systolic", "usual_care", "median"] == 160
    # R: t.test(c(150, 160, 171), c(148, 152, 158), var.equal = TRUE)$p.value = 0.3178887
    assert ard["baseline_systolic", "usual_care_vs_low_dose", "p_value"] == pytest.approx(
        0.3178887, abs=1e-7
    )
    assert ard["baseline_systolic", "usual_care_vs_low_dose", "mean_diff"] == pytest.approx(
        7.6667, abs=1e-4
    )
    # One value in an arm: no test, and the ARD says why.
    assert ard["baseline_systolic", "usual_care_vs_high_dose", "p_value"] is None


def test_the_report_of_a_three_arm_study_compares_every_pair(people: list[object]) -> None:
    from cairo6.report.study_report import build_report

    study = read_study(TOY)
    report = build_report(study, people)  # type: ignore[arg-type]
    outcomes = next(t for t in report.tables if t.id == "endpoints")
    assert outcomes.columns[:3] == ("Usual care", "Low dose", "High dose")
    assert sum("P value" in c for c in outcomes.columns) == 3
    row = dict(outcomes.rows)["Blood pressure controlled at 12 weeks"]
    assert row[:3] == ("1/2 (50.0%)", "1/2 (50.0%)", "2/3 (66.7%)")
    flow_rows = dict(next(t for t in report.tables if t.id == "flow").rows)
    assert flow_rows["Seen at week 12"][:3] == ("2", "2", "2")


def test_time_to_event_endpoints_reach_the_report_for_every_pair() -> None:
    from cairo6.report.study_report import build_report

    study = read_study(TOY)
    start = dt.date(2024, 1, 1)
    people = []
    # Strokes only with usual care: the other pairs' hazard ratios are not estimable, and say so.
    plan = {
        "usual_care": [30, 60, None, 200],
        "low_dose": [None, None, None, None],
        "high_dose": [None, None, None, None],
    }
    for arm, strokes in plan.items():
        for n, day in enumerate(strokes):
            forms: dict[str, list[dict[str, object]]] = {
                "visit": [{"week": 52, "visit_date": start + dt.timedelta(days=300 + 7 * n)}]
            }
            if day is not None:
                forms["stroke"] = [{"stroke_date": start + dt.timedelta(days=day)}]
            view = flatten(f"{arm}-{n}", arm, "H01", forms)
            view.values["@randomised_on"] = start  # type: ignore[index]
            people.append(view)
    report = build_report(study, people)
    table = next(t for t in report.tables if t.id == "survival")
    rows = dict(table.rows)
    assert rows["\u2003Usual care"][0] == "3/4"
    assert rows["\u2003Low dose"][0] == "0/4"
    hazard = rows["\u2003Usual care vs Low dose"][3]
    record = report.ard.find(
        "survival", "time_to_stroke", "hazard_ratio", "usual_care_vs_low_dose", "rr"
    )
    assert record is not None
    assert record.stat is None
    assert hazard == record.note
    assert hazard.startswith("not estimable")
    # Low dose against high dose: no event at all, so no log-rank test either.
    assert rows["\u2003Low dose vs High dose"][4].startswith("no test")
