"""Pathological response grades: Mandard tumour regression grade and the PRGS.

Mandard AM et al. Cancer 1994;73:2680-2686 (TRG 1-5, originally for oesophageal cancer, used in
CAIRO6 for the primary tumour and peritoneal metastases). Solass W et al. Pleura Peritoneum
2016;1:99-107 (Peritoneal Regression Grading Score, PRGS 1-4, scored per biopsy and reported as
the worst and the mean over a patient's biopsies).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from cairo6.errors import ScoringError
from cairo6.scoring._ordinal import OrdinalEnum
from cairo6.scoring._validate import require_int

__all__ = [
    "MandardGrade",
    "PrgsGrade",
    "PrgsSummary",
    "is_major_pathologic_response",
    "parse_mandard",
    "parse_prgs",
    "prgs_summary",
]


class MandardGrade(OrdinalEnum):
    """Mandard tumour regression grade; higher means less regression."""

    TRG1 = 1
    TRG2 = 2
    TRG3 = 3
    TRG4 = 4
    TRG5 = 5

    @property
    def description(self) -> str:
        """Histological definition (Mandard 1994)."""
        return _MANDARD_TEXT[self]


_MANDARD_TEXT = {
    MandardGrade.TRG1: "complete regression: no residual cancer, fibrosis",
    MandardGrade.TRG2: "rare residual cancer cells scattered through fibrosis",
    MandardGrade.TRG3: "residual cancer cells with fibrosis predominating",
    MandardGrade.TRG4: "residual cancer outgrowing fibrosis",
    MandardGrade.TRG5: "no regressive changes",
}


class PrgsGrade(OrdinalEnum):
    """Peritoneal Regression Grading Score; higher means less response."""

    PRGS1 = 1
    PRGS2 = 2
    PRGS3 = 3
    PRGS4 = 4

    @property
    def description(self) -> str:
        """Definition (Solass 2016)."""
        return _PRGS_TEXT[self]


_PRGS_TEXT = {
    PrgsGrade.PRGS1: "complete response: no tumour cells",
    PrgsGrade.PRGS2: "major response: few residual tumour cells",
    PrgsGrade.PRGS3: "minor response: residual tumour predominates over regression",
    PrgsGrade.PRGS4: "no response: no regressive changes",
}

_TRG_PATTERN = re.compile(r"^(?:mandard\s*)?(?:trg)?\s*[-:]?\s*([0-9]+)$")
_PRGS_PATTERN = re.compile(r"^(?:prgs)?\s*[-:]?\s*([0-9]+)$")


def _parse_number(field: str, value: object, pattern: re.Pattern[str], high: int) -> int:
    action = f"enter the {field} as a number 1-{high}"
    if isinstance(value, str):
        match = pattern.match(value.strip().casefold())
        if match is not None and 1 <= int(match.group(1)) <= high:
            return int(match.group(1))
        raise ScoringError(
            field, value, f"1-{high}, e.g. {high - 1} or '{field} {high - 1}'", action
        )
    return require_int(field, value, 1, high, action)


def parse_mandard(value: MandardGrade | int | str) -> MandardGrade:
    """Mandard grade from a MandardGrade, 1-5, or text such as "TRG2", "TRG 2", "2"."""
    if isinstance(value, MandardGrade):
        return value
    return MandardGrade(_parse_number("TRG", value, _TRG_PATTERN, 5))


def parse_prgs(value: PrgsGrade | int | str) -> PrgsGrade:
    """PRGS from a PrgsGrade, 1-4, or text such as "PRGS 2", "2"."""
    if isinstance(value, PrgsGrade):
        return value
    return PrgsGrade(_parse_number("PRGS", value, _PRGS_PATTERN, 4))


def is_major_pathologic_response(value: MandardGrade | int | str) -> bool:
    """True for Mandard TRG1-2 (no or rare residual cancer cells)."""
    return parse_mandard(value) <= MandardGrade.TRG2


@dataclass(frozen=True)
class PrgsSummary:
    """PRGS over one patient's biopsies: the worst (highest) grade and the mean."""

    worst: PrgsGrade
    mean: float
    biopsies: int


def prgs_summary(values: Iterable[PrgsGrade | int | str]) -> PrgsSummary:
    """Worst and mean PRGS over biopsies; at least one biopsy is required."""
    if isinstance(values, str):
        raise ScoringError("PRGS biopsies", values, "a list of grades", f"pass [{values!r}]")
    grades = [parse_prgs(value) for value in values]
    if not grades:
        raise ScoringError(
            "PRGS biopsies", [], "at least one biopsy grade", "enter the PRGS of each biopsy"
        )
    mean = float(Fraction(sum(grade.rank for grade in grades), len(grades)))
    return PrgsSummary(worst=max(grades), mean=mean, biopsies=len(grades))
