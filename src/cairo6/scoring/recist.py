"""RECIST 1.1 (Eisenhauer EA et al. Eur J Cancer 2009;45:228-247): lesions and response rules.

This module holds the single-timepoint rules: which baseline lesion is measurable, which are
targets, and the target, non-target and overall response at one follow-up. The follow-up
sequence (nadir tracking) is in `recist_assessment.py`.

All thresholds are compared in exact decimal arithmetic (see `_validate.exact`) so that a value
exactly on a boundary (a 30.0% decrease, a 20.0% increase) falls as the paper says ("at least").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from cairo6.errors import ScoringError
from cairo6.scoring._validate import (
    exact,
    require_non_negative,
    require_positive,
    require_text,
    token,
)

__all__ = [
    "MAX_TARGETS",
    "MAX_TARGETS_PER_ORGAN",
    "TOO_SMALL_TO_MEASURE_MM",
    "Lesion",
    "LesionCategory",
    "NonTargetResponse",
    "NonTargetStatus",
    "OverallResponse",
    "TargetResponse",
    "TargetSelection",
    "classify_lesion",
    "is_target_progression",
    "min_measurable_mm",
    "non_target_response",
    "overall_response",
    "select_targets",
    "sum_of_diameters",
    "target_response",
]

MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
MIN_NON_NODAL_MM = 10.0
MIN_TARGET_NODE_MM = 15.0
MIN_PATHOLOGICAL_NODE_MM = 10.0
# RECIST 1.1: a target that is present but too small to measure is recorded as 5 mm (0 mm only
# when it has disappeared). Callers substitute this value; it is never imputed here.
TOO_SMALL_TO_MEASURE_MM = 5.0
# EORTC RECIST FAQ ("two target lesions"): lymph nodes, wherever located, count as one organ for
# the two-per-organ rule.
_NODE_ORGAN = "lymph_node"


class LesionCategory(Enum):
    """Baseline category of a lesion."""

    MEASURABLE = "measurable"  # may be selected as target
    NON_MEASURABLE = "non-measurable"  # followed as non-target (incl. nodes 10 to <15 mm)
    NOT_PATHOLOGICAL = "not pathological"  # node < 10 mm short axis: normal, not a lesion


@dataclass(frozen=True)
class Lesion:
    """A baseline lesion.

    Non-nodal lesions give `longest_diameter_mm` (None = present but not measurable, e.g.
    ascites or peritoneal thickening); lymph nodes give `short_axis_mm` only, since RECIST
    measures nodes by their short axis. Giving the other measure is refused, because it signals
    a lesion recorded with the wrong node flag.
    """

    lesion_id: str
    organ: str
    is_lymph_node: bool = False
    longest_diameter_mm: float | None = None
    short_axis_mm: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lesion_id", require_text("lesion id", self.lesion_id))
        object.__setattr__(self, "organ", require_text(f"organ ({self.lesion_id})", self.organ))
        if not isinstance(self.is_lymph_node, bool):
            raise ScoringError("is_lymph_node", self.is_lymph_node, "True or False")
        used, unused = (
            ("short_axis_mm", "longest_diameter_mm")
            if self.is_lymph_node
            else ("longest_diameter_mm", "short_axis_mm")
        )
        if getattr(self, unused) is not None:
            kind = "a lymph node" if self.is_lymph_node else "a non-nodal lesion"
            raise ScoringError(
                f"{unused} ({self.lesion_id})",
                getattr(self, unused),
                f"None for {kind} ({used} is its RECIST measure)",
                f"record the measure as {used}, or correct is_lymph_node",
            )
        value = getattr(self, used)
        if value is None and self.is_lymph_node:
            raise ScoringError(
                f"short_axis_mm ({self.lesion_id})",
                None,
                "a short axis in mm for a lymph node",
                "measure the node's short axis",
            )
        if value is not None:
            object.__setattr__(
                self, used, require_positive(f"{used} ({self.lesion_id})", value, "mm")
            )

    @property
    def size_mm(self) -> float | None:
        """The RECIST measure: short axis for nodes, longest diameter otherwise."""
        return self.short_axis_mm if self.is_lymph_node else self.longest_diameter_mm

    @property
    def organ_key(self) -> str:
        """Organ for the two-per-organ rule (all lymph nodes are one organ)."""
        return _NODE_ORGAN if self.is_lymph_node else token(self.organ)


def min_measurable_mm(slice_thickness_mm: float | None = None) -> float:
    """Minimum longest diameter of a measurable non-nodal lesion: max(10, 2 x slice thickness).

    RECIST 1.1 requires 10 mm on CT with slices <= 5 mm and twice the slice thickness when the
    slices are thicker. The node thresholds (15 and 10 mm short axis) are not scaled: the paper
    states the doubling rule for lesions in general and fixed values for nodes.
    """
    if slice_thickness_mm is None:
        return MIN_NON_NODAL_MM
    slice_mm = require_positive("CT slice thickness", slice_thickness_mm, "mm")
    return max(MIN_NON_NODAL_MM, 2 * slice_mm)


def classify_lesion(lesion: Lesion, *, slice_thickness_mm: float | None = None) -> LesionCategory:
    """Measurable, non-measurable, or (nodes < 10 mm) not pathological."""
    size = lesion.size_mm
    if lesion.is_lymph_node:
        if size is None:
            raise ScoringError(f"short_axis_mm ({lesion.lesion_id})", None, "a short axis in mm")
        if size >= MIN_TARGET_NODE_MM:
            return LesionCategory.MEASURABLE
        if size >= MIN_PATHOLOGICAL_NODE_MM:
            return LesionCategory.NON_MEASURABLE
        return LesionCategory.NOT_PATHOLOGICAL
    if size is not None and size >= min_measurable_mm(slice_thickness_mm):
        return LesionCategory.MEASURABLE
    return LesionCategory.NON_MEASURABLE


def sum_of_diameters(lesions: Iterable[Lesion]) -> float:
    """Sum of the RECIST measures (short axis for nodes); refuses unmeasured lesions."""
    total = Fraction(0)
    for lesion in lesions:
        if lesion.size_mm is None:
            raise ScoringError(
                f"longest_diameter_mm ({lesion.lesion_id})",
                None,
                "a measured lesion",
                "only measured lesions can be summed",
            )
        total += exact(lesion.size_mm)
    return float(total)


@dataclass(frozen=True)
class TargetSelection:
    """Baseline lesions split into targets, non-targets and normal nodes."""

    targets: tuple[Lesion, ...]
    non_targets: tuple[Lesion, ...]
    not_pathological: tuple[Lesion, ...] = ()

    @property
    def baseline_sum_mm(self) -> float:
        """Sum of diameters of the targets (0 when there is no measurable disease)."""
        return sum_of_diameters(self.targets)

    @property
    def has_measurable_disease(self) -> bool:
        """True when at least one target was selected."""
        return bool(self.targets)


def select_targets(
    lesions: Sequence[Lesion], *, slice_thickness_mm: float | None = None
) -> TargetSelection:
    """Select up to 5 targets, at most 2 per organ, largest first (ties by lesion id).

    Measurable lesions not selected, and non-measurable ones, become non-targets (in input
    order). Nodes < 10 mm short axis are normal and kept apart. RECIST also asks for lesions
    that are reproducibly measurable; that judgement stays with the radiologist, who can leave a
    lesion out of the measurable set by recording it without a diameter.
    """
    seen: set[str] = set()
    for lesion in lesions:
        if not isinstance(lesion, Lesion):
            raise ScoringError("lesion", lesion, "a Lesion", "build each lesion with Lesion(...)")
        if lesion.lesion_id in seen:
            raise ScoringError(
                "lesion id", lesion.lesion_id, "unique lesion ids", "give each lesion its own id"
            )
        seen.add(lesion.lesion_id)
    category = {
        lesion.lesion_id: classify_lesion(lesion, slice_thickness_mm=slice_thickness_mm)
        for lesion in lesions
    }
    measurable = sorted(
        (lesion for lesion in lesions if category[lesion.lesion_id] is LesionCategory.MEASURABLE),
        key=lambda lesion: (-exact(lesion.size_mm or 0.0), lesion.lesion_id),
    )
    targets: list[Lesion] = []
    per_organ: dict[str, int] = {}
    for lesion in measurable:
        if len(targets) == MAX_TARGETS:
            break
        if per_organ.get(lesion.organ_key, 0) < MAX_TARGETS_PER_ORGAN:
            targets.append(lesion)
            per_organ[lesion.organ_key] = per_organ.get(lesion.organ_key, 0) + 1
    chosen = {lesion.lesion_id for lesion in targets}
    non_targets = tuple(
        lesion
        for lesion in lesions
        if lesion.lesion_id not in chosen
        and category[lesion.lesion_id] is not LesionCategory.NOT_PATHOLOGICAL
    )
    normal = tuple(
        lesion
        for lesion in lesions
        if category[lesion.lesion_id] is LesionCategory.NOT_PATHOLOGICAL
    )
    return TargetSelection(tuple(targets), non_targets, normal)


class TargetResponse(Enum):
    """Target-lesion response at one timepoint."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"
    NE = "NE"  # not all targets assessed at this timepoint
    NO_MEASURABLE_DISEASE = "NE-no-target"  # not evaluable: no target at baseline (Table 5)


