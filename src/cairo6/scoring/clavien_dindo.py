"""Clavien-Dindo classification of surgical complications.

Dindo D, Demartines N, Clavien PA. Ann Surg 2004;240:205-213. Grades I, II, IIIa, IIIb, IVa,
IVb, V; the suffix "d" marks a disability present at discharge. CAIRO6 counts major morbidity
as grade >= III within 3 months after surgery, once per patient (the highest grade).

Decision on a bare "III" or "IV" (or "3", "4"): `parse_clavien_dindo` rejects it, because the
grade is the record of a specific event and IIIa/IIIb (intervention without/under general
anaesthesia) are clinically different; mapping it to either would invent data. When only the
class is known (e.g. historic records, or "grade >= III" counts), use `clavien_dindo_class`,
which accepts bare classes and returns the integer class 1-5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cairo6.errors import ScoringError
from cairo6.scoring._ordinal import OrdinalEnum

__all__ = [
    "ClavienDindoGrade",
    "ClavienDindoScore",
    "clavien_dindo_class",
    "has_major_complication",
    "highest_clavien_dindo",
    "is_major_complication",
    "parse_clavien_dindo",
]

_FIELD = "Clavien-Dindo grade"
_ALLOWED = "I, II, IIIa, IIIb, IVa, IVb or V, optionally with suffix d (e.g. 'IIIa', '3a', 'IVb-d')"
_CLASS_FIELD = "Clavien-Dindo class"
_CLASS_ALLOWED = "a class 1-5 (I-V) or a full grade (I, II, IIIa, IIIb, IVa, IVb, V)"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
_PATTERN = re.compile(
    r"^(?:clavien[-\s]*dindo\s*)?(?:grade\s*)?"
    r"(?P<cls>iv|v|i{1,3}|[1-5])\s*(?P<sub>[ab])?"
    r"(?:\s*[-(]?\s*(?P<d>d)\s*\)?)?$"
)


class ClavienDindoGrade(OrdinalEnum):
    """The seven grades in their clinical order (I lowest, V death)."""

    GRADE_I = 1
    GRADE_II = 2
    GRADE_IIIA = 3
    GRADE_IIIB = 4
    GRADE_IVA = 5
    GRADE_IVB = 6
    GRADE_V = 7

    @property
    def label(self) -> str:
        """Conventional notation, e.g. "IIIa"."""
        roman = self.name.removeprefix("GRADE_")
        return roman[:-1] + roman[-1].lower() if roman[-1] in "AB" else roman

    @property
    def major_group(self) -> int:
        """Integer class 1-5 (IIIa and IIIb are both 3; IVa and IVb both 4)."""
        return _CLASS_OF[self]

    @property
    def is_major(self) -> bool:
        """True for grade III or higher (major morbidity)."""
        return self >= ClavienDindoGrade.GRADE_IIIA


_CLASS_OF = {
    ClavienDindoGrade.GRADE_I: 1,
    ClavienDindoGrade.GRADE_II: 2,
    ClavienDindoGrade.GRADE_IIIA: 3,
    ClavienDindoGrade.GRADE_IIIB: 3,
    ClavienDindoGrade.GRADE_IVA: 4,
    ClavienDindoGrade.GRADE_IVB: 4,
    ClavienDindoGrade.GRADE_V: 5,
}
_GRADE_OF = {
    (1, None): ClavienDindoGrade.GRADE_I,
    (2, None): ClavienDindoGrade.GRADE_II,
    (3, "a"): ClavienDindoGrade.GRADE_IIIA,
    (3, "b"): ClavienDindoGrade.GRADE_IIIB,
    (4, "a"): ClavienDindoGrade.GRADE_IVA,
    (4, "b"): ClavienDindoGrade.GRADE_IVB,
    (5, None): ClavienDindoGrade.GRADE_V,
}


@dataclass(frozen=True)
class ClavienDindoScore:
    """One graded complication: the grade and whether disability persisted at discharge."""

    grade: ClavienDindoGrade
    disability: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.grade, ClavienDindoGrade):
            raise ScoringError(_FIELD, self.grade, _ALLOWED, "parse it with parse_clavien_dindo")
        if not isinstance(self.disability, bool):
            raise ScoringError("disability", self.disability, "True or False", "pass a bool")
        if self.disability and self.grade is ClavienDindoGrade.GRADE_V:
            # Grade V is death; "disability at discharge" cannot apply.
            raise ScoringError(
                _FIELD, "V-d", "suffix d only on grades I to IVb", "remove the d suffix"
            )

    @property
    def label(self) -> str:
        """Conventional notation, e.g. "IIIb" or "IVa-d"."""
        return self.grade.label + ("-d" if self.disability else "")


GradeLike = ClavienDindoGrade | ClavienDindoScore | str


def _match(
    value: str, field: str = _FIELD, allowed: str = _ALLOWED
) -> tuple[int, str | None, bool]:
    match = _PATTERN.match(value.strip().casefold())
    if match is None:
        raise ScoringError(field, value, allowed, "enter the grade as defined by Dindo 2004")
    text = match.group("cls")
    number = int(text) if text.isdigit() else _ROMAN[text]
    return number, match.group("sub"), match.group("d") is not None


def parse_clavien_dindo(value: GradeLike) -> ClavienDindoScore:
    """Parse "IIIa", "3a", "Grade IVb", "IIIb-d", ... into a grade plus disability flag.

    A bare "III"/"IV" (or "3"/"4") is rejected: say a or b, or use `clavien_dindo_class`.
    """
    if isinstance(value, ClavienDindoScore):
        return value
    if isinstance(value, ClavienDindoGrade):
        return ClavienDindoScore(value)
    if not isinstance(value, str):
        raise ScoringError(_FIELD, value, _ALLOWED, "enter the grade as text, e.g. 'IIIa'")
    number, sub, disability = _match(value)
    if (number, sub) not in _GRADE_OF:
        if sub is None:
            roman = "III" if number == 3 else "IV"
            raise ScoringError(
                _FIELD,
                value,
                f"{roman}a or {roman}b: grade {roman} has two sub-grades",
                f"specify {roman}a or {roman}b"
                + (
                    " (IIIa: intervention without general anaesthesia; IIIb: under general"
                    " anaesthesia)"
                    if number == 3
                    else " (IVa: single-organ dysfunction; IVb: multi-organ dysfunction)"
                )
                + ", or use clavien_dindo_class() when only the class is known",
            )
        raise ScoringError(
            _FIELD, value, _ALLOWED, f"remove '{sub}': only grades III and IV have sub-grades"
        )
    grade = _GRADE_OF[(number, sub)]
    if disability and grade is ClavienDindoGrade.GRADE_V:
        raise ScoringError(_FIELD, value, "suffix d only on grades I to IVb", "remove the d")
    return ClavienDindoScore(grade, disability)


def clavien_dindo_class(value: GradeLike | int) -> int:
    """Integer class 1-5; unlike `parse_clavien_dindo` it accepts a bare "III", "IV", 3 or 4."""
    if isinstance(value, ClavienDindoScore):
        return value.grade.major_group
    if isinstance(value, ClavienDindoGrade):
        return value.major_group
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    if isinstance(value, str):
        number, sub, disability = _match(value, _CLASS_FIELD, _CLASS_ALLOWED)
        if (sub is None or number in (3, 4)) and not (disability and number == 5):
            return number
    raise ScoringError(
        _CLASS_FIELD, value, _CLASS_ALLOWED, "enter the grade as defined by Dindo 2004"
    )


def is_major_complication(value: GradeLike) -> bool:
    """True for grade III or higher (IIIa, IIIb, IVa, IVb, V)."""
    return parse_clavien_dindo(value).grade.is_major


def highest_clavien_dindo(values: Iterable[GradeLike]) -> ClavienDindoGrade | None:
    """Highest grade among one patient's complications; None when there are none."""
    if isinstance(values, str):
        # A lone string would be iterated letter by letter ("IIIa" -> "I", "I", ...).
        raise ScoringError(
            "complications", values, "a list of grades", f"pass [{values!r}] instead"
        )
    grades = [parse_clavien_dindo(value).grade for value in values]
    return max(grades) if grades else None


def has_major_complication(values: Iterable[GradeLike]) -> bool:
    """True when any complication is grade III or higher (counted once per patient)."""
    highest = highest_clavien_dindo(values)
    return highest is not None and highest.is_major
