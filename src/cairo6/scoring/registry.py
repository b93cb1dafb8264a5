"""The validated functions a study definition may name for a derived item or a value check.

A form declares `derived = {function = "pci_total", inputs = {scores = "pci_regions"}}`; the
function itself stays code, tested against its clinical source, and this table is the only way
a definition reaches it. An item may also name a validator (`validate = "clavien_dindo"`):
a check of its value that needs the clinical library, which raises a ValueError saying what is
allowed. Each entry states the parameters it takes, so that a definition naming
an unknown function or parameter is refused when it is checked, not when a form is saved.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cairo6.scoring.cc import is_macroscopic_complete
from cairo6.scoring.clavien_dindo import highest_clavien_dindo, parse_clavien_dindo
from cairo6.scoring.ctcae import ToxicityGrade, highest_ctcae_grade
from cairo6.scoring.ctcae_terms import check_grade_of_term, check_specified, ctcae_term
from cairo6.scoring.dosing import body_surface_area
from cairo6.scoring.pathology import parse_prgs
from cairo6.scoring.pci import pci_total
from cairo6.scoring.recist import Lesion


@dataclass(frozen=True)
class DerivedFunction:
    """A function a derived item may use, with its parameters and result type."""

    name: str
    parameters: tuple[str, ...]
    result: str
    """The study data type of the result (integer, decimal, boolean, text)."""
    compute: Callable[..., Any]
    description: str

    def required(self) -> tuple[str, ...]:
        """The parameters without a default: the result is empty while one is missing."""
        signature = inspect.signature(self.compute)
        return tuple(
            name
            for name, param in signature.parameters.items()
            if param.default is inspect.Parameter.empty
        )


def _pci(scores: Mapping[str, int]) -> int:
    return pci_total(scores).total


def _days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def _macroscopic_complete(
    procedure: str, cc_score: int | None = None, r_class: str | None = None
) -> bool | None:
    open_close = procedure == "open_close"
    if not open_close and cc_score is None and r_class is None:
        return None
    return is_macroscopic_complete(cc=cc_score, r_class=r_class, open_close=open_close)


def _highest_cd(grades: list[str]) -> str | None:
    highest = highest_clavien_dindo(parse_clavien_dindo(g) for g in grades)
    return highest.label if highest is not None else None


def _highest_ctcae(grades: list[int]) -> int | None:
    return highest_ctcae_grade(ToxicityGrade("any", int(g)) for g in grades)


def _bsa(height_cm: float, weight_kg: float) -> float:
    return body_surface_area(height_cm, weight_kg)


FUNCTIONS: dict[str, DerivedFunction] = {
    f.name: f
    for f in (
        DerivedFunction(
            "pci_total", ("scores",), "integer", _pci, "Peritoneal Cancer Index, 13 regions"
        ),
        DerivedFunction(
            "days_between", ("start", "end"), "integer", _days_between, "whole days from start"
        ),
        DerivedFunction(
            "macroscopic_complete",
            ("procedure", "cc_score", "r_class"),
            "boolean",
            _macroscopic_complete,
            "CC-0 (or R0/R1); never after open-close",
        ),
        DerivedFunction(
            "highest_clavien_dindo",
            ("grades",),
            "text",
            _highest_cd,
            "highest Clavien-Dindo grade of a list",
        ),
        DerivedFunction(
            "highest_ctcae_grade", ("grades",), "integer", _highest_ctcae, "highest CTCAE grade"
        ),
        DerivedFunction(
            "body_surface_area",
            ("height_cm", "weight_kg"),
            "decimal",
            _bsa,
            "Mosteller body surface area (m2)",
        ),
    )
}
"""Every function a derived item may name, by name."""


@dataclass(frozen=True)
class Validator:
    """A check an item may name: `check(value, **inputs)` raises ValueError when it fails."""

    name: str
    parameters: tuple[str, ...]
    """The other values it reads (beyond the item's own `value`)."""
    check: Callable[..., None]
    description: str


def _pci_regions(value: Mapping[str, int]) -> None:
    pci_total(value)


def _cc_r_class(
    value: int | None = None, procedure: str | None = None, r_class: str | None = None
) -> None:
    if value is None and r_class is None and procedure != "open_close":
        return
    is_macroscopic_complete(cc=value, r_class=r_class, open_close=procedure == "open_close")


def _clavien_dindo(value: str) -> None:
    parse_clavien_dindo(value)


def _ctcae(value: int, term: str = "adverse event") -> None:
    ToxicityGrade(term=term, grade=value)
    # A term of the CTCAE list (its MedDRA code or words) holds the grade to the grades it
    # defines; a term outside the list (older free-text records) only to 1-5.
    try:
        known = ctcae_term(term)
    except ValueError:
        return
    check_grade_of_term(known, value)


def _ctcae_term(value: str, specify: str | None = None) -> None:
    check_specified(ctcae_term(value), specify)


def _recist_lesions(value: list[Any]) -> None:
    for i, raw in enumerate(value):
        if not isinstance(raw, Mapping):
            raise ValueError(f"lesion {i + 1}: an object with id, organ, lymph_node, diameter_mm")
        node = bool(raw.get("lymph_node", False))
        size = raw.get("diameter_mm")
        try:
            Lesion(
                lesion_id=str(raw.get("id", i + 1)),
                organ=str(raw.get("organ", "")),
                is_lymph_node=node,
                longest_diameter_mm=None if node else size,
                short_axis_mm=size if node else None,
            )
        except ValueError as exc:
            raise ValueError(f"lesion {i + 1}: {exc}") from None


def _prgs(value: list[int] | int) -> None:
    for grade in value if isinstance(value, list) else [value]:
        parse_prgs(grade)


VALIDATORS: dict[str, Validator] = {
    v.name: v
    for v in (
        Validator("pci_regions", (), _pci_regions, "13 regions, each scored 0-3"),
        Validator(
            "cc_r_class",
            ("procedure", "r_class"),
            _cc_r_class,
            "CC score and R class agree (CC-0 with R0/R1); neither complete at open-close",
        ),
        Validator("clavien_dindo", (), _clavien_dindo, "a Clavien-Dindo grade (I to V)"),
        Validator(
            "ctcae_grade",
            ("term",),
            _ctcae,
            "a CTCAE grade 1-5, one the named CTCAE v5.0 term defines",
        ),
        Validator(
            "ctcae_term",
            ("specify",),
            _ctcae_term,
            "a CTCAE v5.0 term; an 'Other, specify' term with the event named",
        ),
        Validator("recist_lesions", (), _recist_lesions, "RECIST 1.1 baseline lesions"),
        Validator("prgs", (), _prgs, "Peritoneal Regression Grading Score 1-4 per biopsy"),
    )
}
"""Every validator an item may name, by name."""
