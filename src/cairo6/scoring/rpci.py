"""Response by radiologic PCI (PCI scored on CT before and after neoadjuvant therapy).

As reported by the CAIRO6 phase 2 paper: objective response = a decrease of >= 30% of the
radiologic PCI; complete response = radiologic PCI 0 after treatment. The progression rule is
ASSUMED (no public source fixes it): an increase of >= 20% or a newly involved region, by
analogy with RECIST 1.1. Both thresholds are keyword parameters so a protocol can set them; the
defaults must be reported as assumptions, not as the trial's own definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from cairo6.errors import ScoringError
from cairo6.scoring._validate import exact, require_int, require_real
from cairo6.scoring.pci import MAX_PCI, PciResult, Region

__all__ = [
    "RpciCategory",
    "RpciResponse",
    "newly_involved_regions",
    "rpci_percent_change",
    "rpci_response",
]

RESPONSE_DECREASE_PCT = 30.0
# ASSUMED, see module docstring.
PROGRESSION_INCREASE_PCT = 20.0


class RpciCategory(Enum):
    """Radiologic PCI response category."""

    COMPLETE_RESPONSE = "CR"
    PARTIAL_RESPONSE = "PR"
    STABLE_DISEASE = "SD"
    PROGRESSIVE_DISEASE = "PD"
    NOT_EVALUABLE = "NE"


@dataclass(frozen=True)
class RpciResponse:
    """Outcome of comparing a radiologic PCI after treatment with the baseline one."""

    baseline: int
    after: int
    percent_change: float | None
    category: RpciCategory
    new_regions: tuple[Region, ...] = ()

    @property
    def is_objective_response(self) -> bool:
        """True for complete or partial response (>= 30% decrease by default)."""
        return self.category in (RpciCategory.COMPLETE_RESPONSE, RpciCategory.PARTIAL_RESPONSE)


def _total(field: str, value: int | PciResult) -> int:
    if isinstance(value, PciResult):
        if not value.complete:
            raise ScoringError(
                field,
                value.as_dict(),
                "a complete PCI (all 13 regions scored)",
                "score the missing regions; a partial PCI cannot be compared",
            )
        return value.total
    return require_int(field, value, 0, MAX_PCI, "enter the radiologic PCI 0-39")


def rpci_percent_change(baseline: int | PciResult, after: int | PciResult) -> float | None:
    """Percent change from baseline (negative = decrease); None when baseline is 0."""
    before = _total("baseline PCI", baseline)
    later = _total("post-treatment PCI", after)
    if before == 0:
        return None
    return float(Fraction(later - before, before) * 100)


def newly_involved_regions(baseline: PciResult, after: PciResult) -> tuple[Region, ...]:
    """Regions scored 0 at baseline and > 0 after treatment (unscored regions are skipped)."""
    new = []
    for region, score in after.region_scores:
        before = baseline.score(region)
        if score > 0 and before == 0:
            new.append(region)
    return tuple(new)


def rpci_response(
    baseline: int | PciResult,
    after: int | PciResult,
    *,
    new_region_involved: bool = False,
    response_decrease_pct: float = RESPONSE_DECREASE_PCT,
    progression_increase_pct: float = PROGRESSION_INCREASE_PCT,
) -> RpciResponse:
    """Classify the radiologic PCI response.

    Baseline 0 -> not evaluable; after 0 -> complete response; increase >= progression
    threshold or a newly involved region -> progression; decrease >= response threshold ->
    partial response; otherwise stable. Progression is checked before response because a new
    region is progression even when the total falls. When both arguments are PciResults, newly
    involved regions are found from them (in addition to `new_region_involved`).
    """
    if not isinstance(new_region_involved, bool):
        raise ScoringError(
            "new_region_involved", new_region_involved, "True or False", "pass a bool"
        )
    decrease = require_real(
        "response_decrease_pct", response_decrease_pct, "a percentage > 0 and <= 100"
    )
    if not 0 < decrease <= 100:
        raise ScoringError(
            "response_decrease_pct", response_decrease_pct, "a percentage > 0 and <= 100"
        )
    increase = require_real(
        "progression_increase_pct", progression_increase_pct, "a percentage > 0"
    )
    if increase <= 0:
        raise ScoringError("progression_increase_pct", progression_increase_pct, "a percentage > 0")
    before = _total("baseline PCI", baseline)
    later = _total("post-treatment PCI", after)
    new_regions: tuple[Region, ...] = ()
    if isinstance(baseline, PciResult) and isinstance(after, PciResult):
        new_regions = newly_involved_regions(baseline, after)
    progression_by_region = new_region_involved or bool(new_regions)
    if later == 0 and progression_by_region:
        raise ScoringError(
            "new_region_involved",
            new_region_involved,
            "False when the post-treatment PCI is 0 (no region is involved)",
            "correct the PCI or the new-region flag",
        )
    if before == 0:
        return RpciResponse(before, later, None, RpciCategory.NOT_EVALUABLE, new_regions)
    change = Fraction(later - before, before) * 100
    if later == 0:
        category = RpciCategory.COMPLETE_RESPONSE
    elif progression_by_region or change >= exact(increase):
        category = RpciCategory.PROGRESSIVE_DISEASE
    elif -change >= exact(decrease):
        category = RpciCategory.PARTIAL_RESPONSE
    else:
        category = RpciCategory.STABLE_DISEASE
    return RpciResponse(before, later, float(change), category, new_regions)
