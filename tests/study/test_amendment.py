"""An amendment judged against the data a trial holds, on the SYNTHETIC toy study (not CAIRO6):
what holds data may be retired, never removed; a retired item or code is no longer entered."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairo6.errors import StudyError
from cairo6.study import Study, study_from_texts
from cairo6.study.amendment import DataInUse, review
from cairo6.study.dictionary import dictionary
from cairo6.study.loader import read_study_texts
from cairo6.study.validate import validate_record

TOY = Path(__file__).resolve().parent / "data" / "toy"
CIGARETTES = """[[forms.groups.items]]
id = "cigarettes_per_day"
label = "Cigarettes per day"
type = "integer"
min = 1
max = 100
visible_when = { field = "smoking", op = "eq", value = "current" }
required = true
"""
FORMER = '{ value = "former", label = "Former smoker" }'


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return read_study_texts(TOY)


def _edited(texts: dict[str, str], name: str, old: str, new: str) -> Study:
    assert old in texts[name], old
    return study_from_texts({**texts, name: texts[name].replace(old, new)})


def _keys(found: object) -> list[str]:
    return [issue.key for issue in found.problems]  # type: ignore[attr-defined]


def test_an_item_that_holds_data_is_retired_not_removed(texts: dict[str, str]) -> None:
    old = study_from_texts(texts)
    removed = _edited(texts, "forms.toml", CIGARETTES, "")
    held = DataInUse(records={"baseline": 5}, items={"baseline": {"cigarettes_per_day": 3}})
    assert _keys(review(old, removed, held)) == ["forms[baseline].cigarettes_per_day"]
    assert "retired = true" in str(review(old, removed, held).problems[0])
    # Nobody entered it: removing it is a change, not a problem.
    empty = review(old, removed, DataInUse(records={"baseline": 5}))
    assert empty.ok
    assert "item baseline.cigarettes_per_day removed (it held no data)" in empty.changes

    with pytest.raises(StudyError, match="retired item"):
        _edited(texts, "forms.toml", CIGARETTES, CIGARETTES + "retired = true\n")
    retired_text = CIGARETTES.replace("required = true", "retired = true")
    retired = _edited(texts, "forms.toml", CIGARETTES, retired_text)
    verdict = review(old, retired, held)
    assert verdict.ok
    assert "item baseline.cigarettes_per_day retired (3 value(s) kept)" in verdict.changes
    entry = {"visit_date": "2024-01-01", "systolic": 150, "smoking": "current"}
    form = retired.form("baseline")
    entered = validate_record(retired, form, {**entry, "cigarettes_per_day": 10}, {}, checks=False)
    assert [(p.field, "retired" in p.message) for p in entered.problems] == [
        ("cigarettes_per_day", True)
    ]
    assert not validate_record(retired, form, entry, {}, checks=False).problems
    # The data dictionary still describes it, for the records that hold it.
    row = next(r for r in dictionary(retired) if r.item == "cigarettes_per_day")
    assert row.help.startswith("Retired by a protocol amendment")


def test_a_code_that_is_stored_is_retired_not_removed(texts: dict[str, str]) -> None:
    old = study_from_texts(texts)
    used = DataInUse(
        records={"baseline": 2}, items={"baseline": {"smoking": 2}},
        codes={("baseline", "smoking"): frozenset({"never", "former"})},
    )  # fmt: skip
    dropped = _edited(texts, "forms.toml", FORMER + ",\n", "")
    assert _keys(review(old, dropped, used)) == ["codelists[smoking]"]
    retired = _edited(texts, "forms.toml", FORMER, FORMER.replace(" }", ", retired = true }"))
    assert review(old, retired, used).ok
    assert "code former of smoking retired" in review(old, retired, used).changes
    form = retired.form("baseline")
    entry = {"visit_date": "2024-01-01", "systolic": 150}
    refused = validate_record(retired, form, {**entry, "smoking": "former"}, {}, checks=False)
    assert [p.field for p in refused.problems] == ["smoking"]
    assert "retired" in refused.problems[0].message
    assert "former" not in refused.problems[0].message.split("allowed:")[1]
    accepted = validate_record(retired, form, {**entry, "smoking": "never"}, {}, checks=False)
    assert not accepted.problems
    row = next(r for r in dictionary(retired) if r.item == "smoking")
    assert row.allowed.endswith("retired (earlier records only): former (Former smoker)")


def test_types_keys_arms_and_factors_keep_what_was_collected(texts: dict[str, str]) -> None:
    old = study_from_texts(texts)
    decimal = _edited(
        texts, "forms.toml",
        'id = "systolic"\nlabel = "Systolic blood pressure"\ntype = "integer"',
        'id = "systolic"\nlabel = "Systolic blood pressure"\ntype = "decimal"',
    )  # fmt: skip
    held = DataInUse(records={"baseline": 1}, items={"baseline": {"systolic": 1}})
    assert _keys(review(old, decimal, held)) == ["forms[baseline].systolic"]

    allocated = DataInUse(arms={"usual_care": 4, "high_dose": 3})
    protocol = texts["protocol.toml"]
    start = protocol.index('[[arms]]\nid = "high_dose"')
    end = protocol.index("\n[", start + 10)
    without_arm = study_from_texts(
        {**texts, "protocol.toml": protocol[:start] + protocol[end + 1 :]}
    )
    assert "arms[high_dose]" in _keys(review(old, without_arm, allocated))
    blocks = _edited(texts, "protocol.toml", 'method = "minimization"', 'method = "simple"')
    assert _keys(review(old, blocks, allocated)) == ["randomization.method"]
    assert review(old, blocks, DataInUse()).ok  # before the first allocation anything goes


def test_the_study_id_is_kept(texts: dict[str, str]) -> None:
    old = study_from_texts(texts)
    renamed = _edited(texts, "study.toml", 'id = "TOY', 'id = "TOY2')
    assert _keys(review(old, renamed, DataInUse())) == ["id"]
