"""Body-surface area (BSA) and dose calculation for systemic therapy and HIPEC.

Mosteller RD. N Engl J Med 1987;317:1098: BSA (m2) = sqrt(height cm x weight kg / 3600).
DuBois D, DuBois EF. Arch Intern Med 1916;17:863-871:
BSA (m2) = 0.007184 x weight kg ^ 0.425 x height cm ^ 0.725.
The CAIRO6 protocol uses Mosteller, so it is the default. Doses are returned unrounded: rounding
(to a vial size or 5 mg) is a pharmacy rule, not part of the calculation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from cairo6.errors import ScoringError
from cairo6.scoring._validate import require_positive, token

__all__ = [
    "HEIGHT_RANGE_CM",
    "WEIGHT_RANGE_KG",
    "BsaFormula",
    "Dose",
    "DoseUnit",
    "body_surface_area",
    "calculate_dose",
    "parse_dose_unit",
]

# Outside these an entry is far more likely a unit or typing error (metres, pounds, a swapped
# field) than a real adult; both bounds are inclusive.
HEIGHT_RANGE_CM = (50.0, 250.0)
WEIGHT_RANGE_KG = (20.0, 350.0)


class BsaFormula(Enum):
    """Body-surface-area formula."""

    MOSTELLER = "mosteller"
    DUBOIS = "dubois"


class DoseUnit(Enum):
    """How a prescribed dose scales: per m2 of BSA, per kg of body weight, or flat (mg)."""

    MG_PER_M2 = "mg/m2"
    MG_PER_KG = "mg/kg"
    FLAT = "flat"


_UNIT_ALIASES = {
    "mg/m2": DoseUnit.MG_PER_M2,
    "mg/m²": DoseUnit.MG_PER_M2,
    "mg/m^2": DoseUnit.MG_PER_M2,
    "mg/kg": DoseUnit.MG_PER_KG,
    "flat": DoseUnit.FLAT,
    "mg": DoseUnit.FLAT,
}


def parse_dose_unit(value: DoseUnit | str) -> DoseUnit:
    """Dose unit from a DoseUnit or "mg/m2" (also "mg/m²"), "mg/kg", "flat" (or "mg")."""
    if isinstance(value, DoseUnit):
        return value
    if isinstance(value, str):
        unit = _UNIT_ALIASES.get("".join(value.casefold().split()))
        if unit is not None:
            return unit
    raise ScoringError("dose unit", value, "mg/m2, mg/kg or flat", "use one of the three units")


def _check_height(height_cm: object) -> float:
    low, high = HEIGHT_RANGE_CM
    height = require_positive("height", height_cm, "cm", "enter the height in centimetres")
    if not low <= height <= high:
        raise ScoringError(
            "height",
            height_cm,
            f"{low:g}-{high:g} cm",
            "check the unit (centimetres, not metres or inches) and re-measure if needed",
        )
    return height


def _check_weight(weight_kg: object) -> float:
    low, high = WEIGHT_RANGE_KG
    weight = require_positive("weight", weight_kg, "kg", "enter the weight in kilograms")
    if not low <= weight <= high:
        raise ScoringError(
            "weight",
            weight_kg,
            f"{low:g}-{high:g} kg",
            "check the unit (kilograms, not pounds or grams) and re-weigh if needed",
        )
    return weight


def _check_cap(cap_m2: object) -> float | None:
    if cap_m2 is None:
        return None
    return require_positive("BSA cap", cap_m2, "m2", "pass the protocol's BSA cap, e.g. 2.0")


def _uncapped_bsa(height: float, weight: float, formula: BsaFormula) -> float:
    if formula is BsaFormula.MOSTELLER:
        return math.sqrt(height * weight / 3600.0)
    return 0.007184 * math.pow(weight, 0.425) * math.pow(height, 0.725)


def _parse_formula(formula: BsaFormula | str) -> BsaFormula:
    if isinstance(formula, BsaFormula):
        return formula
    if isinstance(formula, str):
        for candidate in BsaFormula:
            if candidate.value == token(formula).replace("_", ""):
                return candidate
    raise ScoringError("BSA formula", formula, "mosteller or dubois", "choose one of the two")


def body_surface_area(
    height_cm: float,
    weight_kg: float,
    *,
    formula: BsaFormula | str = BsaFormula.MOSTELLER,
    cap_m2: float | None = None,
) -> float:
    """BSA in m2 (Mosteller by default), limited to `cap_m2` when a cap is given."""
    height = _check_height(height_cm)
    weight = _check_weight(weight_kg)
    cap = _check_cap(cap_m2)
    bsa = _uncapped_bsa(height, weight, _parse_formula(formula))
    return bsa if cap is None else min(bsa, cap)


@dataclass(frozen=True)
class Dose:
    """A calculated dose with what it was calculated from, for the treatment record."""

    amount_mg: float
    prescribed: float
    unit: DoseUnit
    bsa_m2: float | None = None
    bsa_capped: bool = False


def calculate_dose(
    prescribed: float,
    unit: DoseUnit | str,
    *,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    formula: BsaFormula | str = BsaFormula.MOSTELLER,
    bsa_cap_m2: float | None = None,
) -> Dose:
    """Dose in mg: prescribed x BSA (mg/m2), x weight (mg/kg), or as is (flat).

    mg/m2 needs height and weight; mg/kg needs weight. Values a unit does not use are still
    checked when given, so that an implausible entry is never carried silently.
    """
    dose_unit = parse_dose_unit(unit)
    amount = require_positive("prescribed dose", prescribed, dose_unit.value)
    height = None if height_cm is None else _check_height(height_cm)
    weight = None if weight_kg is None else _check_weight(weight_kg)
    cap = _check_cap(bsa_cap_m2)
    bsa_formula = _parse_formula(formula)
    if dose_unit is DoseUnit.FLAT:
        return Dose(amount, amount, dose_unit)
    if weight is None:
        raise ScoringError(
            "weight", weight_kg, f"a weight in kg for a {dose_unit.value} dose", "enter the weight"
        )
    if dose_unit is DoseUnit.MG_PER_KG:
        return Dose(amount * weight, amount, dose_unit)
    if height is None:
        raise ScoringError(
            "height", height_cm, "a height in cm for a mg/m2 dose", "enter the height"
        )
    bsa = _uncapped_bsa(height, weight, bsa_formula)
    capped = cap is not None and bsa > cap
    used = min(bsa, cap) if cap is not None else bsa
    return Dose(amount * used, amount, dose_unit, bsa_m2=used, bsa_capped=capped)