class NonTargetStatus(Enum):
    """Qualitative status of one non-target lesion at follow-up."""

    ABSENT = "absent"  # disappeared; for a node: short axis < 10 mm
    PRESENT = "present"
    UNEQUIVOCAL_PROGRESSION = "unequivocal progression"
    NOT_EVALUATED = "not evaluated"


class NonTargetResponse(Enum):
    """Non-target response at one timepoint."""

    CR = "CR"
    NON_CR_NON_PD = "non-CR/non-PD"
    PD = "PD"
    NE = "NE"
    NO_NON_TARGETS = "none at baseline"


class OverallResponse(Enum):
    """Overall timepoint response (RECIST 1.1 Tables 4 and 5)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "non-CR/non-PD"  # only for patients without target lesions (Table 5)
    PD = "PD"
    NE = "NE"


def _progression(current: Fraction, nadir: Fraction) -> bool:
    increase = current - nadir
    return increase >= 5 and increase * 5 >= nadir


def is_target_progression(current_sum_mm: float, nadir_sum_mm: float) -> bool:
    """True for a >= 20% increase over the nadir AND a >= 5 mm absolute increase."""
    current = exact(require_non_negative("current sum", current_sum_mm, "mm"))
    nadir = exact(require_non_negative("nadir sum", nadir_sum_mm, "mm"))
    return _progression(current, nadir)


def target_response(
    current_sum_mm: float,
    *,
    baseline_sum_mm: float,
    nadir_sum_mm: float,
    all_resolved: bool,
) -> TargetResponse:
    """Target response from sums of diameters.

    `all_resolved` means every non-nodal target has disappeared (0 mm) and every nodal target
    is < 10 mm short axis: that is CR even though the sum may be > 0 (it holds the node axes).
    CR is checked first because such nodes are normal by RECIST's own definition; PD is
    checked before PR because progression is judged against the nadir and overrides a
    decrease from baseline.
    """
    if not isinstance(all_resolved, bool):
        raise ScoringError("all_resolved", all_resolved, "True or False")
    baseline = exact(require_positive("baseline sum", baseline_sum_mm, "mm"))
    current = exact(require_non_negative("current sum", current_sum_mm, "mm"))
    nadir = exact(require_non_negative("nadir sum", nadir_sum_mm, "mm"))
    if nadir > baseline:
        raise ScoringError(
            "nadir sum",
            nadir_sum_mm,
            f"at most the baseline sum ({baseline_sum_mm} mm): the nadir includes the baseline",
            "pass the smallest sum on study",
        )
    if all_resolved:
        return TargetResponse.CR
    if _progression(current, nadir):
        return TargetResponse.PD
    if (baseline - current) * 10 >= baseline * 3:
        return TargetResponse.PR
    return TargetResponse.SD


def non_target_response(statuses: Iterable[NonTargetStatus]) -> NonTargetResponse:
    """Non-target response from the status of each non-target lesion.

    Any unequivocal progression -> PD; otherwise any lesion not evaluated -> NE; all absent
    -> CR; else non-CR/non-PD. No statuses (no non-target lesion at baseline) -> NO_NON_TARGETS.
    """
    items = list(statuses)
    for item in items:
        if not isinstance(item, NonTargetStatus):
            raise ScoringError(
                "non-target status",
                item,
                ", ".join(status.value for status in NonTargetStatus),
                "use NonTargetStatus",
            )
    if not items:
        return NonTargetResponse.NO_NON_TARGETS
    if NonTargetStatus.UNEQUIVOCAL_PROGRESSION in items:
        return NonTargetResponse.PD
    if NonTargetStatus.NOT_EVALUATED in items:
        return NonTargetResponse.NE
    if all(item is NonTargetStatus.ABSENT for item in items):
        return NonTargetResponse.CR
    return NonTargetResponse.NON_CR_NON_PD


def overall_response(
    target: TargetResponse, non_target: NonTargetResponse, new_lesions: bool
) -> OverallResponse:
    """Overall response by RECIST 1.1 Table 4 (with targets) or Table 5 (non-targets only)."""
    if not isinstance(target, TargetResponse):
        raise ScoringError("target response", target, "a TargetResponse")
    if not isinstance(non_target, NonTargetResponse):
        raise ScoringError("non-target response", non_target, "a NonTargetResponse")
    if not isinstance(new_lesions, bool):
        raise ScoringError("new_lesions", new_lesions, "True or False")
    if (
        target is TargetResponse.NO_MEASURABLE_DISEASE
        and non_target is NonTargetResponse.NO_NON_TARGETS
    ):
        raise ScoringError(
            "baseline lesions",
            "none",
            "at least one target or non-target lesion at baseline",
            "a patient without disease at baseline cannot be assessed by RECIST",
        )
    if new_lesions or target is TargetResponse.PD or non_target is NonTargetResponse.PD:
        return OverallResponse.PD
    if target is TargetResponse.NO_MEASURABLE_DISEASE:
        # Table 5: non-target disease only.
        return {
            NonTargetResponse.CR: OverallResponse.CR,
            NonTargetResponse.NON_CR_NON_PD: OverallResponse.NON_CR_NON_PD,
            NonTargetResponse.NE: OverallResponse.NE,
        }[non_target]
    if target is TargetResponse.CR:
        if non_target in (NonTargetResponse.CR, NonTargetResponse.NO_NON_TARGETS):
            return OverallResponse.CR
        return OverallResponse.PR  # non-CR/non-PD or not evaluated (Table 4 rows 2-3)
    return {
        TargetResponse.PR: OverallResponse.PR,
        TargetResponse.SD: OverallResponse.SD,
        TargetResponse.NE: OverallResponse.NE,
    }[target]
