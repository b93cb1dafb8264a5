"""Other tools' logic expressions as rules: what maps, and what is refused with a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from cairo6.protocol.rules import Condition
from cairo6.study.logic import LogicError, Target, negate, parse_logic
from cairo6.study.models import DataType

FIELDS = {
    "sex": Target("sex", DataType.CODED, {"1": "1", "2": "2"}),
    "pain": Target("pain", DataType.CODED, {str(n): str(n) for n in range(4)}),
    "age": Target("age", DataType.INTEGER),
    "weight": Target("weight", DataType.DECIMAL),
    "smoker": Target("smoker", DataType.BOOLEAN),
    "seen_on": Target("seen_on", DataType.DATE),
    "other_date": Target("visit.seen_on", DataType.DATE),
    "note": Target("note", DataType.TEXT),
}


def resolve(name: str, choice: str | None) -> Target:
    if choice is not None:
        if name != "symptoms" or choice not in ("1", "2"):
            raise LogicError(f"no choice {choice}")
        return Target(f"symptoms___{choice}", DataType.BOOLEAN)
    if name not in FIELDS:
        raise LogicError(f"[{name}] unknown")
    return FIELDS[name]


def rule(text: str) -> Condition:
    return parse_logic(text, resolve)


def test_comparisons_take_the_type_of_the_item() -> None:
    assert rule("[sex] = '2'") == Condition(field="sex", op="eq", value="2")
    assert rule("[age] >= 18") == Condition(field="age", op="ge", value=18)
    assert rule("[weight] < '80.5'") == Condition(field="weight", op="lt", value=80.5)
    assert rule("[smoker] <> '1'") == Condition(field="smoker", op="ne", value=True)
    assert rule('[seen_on] > "2024-02-01"') == Condition(
        field="seen_on", op="gt", value=dt.date(2024, 2, 1)
    )
    assert rule("[note] != 'none'") == Condition(field="note", op="ne", value="none")


def test_a_literal_on_the_left_turns_the_comparison_round() -> None:
    assert rule("18 <= [age]") == Condition(field="age", op="ge", value=18)


def test_checkbox_choices_are_their_boolean_items() -> None:
    assert rule("[symptoms(2)] = '1'") == Condition(field="symptoms___2", op="eq", value=True)
    assert rule("[symptoms(1)] = '0'") == Condition(field="symptoms___1", op="eq", value=False)


def test_and_or_and_parentheses_nest_as_all_and_any() -> None:
    got = rule("[age] >= 18 and ([sex] = '1' or [smoker] = '1') AND [pain] = '0'")
    assert got.all is not None
    assert len(got.all) == 3
    assert got.all[1].any == [
        Condition(field="sex", op="eq", value="1"),
        Condition(field="smoker", op="eq", value=True),
    ]
    record = {"age": 40, "sex": "2", "smoker": True, "pain": "0"}
    assert got.evaluate(record) is True
    assert got.evaluate({**record, "smoker": False}) is False


def test_ordered_tests_on_numeric_choices_become_the_admitted_codes() -> None:
    assert rule("[pain] > 1") == Condition(field="pain", op="in", value=["2", "3"])
    assert rule("[pain] <= '1'") == Condition(field="pain", op="in", value=["0", "1"])


def test_two_fields_compare_with_other() -> None:
    assert rule("[seen_on] <= [other_date]") == Condition(
        field="seen_on", op="le", other="visit.seen_on"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("datediff([seen_on], 'today', 'd') > 3", "function 'datediff"),
        ("[event_1_arm_1][age] > 18", "another event"),
        ("[age] = ''", "blank value"),
        ("[sex] = '3'", "not one of the choices"),
        ("[sex] > '1' and [sex] = 'x'", "not one of the choices"),
        ("[smoker] > 0", "yes/no"),
        ("[unknown] = 1", "unknown"),
        ("[age] = 'ten'", "not a whole number"),
        ("([age] > 1", "not closed"),
        ("[age] > 1 [sex] = 1", "unexpected"),
        ("[pain] > 5", "never shown"),
        ("", "empty"),
    ],
)
def test_what_does_not_map_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(LogicError, match=reason):
        rule(text)


def test_bare_names_read_as_fields_for_formal_expressions() -> None:
    assert parse_logic("sex != '1'", resolve, bare_names=True) == Condition(
        field="sex", op="ne", value="1"
    )
    with pytest.raises(LogicError):
        parse_logic("sex != '1'", resolve)


def test_negate_flips_a_single_comparison_and_wraps_the_rest() -> None:
    leaf = Condition(field="age", op="lt", value=18)
    assert negate(leaf) == Condition(field="age", op="ge", value=18)
    both = Condition(all=[leaf, Condition(field="sex", op="eq", value="1")])
    assert negate(negate(both)) == both
    record = {"age": 20, "sex": "1"}
    assert negate(both).evaluate(record) is (not both.evaluate(record))


def test_filled_in_tests_map_for_branching_only() -> None:
    def filled(text: str) -> Condition:
        return parse_logic(text, resolve, filled_tests=True)

    assert filled("[note] <> ''") == Condition(field="note", op="ne", value="")
    assert filled('[sex] != ""') == Condition(field="sex", op="in", value=["1", "2"])
    assert filled("[smoker] <> ''") == Condition(field="smoker", op="in", value=[True, False])
    assert filled("[sex] <> ''").evaluate({}) is None
    with pytest.raises(LogicError, match="filled in"):
        filled("[age] <> ''")
    with pytest.raises(LogicError, match="blank value"):
        filled("[note] = ''")
    with pytest.raises(LogicError, match="blank value"):
        rule("[note] <> ''")
