"""RECIST 1.1 single-timepoint rules (Eisenhauer EA et al. Eur J Cancer 2009;45:228-247)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.recist import (
    Lesion,
    LesionCategory,
    NonTargetResponse,
    NonTargetStatus,
    OverallResponse,
    TargetResponse,
    classify_lesion,
    is_target_progression,
    min_measurable_mm,
    non_target_response,
    overall_response,
    select_targets,
    sum_of_diameters,
    target_response,
)

from ._support import PROPERTY, assert_rejects

T, N, OR = TargetResponse, NonTargetResponse, OverallResponse
S = NonTargetStatus


def organ_lesion(lesion_id: str, organ: str, mm: float | None) -> Lesion:
    return Lesion(lesion_id, organ, longest_diameter_mm=mm)


def node(lesion_id: str, short_axis: float) -> Lesion:
    return Lesion(lesion_id, "lymph node", is_lymph_node=True, short_axis_mm=short_axis)


# --- lesion model -----------------------------------------------------------------------------


def test_lesion_measure_is_short_axis_for_nodes() -> None:
    assert node("N1", 16).size_mm == 16
    assert organ_lesion("L1", "Liver", 22).size_mm == 22
    assert organ_lesion("P1", "peritoneum", None).size_mm is None
    assert node("N1", 16).organ_key == node("N2", 12).organ_key


def test_lesion_validation() -> None:
    assert_rejects(lambda: Lesion("", "liver", longest_diameter_mm=12), "lesion id", "")
    assert_rejects(lambda: Lesion("L1", " ", longest_diameter_mm=12), "organ (L1)", " ")
    assert_rejects(
        lambda: Lesion("L1", "liver", longest_diameter_mm=-3), "longest_diameter_mm (L1)", -3
    )
    assert_rejects(
        lambda: Lesion("L1", "liver", longest_diameter_mm=math.nan),
        "longest_diameter_mm (L1)",
        math.nan,
    )
    assert_rejects(lambda: Lesion("N1", "node", is_lymph_node=True), "short_axis_mm (N1)", None)
    assert_rejects(
        lambda: Lesion("N1", "node", is_lymph_node=True, short_axis_mm=15, longest_diameter_mm=30),
        "longest_diameter_mm (N1)",
        30,
    )
    assert_rejects(
        lambda: Lesion("L1", "liver", longest_diameter_mm=30, short_axis_mm=15),
        "short_axis_mm (L1)",
        15,
    )
    assert_rejects(lambda: Lesion("L1", "liver", is_lymph_node=1), "is_lymph_node", 1)  # type: ignore[arg-type]


# --- measurability ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lesion", "slice_mm", "expected"),
    [
        (organ_lesion("a", "liver", 10), None, LesionCategory.MEASURABLE),  # >= 10 mm on CT
        (organ_lesion("a", "liver", 9.9), None, LesionCategory.NON_MEASURABLE),
        (organ_lesion("a", "liver", None), None, LesionCategory.NON_MEASURABLE),
        (organ_lesion("a", "liver", 12), 5, LesionCategory.MEASURABLE),
        (organ_lesion("a", "liver", 12), 8, LesionCategory.NON_MEASURABLE),  # needs 2 x 8 = 16
        (organ_lesion("a", "liver", 16), 8, LesionCategory.MEASURABLE),
        (node("n", 15), None, LesionCategory.MEASURABLE),  # node target: short axis >= 15 mm
        (node("n", 14.9), None, LesionCategory.NON_MEASURABLE),  # 10 to < 15: non-target
        (node("n", 10), None, LesionCategory.NON_MEASURABLE),
        (node("n", 9.9), None, LesionCategory.NOT_PATHOLOGICAL),  # < 10: normal
        (node("n", 15), 8, LesionCategory.MEASURABLE),  # node thresholds are not scaled
    ],
)
def test_classify(lesion: Lesion, slice_mm: float | None, expected: LesionCategory) -> None:
    assert classify_lesion(lesion, slice_thickness_mm=slice_mm) is expected


def test_min_measurable() -> None:
    assert min_measurable_mm() == 10
    assert min_measurable_mm(5) == 10
    assert min_measurable_mm(1.25) == 10
    assert min_measurable_mm(7) == 14
    assert_rejects(lambda: min_measurable_mm(0), "CT slice thickness", 0)


# --- target selection -------------------------------------------------------------------------


def test_selection_five_total_two_per_organ_largest_first() -> None:
    lesions = [
        organ_lesion("L1", "liver", 30),
        organ_lesion("L2", "liver", 50),
        organ_lesion("L3", "Liver", 40),  # third liver lesion: non-target despite its size
        organ_lesion("P1", "lung", 12),
        organ_lesion("P2", "lung", 11),
        organ_lesion("O1", "ovary", 25),
        node("N1", 20),
        node("N2", 18),
        node("N3", 12),  # pathological, non-measurable
        node("N4", 6),  # normal
        organ_lesion("A1", "peritoneum", None),
    ]
    selection = select_targets(lesions)
    assert [lesion.lesion_id for lesion in selection.targets] == ["L2", "L3", "O1", "N1", "N2"]
    assert [lesion.lesion_id for lesion in selection.non_targets] == [
        "L1",
        "P1",
        "P2",
        "N3",
        "A1",
    ]
    assert [lesion.lesion_id for lesion in selection.not_pathological] == ["N4"]
    assert selection.baseline_sum_mm == 50 + 40 + 25 + 20 + 18
    assert selection.has_measurable_disease


def test_all_nodes_count_as_one_organ() -> None:
    # EORTC RECIST FAQ: lymph nodes, wherever located, are one organ for the 2-per-organ rule.
    lesions = [
        Lesion("N1", "mesenteric", is_lymph_node=True, short_axis_mm=30),
        Lesion("N2", "iliac", is_lymph_node=True, short_axis_mm=25),
        Lesion("N3", "para-aortic", is_lymph_node=True, short_axis_mm=20),
    ]
    assert [lesion.lesion_id for lesion in select_targets(lesions).targets] == ["N1", "N2"]


def test_ties_are_broken_by_id() -> None:
    lesions = [organ_lesion(name, "liver", 20) for name in ("c", "a", "b")]
    assert [lesion.lesion_id for lesion in select_targets(lesions).targets] == ["a", "b"]


def test_no_measurable_disease() -> None:
    selection = select_targets([organ_lesion("A1", "peritoneum", None), node("N1", 11)])
    assert not selection.has_measurable_disease
    assert selection.baseline_sum_mm == 0


def test_selection_rejects_duplicates_and_non_lesions() -> None:
    lesions = [organ_lesion("L1", "liver", 20), organ_lesion("L1", "lung", 20)]
    assert_rejects(lambda: select_targets(lesions), "lesion id", "L1")
    assert_rejects(lambda: select_targets(["L1"]), "lesion", "L1")  # type: ignore[list-item]


def test_sum_of_diameters_uses_short_axis_and_refuses_unmeasured() -> None:
    assert sum_of_diameters([organ_lesion("L1", "liver", 20.1), node("N1", 15.2)]) == 35.3
    assert_rejects(
        lambda: sum_of_diameters([organ_lesion("A1", "peritoneum", None)]),
        "longest_diameter_mm (A1)",
        None,
    )


# --- target response (section 4.3.1 of the paper) ---------------------------------------------


@pytest.mark.parametrize(
    ("current", "baseline", "nadir", "expected"),
    [
        (70, 100, 100, T.PR),  # at least 30% decrease from baseline
        (70.1, 100, 100, T.SD),
        (60, 100, 50, T.PD),  # +20% and +10 mm over the nadir
        (24, 20, 20, T.SD),  # +20% over the nadir but only +4 mm absolute
        (25, 20, 20, T.PD),  # +25% and +5 mm
        (54, 60, 50, T.SD),  # +8%, +4 mm over the nadir; -10% from baseline
        (40, 100, 30, T.PD),  # PD over the nadir overrides the 60% decrease from baseline
        (120, 120, 120, T.SD),
        (5, 100, 0, T.PD),  # nadir 0 (all targets gone): any >= 5 mm regrowth is PD
        (115.5, 165, 165, T.PR),  # exactly 30% in decimal, although 0.7 * 165 < 115.5 in floats
    ],
)
def test_target_response(
    current: float, baseline: float, nadir: float, expected: TargetResponse
) -> None:
    result = target_response(
        current, baseline_sum_mm=baseline, nadir_sum_mm=nadir, all_resolved=False
    )
    assert result is expected


def test_cr_with_nodes_below_10_mm_has_a_positive_sum() -> None:
    # Paper, 4.3.1 note: target nodes that shrink to < 10 mm are normal; the sum keeps their
    # short axes but the response is CR.
    assert target_response(9, baseline_sum_mm=50, nadir_sum_mm=50, all_resolved=True) is T.CR


def test_target_response_validation() -> None:
    assert_rejects(
        lambda: target_response(10, baseline_sum_mm=0, nadir_sum_mm=0, all_resolved=False),
        "baseline sum",
        0,
    )
    assert_rejects(
        lambda: target_response(-1, baseline_sum_mm=10, nadir_sum_mm=10, all_resolved=False),
        "current sum",
        -1,
    )
    assert_rejects(
        lambda: target_response(10, baseline_sum_mm=10, nadir_sum_mm=11, all_resolved=False),
        "nadir sum",
        11,
    )
    assert_rejects(
        lambda: target_response(10, baseline_sum_mm=10, nadir_sum_mm=10, all_resolved=None),  # type: ignore[arg-type]
        "all_resolved",
        None,
    )


def test_is_target_progression() -> None:
    assert is_target_progression(60, 50)
    assert not is_target_progression(24, 20)
    assert not is_target_progression(59.9, 50)


# --- non-target response ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], N.NO_NON_TARGETS),
        ([S.ABSENT, S.ABSENT], N.CR),
        ([S.ABSENT, S.PRESENT], N.NON_CR_NON_PD),
        ([S.PRESENT, S.NOT_EVALUATED], N.NE),
        ([S.NOT_EVALUATED, S.UNEQUIVOCAL_PROGRESSION], N.PD),
    ],
)
def test_non_target_response(statuses: list[NonTargetStatus], expected: NonTargetResponse) -> None:
    assert non_target_response(statuses) is expected


def test_non_target_response_refuses_text() -> None:
    assert_rejects(lambda: non_target_response(["gone"]), "non-target status", "gone")  # type: ignore[list-item]


# --- overall response: RECIST 1.1 Table 4 (targets +/- non-targets) ---------------------------

TABLE_4 = [
    (T.CR, N.CR, False, OR.CR),
    (T.CR, N.NO_NON_TARGETS, False, OR.CR),
    (T.CR, N.NON_CR_NON_PD, False, OR.PR),
    (T.CR, N.NE, False, OR.PR),
    (T.PR, N.CR, False, OR.PR),
    (T.PR, N.NON_CR_NON_PD, False, OR.PR),
    (T.PR, N.NE, False, OR.PR),
    (T.PR, N.NO_NON_TARGETS, False, OR.PR),
    (T.SD, N.NON_CR_NON_PD, False, OR.SD),
    (T.SD, N.NE, False, OR.SD),
    (T.SD, N.CR, False, OR.SD),
    (T.NE, N.NON_CR_NON_PD, False, OR.NE),
    (T.NE, N.CR, False, OR.NE),
    (T.NE, N.NE, False, OR.NE),
    (T.PD, N.CR, False, OR.PD),
    (T.PD, N.NE, False, OR.PD),
    (T.CR, N.PD, False, OR.PD),
    (T.SD, N.PD, False, OR.PD),
    (T.CR, N.CR, True, OR.PD),
    (T.NE, N.NE, True, OR.PD),
]

# --- Table 5 (non-target disease only) --------------------------------------------------------

TABLE_5 = [
    (T.NO_MEASURABLE_DISEASE, N.CR, False, OR.CR),
    (T.NO_MEASURABLE_DISEASE, N.NON_CR_NON_PD, False, OR.NON_CR_NON_PD),
    (T.NO_MEASURABLE_DISEASE, N.NE, False, OR.NE),
    (T.NO_MEASURABLE_DISEASE, N.PD, False, OR.PD),
    (T.NO_MEASURABLE_DISEASE, N.CR, True, OR.PD),
]


@pytest.mark.parametrize(("target", "non_target", "new", "expected"), TABLE_4 + TABLE_5)
def test_overall_response_tables(
    target: TargetResponse, non_target: NonTargetResponse, new: bool, expected: OverallResponse
) -> None:
    assert overall_response(target, non_target, new) is expected


def test_overall_response_without_any_baseline_disease() -> None:
    assert_rejects(
        lambda: overall_response(T.NO_MEASURABLE_DISEASE, N.NO_NON_TARGETS, False),
        "baseline lesions",
        "none",
    )


def test_overall_response_type_checks() -> None:
    assert_rejects(lambda: overall_response("PR", N.CR, False), "target response", "PR")  # type: ignore[arg-type]
    assert_rejects(lambda: overall_response(T.PR, "CR", False), "non-target response", "CR")  # type: ignore[arg-type]
    assert_rejects(lambda: overall_response(T.PR, N.CR, "no"), "new_lesions", "no")  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

tenths = st.integers(min_value=1, max_value=3000).map(lambda n: n / 10)


@PROPERTY
@given(tenths, st.integers(min_value=0, max_value=3000).map(lambda n: n / 10), st.data())
def test_target_response_is_consistent_with_the_sums(
    baseline: float, current: float, data: st.DataObject
) -> None:
    nadir = data.draw(st.integers(0, round(baseline * 10)).map(lambda n: n / 10))
    result = target_response(
        current, baseline_sum_mm=baseline, nadir_sum_mm=nadir, all_resolved=False
    )
    eps = 1e-9
    progression = current >= 1.2 * nadir - eps and current >= nadir + 5 - eps
    if result is T.PR:
        assert current <= 0.7 * baseline + eps
        assert not (current > 1.2 * nadir + eps and current > nadir + 5 + eps)
    if result is T.PD:
        assert progression
    if result is T.SD:
        assert current > 0.7 * baseline - eps
        assert not (current > 1.2 * nadir + eps and current > nadir + 5 + eps)


lesion_sizes = st.integers(min_value=50, max_value=800).map(lambda n: n / 10)
organs = st.sampled_from(["liver", "lung", "peritoneum", "spleen"])


@st.composite
def lesion_sets(draw: st.DrawFn) -> list[Lesion]:
    count = draw(st.integers(min_value=0, max_value=12))
    lesions = []
    for index in range(count):
        size = draw(lesion_sizes)
        if draw(st.booleans()):
            lesions.append(node(f"X{index}", size))
        else:
            lesions.append(organ_lesion(f"X{index}", draw(organs), size))
    return lesions


@PROPERTY
@given(lesion_sets(), st.randoms(use_true_random=False))
def test_selection_rules_hold(lesions: list[Lesion], rng: object) -> None:
    selection = select_targets(lesions)
    targets = selection.targets
    assert len(targets) <= 5
    per_organ: dict[str, int] = {}
    for lesion in targets:
        assert classify_lesion(lesion) is LesionCategory.MEASURABLE
        per_organ[lesion.organ_key] = per_organ.get(lesion.organ_key, 0) + 1
    assert all(count <= 2 for count in per_organ.values())
    sizes = [lesion.size_mm for lesion in targets]
    assert sizes == sorted(sizes, key=lambda size: -(size or 0))
    # Every lesion lands in exactly one group.
    groups = targets + selection.non_targets + selection.not_pathological
    assert sorted(lesion.lesion_id for lesion in groups) == sorted(x.lesion_id for x in lesions)
    # A measurable lesion is left out only when 5 targets exist or its organ is full of
    # lesions at least as large.
    for lesion in selection.non_targets:
        if classify_lesion(lesion) is LesionCategory.MEASURABLE:
            same = [t for t in targets if t.organ_key == lesion.organ_key]
            assert len(targets) == 5 or (
                len(same) == 2 and all((t.size_mm or 0) >= (lesion.size_mm or 0) for t in same)
            )
    # The selection does not depend on input order.
    shuffled = list(lesions)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert select_targets(shuffled).targets == targets
