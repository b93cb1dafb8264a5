"""The validated functions a study definition may name for a derived item.

A form declares `derived = {function = "pci_total", inputs = {scores = "pci_regions"}}`; the
function itself stays code, tested against its clinical source, and this table is the only way
a definition reaches it. Each entry states the parameters it takes, so that a definition naming
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
from cairo6.scoring.dosing import body_surface_area
from cairo6.scoring.pci import pci_total


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
