"""A small, closed rule language for eligibility criteria and minimisation-factor levels.

Rules are data in the protocol file, so a new trial changes TOML, not code. Evaluation is
three-valued: a rule over a field that was not recorded is *unknown*, never silently false,
because a missing laboratory value must not make a patient look eligible or ineligible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = bool | int | float | str | dt.date
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "between"]

_OP_TEXT: dict[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "in": "one of",
    "not_in": "not one of",
    "between": "between",
}


class FieldType(StrEnum):
    """The type of a case-report field a rule may read."""

    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    CATEGORY = "category"
    DATE = "date"
    TEXT = "text"


class CrfField(BaseModel):
    """A case-report field that eligibility rules and factor levels are computed from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType
    unit: str | None = None
    levels: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    form: str = "eligibility"
    description: str = ""
    retired: bool = False
    """Retired by an amendment: kept for the assessments that hold it, no longer entered."""

    @model_validator(mode="after")
    def _levels_only_for_categories(self) -> CrfField:
        if self.type is FieldType.CATEGORY and not self.levels:
            raise ValueError("a category field needs `levels`, the allowed values")
        if self.type is not FieldType.CATEGORY and self.levels:
            raise ValueError("`levels` is only for fields of type 'category'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self

    def allowed_text(self) -> str:
        """Describe the allowed values in words, for error messages and the data dictionary."""
        if self.type is FieldType.CATEGORY:
            return "one of " + ", ".join(self.levels or ())
        if self.type is FieldType.BOOLEAN:
            return "true or false"
        if self.type in (FieldType.INTEGER, FieldType.NUMBER):
            lo = "-inf" if self.min is None else f"{self.min:g}"
            hi = "inf" if self.max is None else f"{self.max:g}"
            unit = f" {self.unit}" if self.unit else ""
            kind = "an integer" if self.type is FieldType.INTEGER else "a number"
            return f"{kind} in [{lo}, {hi}]{unit}"
        if self.type is FieldType.DATE:
            return "a date (YYYY-MM-DD)"
        return "text"


class Condition(BaseModel):
    """One rule: a comparison on a field, or `all`/`any`/`not` of other rules.

    A comparison reads `field` against a literal `value` or against another field named by
    `other` (dates across forms: `visit.seen_on` le `discharge.discharged_on`).
    `exists` holds when the record says the named form was entered; with `where`, when one of
    that form's records satisfies the `where` rule (so conditions on one visit stay together).
    `any` with `at_least = k` holds when k of its rules hold (k of n). A field whose value is a
    list (an item of a repeating form) satisfies a comparison when any of its values does.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str | None = None
    op: Op | None = None
    value: Scalar | list[Scalar] | None = None
    other: str | None = None
    exists: str | None = None
    where: Condition | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    at_least: int | None = Field(default=None, ge=1)
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [
            name
            for name, present in (
                ("field/op/value", self.field is not None or self.op is not None),
                ("exists", self.exists is not None),
                ("all", self.all is not None),
                ("any", self.any is not None),
                ("not", self.not_ is not None),
            )
            if present
        ]
        if len(forms) != 1:
            raise ValueError(
                "a rule is exactly one of: {field, op, value}, {exists = form}, {all = [...]}, "
                f"{{any = [...]}}, {{not = {{...}}}}; found {forms or 'nothing'}"
            )
        if self.where is not None and self.exists is None:
            raise ValueError("`where` narrows an `exists`; add `exists = form`")
        if self.at_least is not None and self.any is None:
            raise ValueError("`at_least` counts the rules of an `any` list; add `any = [...]`")
        if forms[0] == "field/op/value":
            if self.field is None or self.op is None:
                raise ValueError("a comparison needs both `field` and `op`")
            if self.other is not None:
                if self.value is not None:
                    raise ValueError("a comparison has either `value` or `other`, not both")
                if self.op in ("in", "not_in", "between"):
                    raise ValueError(f"op '{self.op}' compares with a value, not `other`")
                return self
            if self.value is None:
                raise ValueError("a comparison needs a `value` (or `other`, another field)")
            if self.op in ("in", "not_in") and not isinstance(self.value, list):
                raise ValueError(f"op '{self.op}' needs a list value")
            if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
                raise ValueError("op 'between' needs a list of two values [low, high]")
            if self.op not in ("in", "not_in", "between") and isinstance(self.value, list):
                raise ValueError(f"op '{self.op}' needs a single value, not a list")
        elif self.all is not None and not self.all:
            raise ValueError("`all` needs at least one rule")
        elif self.any is not None and not self.any:
            raise ValueError("`any` needs at least one rule")
        return self

    def fields(self) -> set[str]:
        """Every field this rule reads (both sides of a field-to-field comparison)."""
        if self.field is not None:
            return {self.field} | ({self.other} if self.other else set())
        out: set[str] = set()
        for child in self.children():
            out |= child.fields()
        return out

    def children(self) -> list[Condition]:
        """The direct sub-rules of a compound rule."""
        if self.all is not None:
            return list(self.all)
        if self.any is not None:
            return list(self.any)
        if self.not_ is not None:
            return [self.not_]
        if self.where is not None:
            return [self.where]
        return []

    def comparisons(self) -> list[Condition]:
        """Every leaf comparison in this rule (not `exists` leaves)."""
        if self.field is not None:
            return [self]
        return [leaf for child in self.children() for leaf in child.comparisons()]

    def forms_named(self) -> set[str]:
        """Every form an `exists` leaf of this rule names."""
        named = {self.exists} if self.exists is not None else set()
        return named | {name for child in self.children() for name in child.forms_named()}

    def evaluate(self, record: Mapping[str, Any]) -> bool | None:
        """True, False, or None when a field the answer depends on is missing."""
        if self.all is not None:
            results = [c.evaluate(record) for c in self.all]
            if False in results:
                return False
            return None if None in results else True
        if self.any is not None:
            results = [c.evaluate(record) for c in self.any]
            need = self.at_least or 1
            if results.count(True) >= need:
                return True
            # Still undecided while the unknown ones could make up the difference.
            return None if results.count(True) + results.count(None) >= need else False
        if self.not_ is not None:
            inner = self.not_.evaluate(record)
            return None if inner is None else not inner
        if self.exists is not None:
            return self._exists(record)
        assert self.field is not None
        assert self.op is not None
        actual = record.get(self.field)
        if actual is None:
            return None
        if isinstance(actual, list):
            found = [self.evaluate({**record, self.field: v}) for v in actual if v is not None]
            if True in found:
                return True
            return None if None in found or not found else False
        if self.other is not None:
            expected = record.get(self.other)
            if expected is None:
                return None
            return _compare(actual, self.op, expected)
        return _compare(actual, self.op, self.value)

    def _exists(self, record: Mapping[str, Any]) -> bool | None:
        entered = record.get(self.exists or "")
        if self.where is None:
            return bool(entered)
        if not isinstance(entered, list):
            return self.where.evaluate(record) if entered else False
        # Each record of the form is tried on its own, its items read as `form.item`.
        found = [
            self.where.evaluate({**record, **{f"{self.exists}.{k}": v for k, v in one.items()}})
            for one in entered
            if isinstance(one, Mapping)
        ]
        if True in found:
            return True
        return None if None in found else False

    def describe(self) -> str:
        """The rule in words, e.g. `age ≥ 18`."""
        if self.all is not None:
            return " and ".join(_paren(c) for c in self.all)
        if self.any is not None:
            if self.at_least:
                return f"at least {self.at_least} of: " + "; ".join(c.describe() for c in self.any)
            return " or ".join(_paren(c) for c in self.any)
        if self.not_ is not None:
            return f"not ({self.not_.describe()})"
        if self.exists is not None:
            if self.where is not None:
                return f"a {self.exists} record with {self.where.describe()}"
            return f"{self.exists} recorded"
        right = self.other if self.other is not None else _value_text(self.value)
        return f"{self.field} {_OP_TEXT[str(self.op)]} {right}"

    def explain(self, record: Mapping[str, Any]) -> str:
        """Why the rule came out as it did for this record: the recorded values it read."""
        seen = []
        for leaf in self.comparisons():
            assert leaf.field is not None
            value = record.get(leaf.field)
            seen.append(f"{leaf.field} = {'missing' if value is None else _value_text(value)}")
        recorded = ", ".join(dict.fromkeys(seen))
        return f"requires {self.describe()}; recorded {recorded}"


def _paren(cond: Condition) -> str:
    text = cond.describe()
    return f"({text})" if cond.all is not None or cond.any is not None else text


def _value_text(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "between":
        low, high = expected
        return bool(low <= actual <= high)
    if op == "lt":
        return bool(actual < expected)
    if op == "le":
        return bool(actual <= expected)
    if op == "gt":
        return bool(actual > expected)
    return bool(actual >= expected)


def value_fits(spec: CrfField, value: Any) -> bool:
    """Whether a literal in a rule is of the field's type (used by the protocol checker)."""
    if spec.type is FieldType.BOOLEAN:
        return isinstance(value, bool)
    if spec.type is FieldType.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type is FieldType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type is FieldType.CATEGORY:
        return isinstance(value, str) and value in (spec.levels or ())
    if spec.type is FieldType.DATE:
        return isinstance(value, dt.date)
    return isinstance(value, str)


Condition.model_rebuild()
