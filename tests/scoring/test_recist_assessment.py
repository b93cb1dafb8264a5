"""RECIST 1.1 over follow-up sequences (Eisenhauer EA et al. Eur J Cancer 2009;45:228-247)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.recist import (
    Lesion,
    NonTargetResponse,
    NonTargetStatus,
    OverallResponse,
    TargetResponse,
)
from cairo6.scoring.recist_assessment import FollowUp, RecistAssessment

from ._support import PROPERTY, assert_rejects

T, N, OR = TargetResponse, NonTargetResponse, OverallResponse


def liver(lesion_id: str, mm: float) -> Lesion:
    return Lesion(lesion_id, "liver", longest_diameter_mm=mm)


def single_target(baseline_mm: float) -> RecistAssessment:
    return RecistAssessment([liver("L1", baseline_mm)])


def test_baseline_100_to_70_is_pr() -> None:
    # Paper 4.3.1: PR is at least a 30% decrease, taking the baseline sum as reference.
    (result,) = single_target(100).evaluate([FollowUp({"L1": 70})])
    assert result.target is T.PR
    assert result.overall is OR.PR
    assert result.change_from_baseline_pct == pytest.approx(-30)


def test_nadir_50_then_60_is_pd() -> None:
    # Paper 4.3.1: PD is >= 20% over the smallest sum on study AND >= 5 mm absolute:
    # 50 -> 60 mm is +20% and +10 mm.
    results = single_target(100).evaluate([FollowUp({"L1": 50}), FollowUp({"L1": 60})])
    assert [r.target for r in results] == [T.PR, T.PD]
    assert results[1].nadir_mm == 50
    assert results[1].change_from_nadir_pct == pytest.approx(20)
    assert results[1].change_from_baseline_pct == pytest.approx(-40)


def test_nadir_20_then_24_is_sd_because_only_4_mm() -> None:
    # Paper 4.3.1: the 5 mm absolute increase is required in addition to the 20%.
    results = single_target(20).evaluate([FollowUp({"L1": 24}), FollowUp({"L1": 25})])
    assert [r.target for r in results] == [T.SD, T.PD]


def test_continued_pr_compared_with_the_nadir() -> None:
    # EORTC RECIST 1.1 FAQ ("definition of SD"): 165 mm baseline, 63 mm at week 8, 65 mm at
    # week 16 -> continued PR (PD is judged against the nadir 63 mm: +2 mm is not PD).
    results = single_target(165).evaluate(
        [FollowUp({"L1": 63}, label="week 8"), FollowUp({"L1": 65}, label="week 16")]
    )
    assert [(r.label, r.target) for r in results] == [("week 8", T.PR), ("week 16", T.PR)]
    assert results[1].nadir_mm == 63


def test_missing_lesion_is_ne_unless_the_rest_is_already_pd() -> None:
    # Paper, "missing assessments and inevaluable designation": baseline sum 50 mm from three
    # lesions; at follow-up only two were assessed but they sum to 80 mm -> PD regardless of the
    # missing lesion.
    assessment = RecistAssessment(
        [liver("L1", 20), Lesion("P1", "lung", longest_diameter_mm=15), liver("L2", 15)]
    )
    assert assessment.baseline_sum_mm == 50
    (pd,) = assessment.evaluate([FollowUp({"L1": 45, "P1": 35})])
    assert pd.target is T.PD
    assert pd.sum_mm is None
    (ne,) = assessment.evaluate([FollowUp({"L1": 20, "P1": 15, "L2": None})])
    assert ne.target is T.NE
    assert ne.overall is OR.NE
    assert ne.change_from_baseline_pct is None


def test_cr_with_target_node_below_10_mm() -> None:
    # Paper 4.3.1 note: CR when non-nodal targets have gone and target nodes are < 10 mm short
    # axis; the sum (of the node axes) is then not zero.
    assessment = RecistAssessment(
        [liver("L1", 30), Lesion("N1", "node", is_lymph_node=True, short_axis_mm=20)]
    )
    results = assessment.evaluate([FollowUp({"L1": 0, "N1": 8}), FollowUp({"L1": 0, "N1": 10})])
    assert results[0].target is T.CR
    assert results[0].overall is OR.CR
    assert results[0].sum_mm == 8
    # A node back at 10 mm is pathological again: not CR; against the nadir 8 mm it is +2 mm.
    assert results[1].target is T.PR


def test_nadir_ignores_incomplete_timepoints() -> None:
    assessment = RecistAssessment([liver("L1", 40), liver("L2", 40)])
    results = assessment.evaluate(
        [
            FollowUp({"L1": 10}),  # L2 missing: NE, and 10 mm is not a nadir
            FollowUp({"L1": 30, "L2": 30}),
            FollowUp({"L1": 36, "L2": 36}),  # +12 mm, +20% over nadir 60
        ]
    )
    assert [r.target for r in results] == [T.NE, T.SD, T.PD]
    assert [r.nadir_mm for r in results] == [80, 80, 60]


def test_non_targets_and_new_lesions() -> None:
    assessment = RecistAssessment(
        [liver("L1", 40), Lesion("A1", "peritoneum"), Lesion("N9", "node", True, None, 12)]
    )
    assert [lesion.lesion_id for lesion in assessment.selection.non_targets] == ["A1", "N9"]
    follow_ups = [
        FollowUp({"L1": 0}, {"A1": "absent", "N9": NonTargetStatus.ABSENT}),
        FollowUp({"L1": 0}, {"A1": "present", "N9": "absent"}),
        FollowUp({"L1": 0}, {"A1": "absent"}),  # N9 not evaluated
        FollowUp({"L1": 0}, {"A1": "unequivocal progression", "N9": "absent"}),
        FollowUp({"L1": 0}, {"A1": "absent", "N9": "absent"}, new_lesions=True),
    ]
    results = assessment.evaluate(follow_ups)
    assert [r.non_target for r in results] == [N.CR, N.NON_CR_NON_PD, N.NE, N.PD, N.CR]
    assert [r.overall for r in results] == [OR.CR, OR.PR, OR.PR, OR.PD, OR.PD]


def test_non_target_only_disease_uses_table_5() -> None:
    # No measurable disease at baseline: target response is not evaluable.
    assessment = RecistAssessment([Lesion("A1", "peritoneum"), liver("L1", 8)])
    assert not assessment.selection.has_measurable_disease
    results = assessment.evaluate(
        [
            FollowUp(non_target={"A1": "present", "L1": "present"}),
            FollowUp(non_target={"A1": "absent", "L1": "absent"}),
            FollowUp(non_target={"A1": "absent"}),
            FollowUp(non_target={"A1": "absent", "L1": "absent"}, new_lesions=True),
        ]
    )
    assert all(r.target is T.NO_MEASURABLE_DISEASE for r in results)
    assert [r.overall for r in results] == [OR.NON_CR_NON_PD, OR.CR, OR.NE, OR.PD]
    assert results[0].sum_mm is None
    assert results[0].nadir_mm is None


def test_no_disease_at_baseline_is_refused() -> None:
    normal_node = Lesion("N1", "node", is_lymph_node=True, short_axis_mm=6)
    assert_rejects(lambda: RecistAssessment([]), "baseline lesions", [])
    assert_rejects(lambda: RecistAssessment([normal_node]), "baseline lesions", ["N1"])


def test_follow_up_validation() -> None:
    assessment = RecistAssessment([liver("L1", 40), Lesion("A1", "peritoneum")])
    assert_rejects(lambda: assessment.evaluate([FollowUp({"L9": 10})]), "target lesion id", "L9")
    assert_rejects(lambda: assessment.evaluate([FollowUp({"A1": 10})]), "target lesion id", "A1")
    assert_rejects(
        lambda: assessment.evaluate([FollowUp(non_target={"L1": "present"})]),
        "non-target lesion id",
        "L1",
    )
    assert_rejects(lambda: FollowUp({"L1": -1}), "target measure (L1)", -1)
    assert_rejects(lambda: FollowUp(non_target={"A1": "gone"}), "non-target status (A1)", "gone")
    assert_rejects(lambda: FollowUp(new_lesions="yes"), "new_lesions", "yes")  # type: ignore[arg-type]
    assert_rejects(lambda: assessment.assess("scan"), "follow-up", "scan")  # type: ignore[arg-type]


def test_follow_up_is_a_snapshot_of_its_input() -> None:
    measures: dict[str, float | None] = {"L1": 20}
    follow_up = FollowUp(measures)
    measures["L1"] = 90
    assert follow_up.target_mm["L1"] == 20
    assert hash(follow_up) == hash(FollowUp({"L1": 20}))


def test_assess_single_timepoint_against_a_given_nadir() -> None:
    assessment = single_target(100)
    assert assessment.assess(FollowUp({"L1": 80}), nadir_sum_mm=50).target is T.PD
    assert assessment.assess(FollowUp({"L1": 80})).target is T.SD  # nadir = baseline 100
    assert_rejects(
        lambda: assessment.assess(FollowUp({"L1": 80}), nadir_sum_mm=120), "nadir sum", 120
    )


# --- property: responses agree with the sums over a whole sequence ----------------------------

measures = st.integers(min_value=0, max_value=1500).map(lambda n: n / 10)


@PROPERTY
@given(
    st.lists(
        st.integers(min_value=100, max_value=800).map(lambda n: n / 10), min_size=1, max_size=4
    ),
    st.lists(st.tuples(st.lists(measures, min_size=4, max_size=4), st.booleans()), max_size=6),
)
def test_sequence_is_consistent_with_sums_and_nadir(
    baseline_mm: list[float], scans: list[tuple[list[float], bool]]
) -> None:
    lesions = [
        Lesion(f"L{index}", f"organ{index}", longest_diameter_mm=mm)
        for index, mm in enumerate(baseline_mm)
    ]
    assessment = RecistAssessment(lesions)
    baseline = sum(baseline_mm)
    follow_ups = [
        FollowUp({f"L{i}": values[i] for i in range(len(lesions))}, new_lesions=new)
        for values, new in scans
    ]
    nadir = baseline
    eps = 1e-6
    for (values, new), result in zip(scans, assessment.evaluate(follow_ups), strict=True):
        current = sum(values[: len(lesions)])
        assert result.sum_mm == pytest.approx(current)
        assert result.nadir_mm == pytest.approx(nadir)
        if result.overall is OR.PR:
            assert current <= 0.7 * baseline + eps
        if result.overall is OR.PD:
            assert new or (current >= 1.2 * nadir - eps and current >= nadir + 5 - eps)
        if result.overall is OR.CR:
            assert current == 0
            assert not new
        if result.overall is OR.SD:
            assert 0.7 * baseline - eps < current
            assert not new
            assert not (current >= 1.2 * nadir + eps and current >= nadir + 5 + eps)
        assert result.overall is not OR.NE
        nadir = min(nadir, current)
