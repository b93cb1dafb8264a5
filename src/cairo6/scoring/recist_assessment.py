"""RECIST 1.1 over a sequence of follow-up scans, with nadir tracking.

The nadir is the smallest sum of target diameters on study, baseline included (Eisenhauer 2009,
section 4.3.1). Each timepoint is compared with the nadir of the timepoints *before* it; only a
timepoint at which every target was measured can become the new nadir.

Missing measurements follow the paper's "missing assessments and inevaluable designation": a
timepoint with some targets unmeasured is NE, unless the measured targets alone already meet
PD (a missing lesion can only add to the sum).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from cairo6.errors import ScoringError
from cairo6.scoring._validate import exact, require_non_negative, token
from cairo6.scoring.recist import (
    MIN_PATHOLOGICAL_NODE_MM,
    Lesion,
    NonTargetResponse,
    NonTargetStatus,
    OverallResponse,
    TargetResponse,
    TargetSelection,
    is_target_progression,
    non_target_response,
    overall_response,
    select_targets,
    target_response,
)

__all__ = ["FollowUp", "RecistAssessment", "TimepointResult"]


def _parse_status(lesion_id: str, value: object) -> NonTargetStatus:
    if isinstance(value, NonTargetStatus):
        return value
    if isinstance(value, str):
        for status in NonTargetStatus:
            if token(value) in (token(status.value), status.name.casefold()):
                return status
    raise ScoringError(
        f"non-target status ({lesion_id})",
        value,
        ", ".join(status.value for status in NonTargetStatus),
        "record the lesion as absent, present, unequivocal progression or not evaluated",
    )


@dataclass(frozen=True)
class FollowUp:
    """One follow-up scan.

    `target_mm`: target lesion id -> current measure in mm (0 = disappeared; nodes by short
    axis; a lesion too small to measure is recorded as 5 mm). A target left out or given as
    None was not assessed. `non_target`: non-target id -> status; a lesion left out was not
    evaluated. `new_lesions`: an unequivocal new lesion was seen.
    """

    target_mm: Mapping[str, float | None] = field(default_factory=dict, hash=False)
    non_target: Mapping[str, NonTargetStatus | str] = field(default_factory=dict, hash=False)
    new_lesions: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.target_mm, Mapping):
            raise ScoringError("target_mm", self.target_mm, "a mapping of lesion id to mm")
        if not isinstance(self.non_target, Mapping):
            raise ScoringError("non_target", self.non_target, "a mapping of lesion id to status")
        if not isinstance(self.new_lesions, bool):
            raise ScoringError("new_lesions", self.new_lesions, "True or False")
        measures = {
            lesion_id: None
            if value is None
            else require_non_negative(f"target measure ({lesion_id})", value, "mm")
            for lesion_id, value in self.target_mm.items()
        }
        statuses = {
            lesion_id: _parse_status(lesion_id, value)
            for lesion_id, value in self.non_target.items()
        }
        # Copies behind read-only views: the caller's dicts can change later, this record cannot.
        object.__setattr__(self, "target_mm", MappingProxyType(measures))
        object.__setattr__(self, "non_target", MappingProxyType(statuses))


@dataclass(frozen=True)
class TimepointResult:
    """Responses at one follow-up, with the sums they were derived from.

    `sum_mm` is None when not every target was measured; `nadir_mm` is the nadir this timepoint
    was compared with (None without targets).
    """

    label: str
    sum_mm: float | None
    nadir_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    target: TargetResponse
    non_target: NonTargetResponse
    new_lesions: bool
    overall: OverallResponse


def _pct(current: Fraction, reference: Fraction) -> float | None:
    return None if reference == 0 else float((current - reference) / reference * 100)


@dataclass(frozen=True)
class RecistAssessment:
    """A patient's RECIST 1.1 assessment: baseline lesions, then `evaluate(follow_ups)`."""

    baseline: Sequence[Lesion]
    slice_thickness_mm: float | None = None
    selection: TargetSelection = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "baseline", tuple(self.baseline))
        selection = select_targets(self.baseline, slice_thickness_mm=self.slice_thickness_mm)
        if not selection.targets and not selection.non_targets:
            raise ScoringError(
                "baseline lesions",
                [lesion.lesion_id for lesion in self.baseline],
                "at least one target or non-target lesion",
                "a patient without disease at baseline cannot be assessed by RECIST",
            )
        object.__setattr__(self, "selection", selection)

    @property
    def baseline_sum_mm(self) -> float:
        """Sum of target diameters at baseline (0 without measurable disease)."""
        return self.selection.baseline_sum_mm

    def evaluate(self, follow_ups: Iterable[FollowUp]) -> tuple[TimepointResult, ...]:
        """Responses at each follow-up in order, tracking the nadir."""
        nadir = exact(self.baseline_sum_mm)
        results = []
        for follow_up in follow_ups:
            result = self.assess(follow_up, nadir_sum_mm=float(nadir))
            if result.sum_mm is not None:
                nadir = min(nadir, exact(result.sum_mm))
            results.append(result)
        return tuple(results)

    def assess(self, follow_up: FollowUp, *, nadir_sum_mm: float | None = None) -> TimepointResult:
        """Responses at one follow-up against a given nadir (default: the baseline sum)."""
        if not isinstance(follow_up, FollowUp):
            raise ScoringError("follow-up", follow_up, "a FollowUp", "build it with FollowUp(...)")
        self._check_ids(follow_up)
        non_target = non_target_response(
            _parse_status(
                lesion.lesion_id,
                follow_up.non_target.get(lesion.lesion_id, NonTargetStatus.NOT_EVALUATED),
            )
            for lesion in self.selection.non_targets
        )
        if not self.selection.targets:
            target = TargetResponse.NO_MEASURABLE_DISEASE
            return TimepointResult(
                follow_up.label,
                None,
                None,
                None,
                None,
                target,
                non_target,
                follow_up.new_lesions,
                overall_response(target, non_target, follow_up.new_lesions),
            )
        baseline = exact(self.baseline_sum_mm)
        nadir = baseline if nadir_sum_mm is None else exact(nadir_sum_mm)
        measured: dict[str, float] = {}
        for lesion in self.selection.targets:
            value = follow_up.target_mm.get(lesion.lesion_id)
            if value is not None:
                measured[lesion.lesion_id] = value
        partial = sum((exact(value) for value in measured.values()), Fraction())
        complete = len(measured) == len(self.selection.targets)
        if complete:
            target = target_response(
                float(partial),
                baseline_sum_mm=float(baseline),
                nadir_sum_mm=float(nadir),
                all_resolved=self._all_resolved(measured),
            )
        elif is_target_progression(float(partial), float(nadir)):
            target = TargetResponse.PD
        else:
            target = TargetResponse.NE
        return TimepointResult(
            label=follow_up.label,
            sum_mm=float(partial) if complete else None,
            nadir_mm=float(nadir),
            change_from_baseline_pct=_pct(partial, baseline) if complete else None,
            change_from_nadir_pct=_pct(partial, nadir) if complete else None,
            target=target,
            non_target=non_target,
            new_lesions=follow_up.new_lesions,
            overall=overall_response(target, non_target, follow_up.new_lesions),
        )

    def _all_resolved(self, measured: Mapping[str, float]) -> bool:
        # CR: non-nodal targets gone (0 mm) and nodal targets back to normal (< 10 mm).
        for lesion in self.selection.targets:
            value = exact(measured[lesion.lesion_id])
            if lesion.is_lymph_node and value >= MIN_PATHOLOGICAL_NODE_MM:
                return False
            if not lesion.is_lymph_node and value != 0:
                return False
        return True

    def _check_ids(self, follow_up: FollowUp) -> None:
        target_ids = {lesion.lesion_id for lesion in self.selection.targets}
        for lesion_id in follow_up.target_mm:
            if lesion_id not in target_ids:
                raise ScoringError(
                    "target lesion id",
                    lesion_id,
                    "a baseline target: " + (", ".join(sorted(target_ids)) or "none"),
                    "record non-targets under non_target and new lesions as new_lesions=True",
                )
        non_target_ids = {lesion.lesion_id for lesion in self.selection.non_targets}
        for lesion_id in follow_up.non_target:
            if lesion_id not in non_target_ids:
                raise ScoringError(
                    "non-target lesion id",
                    lesion_id,
                    "a baseline non-target: " + (", ".join(sorted(non_target_ids)) or "none"),
                    "record targets under target_mm and new lesions as new_lesions=True",
                )
