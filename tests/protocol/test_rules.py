"""The rule language: three-valued evaluation, descriptions and explanations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from cairo6.protocol.rules import Condition

ADULT = Condition.model_validate({"field": "age", "op": "ge", "value": 18})
PS = Condition.model_validate({"field": "ps", "op": "in", "value": [0, 1]})
RECENT = Condition.model_validate(
    {
        "any": [
            {"field": "prior", "op": "eq", "value": False},
            {"field": "months", "op": "ge", "value": 6},
        ]
    }
)


@pytest.mark.parametrize(
    ("record", "expected"),
    [({"age": 18}, True), ({"age": 17}, False), ({}, None), ({"age": None}, None)],
)
def test_comparison(record: dict[str, Any], expected: bool | None) -> None:
    assert ADULT.evaluate(record) is expected


def test_any_is_true_when_one_branch_is_true_even_with_the_other_missing() -> None:
    # A patient never treated needs no "months since therapy": the rule must not wait for it.
    assert RECENT.evaluate({"prior": False}) is True
    assert RECENT.evaluate({"prior": True}) is None
    assert RECENT.evaluate({"prior": True, "months": 3}) is False
    assert RECENT.evaluate({"prior": True, "months": 7}) is True


def test_all_and_not() -> None:
    both = Condition.model_validate({"all": [ADULT.model_dump(by_alias=True), PS.model_dump()]})
    assert both.evaluate({"age": 40, "ps": 1}) is True
    assert both.evaluate({"age": 40, "ps": 2}) is False
    assert both.evaluate({"age": 17}) is False  # false wins over unknown
    assert both.evaluate({"age": 40}) is None
    negated = Condition.model_validate({"not": ADULT.model_dump()})
    assert negated.evaluate({"age": 10}) is True
    assert negated.evaluate({}) is None


def test_between_is_inclusive() -> None:
    rule = Condition.model_validate({"field": "pci", "op": "between", "value": [0, 10]})
    assert [rule.evaluate({"pci": v}) for v in (0, 10, 11)] == [True, True, False]


def test_describe_and_explain() -> None:
    assert RECENT.describe() == "prior = no or months ≥ 6"
    assert "prior = yes, months = missing" in RECENT.explain({"prior": True})
    assert PS.describe() == "ps one of [0, 1]"


def test_fields() -> None:
    assert RECENT.fields() == {"prior", "months"}


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"field": "x"},
        {"field": "x", "op": "eq"},
        {"field": "x", "op": "in", "value": 3},
        {"field": "x", "op": "between", "value": [1]},
        {"field": "x", "op": "lt", "value": [1, 2]},
        {"field": "x", "op": "eq", "value": 1, "any": [{"field": "y", "op": "eq", "value": 1}]},
        {"any": []},
        {"field": "x", "op": "approx", "value": 1},
    ],
)
def test_malformed_rules_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Condition.model_validate(bad)


@given(st.integers(-100, 100), st.integers(-100, 100))
def test_not_is_the_complement(threshold: int, value: int) -> None:
    rule = Condition.model_validate({"field": "v", "op": "lt", "value": threshold})
    negated = Condition.model_validate({"not": {"field": "v", "op": "lt", "value": threshold}})
    assert rule.evaluate({"v": value}) is (value < threshold)
    assert negated.evaluate({"v": value}) is (value >= threshold)


@given(st.lists(st.sampled_from([True, False, None]), min_size=1, max_size=6))
def test_kleene_logic(values: list[bool | None]) -> None:
    leaves = [{"field": f"f{i}", "op": "eq", "value": True} for i in range(len(values))]
    record = {f"f{i}": v for i, v in enumerate(values)}
    all_rule = Condition.model_validate({"all": leaves})
    any_rule = Condition.model_validate({"any": leaves})
    expected_all = False if False in values else (None if None in values else True)
    expected_any = True if True in values else (None if None in values else False)
    assert all_rule.evaluate(record) is expected_all
    assert any_rule.evaluate(record) is expected_any
