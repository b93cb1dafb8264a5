"""BSA and dose calculation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairo6.scoring.dosing import (
    BsaFormula,
    DoseUnit,
    body_surface_area,
    calculate_dose,
    parse_dose_unit,
)

from ._support import PROPERTY, assert_rejects


def test_reference_values() -> None:
    # Mosteller, N Engl J Med 1987;317:1098: sqrt(170 * 70 / 3600) = sqrt(3.30556) = 1.8181 m2.
    assert body_surface_area(170, 70) == pytest.approx(1.8181, abs=5e-5)
    # DuBois & DuBois, Arch Intern Med 1916;17:863: 0.007184 * 70^0.425 * 170^0.725 = 1.8097 m2.
    assert body_surface_area(170, 70, formula=BsaFormula.DUBOIS) == pytest.approx(1.8097, abs=5e-5)
    assert body_surface_area(170, 70, formula="DuBois") == pytest.approx(1.8097, abs=5e-5)
    # Mosteller 180 cm / 80 kg = sqrt(4) = 2.0 exactly.
    assert body_surface_area(180, 80) == pytest.approx(2.0)


def test_cap() -> None:
    assert body_surface_area(180, 80, cap_m2=1.9) == 1.9
    assert body_surface_area(170, 70, cap_m2=2.0) == pytest.approx(1.8181, abs=5e-5)
    assert_rejects(lambda: body_surface_area(170, 70, cap_m2=0), "BSA cap", 0)


@pytest.mark.parametrize("height", [0, -170, 49.9, 250.1, 1.7, math.nan, "170", True])
def test_height_rejected(height: object) -> None:
    error = assert_rejects(lambda: body_surface_area(height, 70), "height", height)  # type: ignore[arg-type]
    assert "cm" in str(error)


@pytest.mark.parametrize("weight", [0, -1, 19.9, 350.1, 70000, math.inf, None])
def test_weight_rejected(weight: object) -> None:
    assert_rejects(lambda: body_surface_area(170, weight), "weight", weight)  # type: ignore[arg-type]


def test_bounds_are_inclusive() -> None:
    assert body_surface_area(50, 20) > 0
    assert body_surface_area(250, 350) > 0


def test_unknown_formula() -> None:
    assert_rejects(lambda: body_surface_area(170, 70, formula="haycock"), "BSA formula", "haycock")


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("mg/m2", DoseUnit.MG_PER_M2),
        ("mg/m²", DoseUnit.MG_PER_M2),
        ("MG / KG", DoseUnit.MG_PER_KG),
        ("flat", DoseUnit.FLAT),
        ("mg", DoseUnit.FLAT),
    ],
)
def test_parse_unit(text: str, unit: DoseUnit) -> None:
    assert parse_dose_unit(text) is unit


def test_unknown_unit() -> None:
    assert_rejects(lambda: parse_dose_unit("mg/l"), "dose unit", "mg/l")


def test_doses_of_the_capox_b_regimen() -> None:
    # Oxaliplatin 130 mg/m2 at Mosteller 2.0 m2 (180 cm / 80 kg) = 260 mg.
    oxaliplatin = calculate_dose(130, "mg/m2", height_cm=180, weight_kg=80)
    assert oxaliplatin.amount_mg == pytest.approx(260.0)
    assert oxaliplatin.bsa_m2 == pytest.approx(2.0)
    assert not oxaliplatin.bsa_capped
    # Bevacizumab 7.5 mg/kg at 80 kg = 600 mg.
    assert calculate_dose(7.5, DoseUnit.MG_PER_KG, weight_kg=80).amount_mg == 600.0
    assert calculate_dose(400, "flat").amount_mg == 400.0


def test_capped_dose_records_the_cap() -> None:
    dose = calculate_dose(35, "mg/m2", height_cm=190, weight_kg=110, bsa_cap_m2=2.0)
    assert dose.bsa_capped
    assert dose.bsa_m2 == 2.0
    assert dose.amount_mg == 70.0


def test_dose_inputs_required_and_checked() -> None:
    assert_rejects(lambda: calculate_dose(130, "mg/m2", weight_kg=70), "height", None)
    assert_rejects(lambda: calculate_dose(130, "mg/m2", height_cm=170), "weight", None)
    assert_rejects(lambda: calculate_dose(5, "mg/kg"), "weight", None)
    assert_rejects(lambda: calculate_dose(0, "mg/kg", weight_kg=70), "prescribed dose", 0)
    assert_rejects(lambda: calculate_dose(-5, "flat"), "prescribed dose", -5)
    # A value the unit does not use is still checked.
    assert_rejects(lambda: calculate_dose(400, "flat", weight_kg=700), "weight", 700)


@PROPERTY
@given(st.floats(50, 249), st.floats(20, 349), st.sampled_from(list(BsaFormula)))
def test_bsa_formulas_and_monotonicity(height: float, weight: float, formula: BsaFormula) -> None:
    bsa = body_surface_area(height, weight, formula=formula)
    expected = (
        math.sqrt(height * weight / 3600)
        if formula is BsaFormula.MOSTELLER
        else 0.007184 * weight**0.425 * height**0.725
    )
    assert bsa == pytest.approx(expected)
    assert bsa < body_surface_area(height + 1, weight, formula=formula)
    assert bsa < body_surface_area(height, weight + 1, formula=formula)
    dose = calculate_dose(100, "mg/m2", height_cm=height, weight_kg=weight, formula=formula)
    assert dose.amount_mg == pytest.approx(100 * bsa)
    assert dose.bsa_m2 == pytest.approx(bsa)
