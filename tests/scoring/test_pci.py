"""PCI (Jacquet & Sugarbaker, Cancer Treat Res 1996;82:359-374)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.pci import (
    MAX_PCI,
    PciResult,
    Region,
    lesion_size_score,
    pci_from_lesion_sizes,
    pci_total,
)

from ._support import PROPERTY, assert_rejects

IDS = [
    "central",
    "right_upper",
    "epigastrium",
    "left_upper",
    "left_flank",
    "left_lower",
    "pelvis",
    "right_lower",
    "right_flank",
    "upper_jejunum",
    "lower_jejunum",
    "upper_ileum",
    "lower_ileum",
]


def test_regions_have_the_published_codes_and_stable_ids() -> None:
    assert [(region.code, region.id) for region in Region] == list(enumerate(IDS))
    assert Region.RIGHT_UPPER.label == "Right upper"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (Region.PELVIS, Region.PELVIS),
        (6, Region.PELVIS),
        ("pelvis", Region.PELVIS),
        ("Right upper", Region.RIGHT_UPPER),
        (" right-upper ", Region.RIGHT_UPPER),
        ("LOWER_ILEUM", Region.LOWER_ILEUM),
        (0, Region.CENTRAL),
        (12, Region.LOWER_ILEUM),
    ],
)
def test_region_parse(key: Region | str | int, expected: Region) -> None:
    assert Region.parse(key) is expected


@pytest.mark.parametrize("key", [13, -1, "stomach", "6", True, 2.0, None])
def test_region_parse_rejects_unknown(key: object) -> None:
    assert_rejects(lambda: Region.parse(key), "region", key)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size_cm", "confluent", "expected"),
    [
        (None, False, 0),
        (0, False, 0),
        (0.1, False, 1),
        (0.5, False, 1),  # "up to 0.5 cm" is LS-1
        (0.51, False, 2),
        (2.5, False, 2),
        (5.0, False, 2),  # "up to 5.0 cm" is LS-2 (documented choice)
        (5.01, False, 3),
        (12, False, 3),
        (0.2, True, 3),  # confluence scores 3 whatever the size
        (None, True, 3),
    ],
)
def test_lesion_size_score(size_cm: float | None, confluent: bool, expected: int) -> None:
    assert lesion_size_score(size_cm, confluent) == expected


@pytest.mark.parametrize("size", [-0.1, -5, math.nan, math.inf, "2", True])
def test_lesion_size_score_rejects_bad_sizes(size: object) -> None:
    assert_rejects(lambda: lesion_size_score(size), "largest lesion size", size)  # type: ignore[arg-type]


def test_lesion_size_zero_but_confluent_is_contradictory() -> None:
    assert_rejects(lambda: lesion_size_score(0.0, True), "largest lesion size", 0.0)


def test_confluent_flag_must_be_bool() -> None:
    assert_rejects(lambda: lesion_size_score(1.0, "yes"), "confluent", "yes")  # type: ignore[arg-type]


def test_all_regions_three_is_39_and_all_zero_is_0() -> None:
    assert pci_total(dict.fromkeys(Region, 3)).total == MAX_PCI == 39
    result = pci_total({region.id: 0 for region in Region})
    assert result.total == 0
    assert result.involved_regions == 0
    assert result.complete


def test_mixed_key_kinds_and_per_region_scores() -> None:
    scores: dict[Region | str | int, int] = {region.code: 0 for region in Region}
    del scores[6], scores[0], scores[9]
    scores.update({"pelvis": 3, Region.CENTRAL: 2, "upper_jejunum": 1})
    result = pci_total(scores)
    assert result.total == 6
    assert result.involved_regions == 3
    assert result.score("pelvis") == 3
    assert result.score(0) == 2
    assert result.as_dict()["upper_jejunum"] == 1
    assert [region for region, _ in result.region_scores] == list(Region)


def test_missing_regions_are_refused_by_default() -> None:
    missing = tuple(region_id for region_id in IDS if region_id != "pelvis")
    error = assert_rejects(lambda: pci_total({"pelvis": 2}), "missing PCI regions", missing)
    assert "allow_partial=True" in str(error)
    assert "lower_ileum" in str(error)


def test_partial_pci_when_allowed() -> None:
    result = pci_total({"pelvis": 2, "central": 1}, allow_partial=True)
    assert result.total == 3
    assert not result.complete
    assert Region.PELVIS not in result.missing
    assert len(result.missing) == 11
    assert result.score("lower_ileum") is None


@pytest.mark.parametrize("score", [5, 4, -1, 1.5, "2", True, None])
def test_region_score_out_of_range(score: object) -> None:
    scores: dict[str, object] = {region.id: 0 for region in Region}
    scores["pelvis"] = score
    assert_rejects(lambda: pci_total(scores), "lesion size score (pelvis)", score)  # type: ignore[arg-type]


def test_unknown_region_key() -> None:
    scores: dict[str, int] = {region.id: 0 for region in Region}
    scores["stomach"] = 1
    assert_rejects(lambda: pci_total(scores), "region", "stomach")


def test_same_region_as_int_and_name_is_a_duplicate() -> None:
    scores: dict[Region | str | int, int] = {region.id: 0 for region in Region}
    scores[0] = 1
    error = assert_rejects(lambda: pci_total(scores), "region", 0)
    assert "central" in str(error)


def test_empty_and_non_mapping_input() -> None:
    assert_rejects(lambda: pci_total({}, allow_partial=True), "scores", {})
    assert_rejects(lambda: pci_total([("pelvis", 1)]), "scores", [("pelvis", 1)])  # type: ignore[arg-type]


def test_result_cannot_be_built_inconsistent() -> None:
    assert_rejects(
        lambda: PciResult(((Region.PELVIS, 1), (Region.CENTRAL, 1))),
        "region_scores",
        [Region.PELVIS, Region.CENTRAL],
    )
    assert_rejects(lambda: PciResult(((Region.PELVIS, 4),)), "lesion size score (pelvis)", 4)


def test_pci_from_lesion_sizes() -> None:
    sizes: dict[str, float | None] = {region.id: None for region in Region}
    sizes.update({"pelvis": 6.0, "central": 0.4, "right_flank": 5.0, "left_flank": 0.3})
    result = pci_from_lesion_sizes(sizes, confluent=["left_flank"])
    assert result.as_dict()["pelvis"] == 3
    assert result.as_dict()["central"] == 1
    assert result.as_dict()["right_flank"] == 2
    assert result.as_dict()["left_flank"] == 3
    assert result.total == 9


def test_pci_from_lesion_sizes_errors_name_the_region() -> None:
    sizes: dict[str, float | None] = {region.id: None for region in Region}
    sizes["pelvis"] = -1.0
    assert_rejects(lambda: pci_from_lesion_sizes(sizes), "largest lesion size (pelvis)", -1.0)
    sizes["pelvis"] = 1.0
    assert_rejects(
        lambda: pci_from_lesion_sizes({"pelvis": 1.0}, confluent=["central"], allow_partial=True),
        "confluent",
        "central",
    )


@PROPERTY
@given(st.lists(st.integers(0, 3), min_size=13, max_size=13))
def test_total_is_the_sum_and_within_0_39(values: list[int]) -> None:
    result = pci_total(dict(zip(IDS, values, strict=True)))
    assert result.total == sum(values)
    assert 0 <= result.total <= MAX_PCI
    assert result.involved_regions == sum(1 for value in values if value)


sizes = st.floats(min_value=0, max_value=100, allow_nan=False)


@PROPERTY
@given(sizes, sizes)
def test_lesion_size_score_is_monotone_and_matches_the_bands(a: float, b: float) -> None:
    small, large = sorted((a, b))
    assert lesion_size_score(small) <= lesion_size_score(large)
    expected = 0 if a == 0 else 1 if a <= 0.5 else 2 if a <= 5.0 else 3
    assert lesion_size_score(a) == expected
    if a > 0:
        assert lesion_size_score(a, confluent=True) == 3
