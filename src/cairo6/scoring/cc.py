"""Completeness of cytoreduction (CC score, Sugarbaker) and the macroscopic-complete rule.

CC-0 no visible residual tumour; CC-1 residual nodules < 2.5 mm; CC-2 2.5 mm to 2.5 cm;
CC-3 > 2.5 cm. CAIRO6 counts a CRS-HIPEC as macroscopically complete when it is CC-0, or R0/R1
at centres that report the R classification instead (R2 = macroscopic residual = incomplete).
"""

from __future__ import annotations

import re

from cairo6.errors import ScoringError
from cairo6.scoring._ordinal import OrdinalEnum
from cairo6.scoring._validate import require_non_negative

__all__ = [
    "CCScore",
    "RClass",
    "cc_from_residual",
    "is_macroscopic_complete",
    "parse_cc",
    "parse_r_class",
]

# Boundaries in mm. A nodule of exactly 2.5 mm is CC-2 (CC-1 is "< 2.5 mm"); exactly 25 mm is
# still CC-2 (CC-2 runs "2.5 mm to 2.5 cm", CC-3 is "> 2.5 cm").
_CC1_BELOW_MM = 2.5
_CC2_MAX_MM = 25.0

_CC_PATTERN = re.compile(r"^(?:cc)?([0-3])$")
_R_PATTERN = re.compile(r"^r([0-2])$")


class CCScore(OrdinalEnum):
    """Completeness of cytoreduction; higher is more residual disease."""

    CC0 = 0
    CC1 = 1
    CC2 = 2
    CC3 = 3

    @property
    def label(self) -> str:
        """Conventional notation, e.g. "CC-0"."""
        return f"CC-{self._value_}"


class RClass(OrdinalEnum):
    """Residual tumour classification (UICC): R0 none, R1 microscopic, R2 macroscopic."""

    R0 = 0
    R1 = 1
    R2 = 2


def cc_from_residual(largest_residual_mm: float | None) -> CCScore:
    """CC score from the largest residual nodule in mm (None or 0 = nothing visible)."""
    if largest_residual_mm is None:
        return CCScore.CC0
    size = require_non_negative(
        "largest residual nodule", largest_residual_mm, "mm", "enter the size in millimetres"
    )
    if size == 0:
        return CCScore.CC0
    if size < _CC1_BELOW_MM:
        return CCScore.CC1
    if size <= _CC2_MAX_MM:
        return CCScore.CC2
    return CCScore.CC3


def parse_cc(value: CCScore | str | int) -> CCScore:
    """CC score from a CCScore, 0-3, or text such as "CC-0", "CC0", "cc 1", "2"."""
    if isinstance(value, CCScore):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return CCScore(value)
    if isinstance(value, str):
        match = _CC_PATTERN.match("".join(value.casefold().replace("-", " ").split()))
        if match:
            return CCScore(int(match.group(1)))
    raise ScoringError(
        "CC score", value, "CC-0, CC-1, CC-2 or CC-3 (or 0-3)", "enter the surgeon's CC score"
    )


def parse_r_class(value: RClass | str) -> RClass:
    """R class from an RClass or text such as "R0", "r1", "R 2"."""
    if isinstance(value, RClass):
        return value
    if isinstance(value, str):
        match = _R_PATTERN.match("".join(value.casefold().split()))
        if match:
            return RClass(int(match.group(1)))
    raise ScoringError(
        "R classification",
        value,
        "R0, R1 or R2 (RX cannot decide completeness)",
        "enter the R class from the operative or pathology report",
    )


def is_macroscopic_complete(
    cc: CCScore | str | int | None = None,
    r_class: RClass | str | None = None,
    *,
    open_close: bool = False,
) -> bool:
    """True when cytoreduction was macroscopically complete.

    Complete = CC-0, or R0/R1 for centres that use the R classification; R2 is incomplete.
    An open-close procedure (laparotomy without CRS) is never complete. When both CC and R
    are given they must agree (CC-0 with R0/R1, or CC-1..3 with R2); a disagreement is raised
    rather than resolved, because either record could be the wrong one.
    """
    if not isinstance(open_close, bool):
        raise ScoringError("open_close", open_close, "True or False", "pass a bool")
    cc_score = None if cc is None else parse_cc(cc)
    r = None if r_class is None else parse_r_class(r_class)
    if cc_score is None and r is None and not open_close:
        raise ScoringError(
            "cc / r_class",
            None,
            "a CC score, an R class, or open_close=True",
            "enter the CC score (or the R class if the centre uses R classification)",
        )
    cc_complete = None if cc_score is None else cc_score is CCScore.CC0
    r_complete = None if r is None else r is not RClass.R2
    if cc_complete is not None and r_complete is not None and cc_complete != r_complete:
        raise ScoringError(
            "cc / r_class",
            (cc_score.label if cc_score is not None else None, r.name if r is not None else None),
            "a CC score and R class that agree (CC-0 with R0/R1; CC-1 to CC-3 with R2)",
            "check the operative report and correct one of the two",
        )
    if open_close:
        if cc_complete or r_complete:
            raise ScoringError(
                "open_close",
                open_close,
                "open_close=True only without a complete CC-0/R0/R1 record",
                "an open-close has no cytoreduction: correct the CC score or R class",
            )
        return False
    return bool(cc_complete) if cc_complete is not None else bool(r_complete)
