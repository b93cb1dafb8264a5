"""Check one record of a form against the study definition: types, ranges, code lists,
required items, branching, derived items and edit checks, reporting every problem at once.

Pure: the participant's other records and facts (`@randomised_on`, `@today`) come in as a
context mapping, and the result says what to store, what is refused, and which soft checks
failed (the service saves those and opens a query on each).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cairo6.errors import FieldProblem
from cairo6.scoring.registry import FUNCTIONS, VALIDATORS
from cairo6.study.models import CodeList, DataType, EditCheck, Form, Item, Severity, Widget
from cairo6.study.study import REGIMENS, Study

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
LONG_CODELIST = 40
"""A code list longer than this is a terminology (CTCAE terms): people search it by its words,
and a refusal suggests the nearest labels instead of listing every code."""


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def allowed_text(study: Study, item: Item) -> str:
    """The item's allowed values in words (labels for code lists)."""
    if item.type is DataType.CODED:
        codelist = study.codelist(item.codelist or "")
        codes = codelist.current()
        if len(codes) > LONG_CODELIST:
            return f"a term of {codelist.label or codelist.id} ({len(codes)} terms)"
        return "one of " + ", ".join(f"{c.value} ({c.label})" for c in codes)
    if item.type in (DataType.INTEGER, DataType.DECIMAL):
        kind = "a whole number" if item.type is DataType.INTEGER else "a number"
        lo = "" if item.min is None else f" from {item.min:g}"
        hi = "" if item.max is None else f" to {item.max:g}"
        return kind + lo + hi + (f" {item.unit}" if item.unit else "")
    return {
        DataType.DATE: "a date (YYYY-MM-DD)",
        DataType.DATETIME: "a date and time (YYYY-MM-DDTHH:MM)",
        DataType.BOOLEAN: "yes or no",
        DataType.TEXT: "text",
    }[item.type]


def _suggestion(codelist: CodeList, wanted: str) -> str:
    """'; did you mean ...' with the nearest labels of a long code list ('' for a short one,
    whose every code the message already lists)."""
    if len(codelist.codes) <= LONG_CODELIST or not wanted:
        return ""
    labels = {c.label.lower(): c.label for c in codelist.codes}
    near = difflib.get_close_matches(wanted, list(labels), n=3, cutoff=0.6)
    near += [k for k in labels if wanted in k and k not in near][: 3 - len(near)]
    if not near:
        return "; choose it from the list"
    return "; did you mean " + " or ".join(f"'{labels[k]}'" for k in near) + "?"


def _scalar(study: Study, item: Item, value: Any) -> Any:
    """One value as the item's type; ValueError names what is allowed."""
    allowed = allowed_text(study, item)
    kind = item.type
    if kind is DataType.TEXT:
        return str(value).strip()
    if kind is DataType.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(allowed)
    if kind is DataType.CODED:
        text = str(value).strip()
        codelist = study.codelist(item.codelist or "")
        if text in codelist.values():
            return text
        # People may send the label they read; store the code it stands for.
        by_label = {c.label.lower(): c.value for c in codelist.codes}
        wanted = " ".join(text.split()).lower()
        if wanted in by_label:
            return by_label[wanted]
        raise ValueError(allowed + _suggestion(codelist, wanted))
    if kind is DataType.DATE:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(allowed) from None
    if kind is DataType.DATETIME:
        if isinstance(value, dt.datetime):
            return value
        try:
            return dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(allowed) from None
    if isinstance(value, bool):
        raise ValueError(allowed)
    try:
        number = float(value) if not isinstance(value, int | float) else value
    except (TypeError, ValueError):
        raise ValueError(allowed) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(allowed)
    if kind is DataType.INTEGER:
        if float(number) != int(number):
            raise ValueError(allowed)
        number = int(number)
    if (item.min is not None and number < item.min) or (item.max is not None and number > item.max):
        raise ValueError(allowed)
    return number


def coerce(study: Study, item: Item, value: Any) -> Any:
    """A raw value (text from a form or file, or JSON) as the item's type; None when empty."""
    if _empty(value):
        return None
    if item.widget in (Widget.PCI_GRID, Widget.DOSES):
        if not isinstance(value, Mapping):
            raise ValueError(f"a mapping of names to {allowed_text(study, item)}")
        return {str(k): _scalar(study, item, v) for k, v in value.items()}
    if item.widget is Widget.LIST:
        if not isinstance(value, list):
            raise ValueError("a list")
        return list(value)
    if item.repeated:
        values = value if isinstance(value, list) else [value]
        return [_scalar(study, item, v) for v in values if not _empty(v)]
    return _scalar(study, item, value)


def stored(value: Any) -> Any:
    """A typed value as it is kept in the record's JSON document (dates as ISO text)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stored(v) for v in value]
    return value


def typed_record(study: Study, form: Form, document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document read back with typed values (dates as dates)."""
    out: dict[str, Any] = {}
    for item in form.items():
        if item.id in document and document[item.id] is not None:
            try:
                out[item.id] = coerce(study, item, document[item.id])
            except ValueError:
                out[item.id] = document[item.id]
    return out


@dataclass
class Verdict:
    """What a record check found: values to store, refused values, failed soft checks."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)
    soft: list[EditCheck] = field(default_factory=list)


def _derive(item: Item, own: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    assert item.derived is not None
    function = FUNCTIONS[item.derived.function]
    inputs = {
        param: (context.get(source) if "." in source else own.get(source))
        for param, source in item.derived.inputs.items()
    }
    if any(inputs.get(name) is None for name in function.required()):
        return None
    try:
        return function.compute(**{k: v for k, v in inputs.items() if v is not None})
    except ValueError:
        # A derivation that cannot be computed from what was entered stays empty; the inputs'
        # own checks report the entry problem.
        return None


def _source(name: str, own: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    return context.get(name) if "." in name or name.startswith("@") else own.get(name)


def _validated(item: Item, own: Mapping[str, Any], context: Mapping[str, Any]) -> str | None:
    """What the item's scoring-library validator says is wrong with its value, or None."""
    assert item.validate_with is not None
    validator = VALIDATORS[item.validate_with.function]
    inputs = {p: _source(s, own, context) for p, s in item.validate_with.inputs.items()}
    try:
        validator.check(own[item.id], **{k: v for k, v in inputs.items() if v is not None})
    except ValueError as exc:
        return str(exc)
    return None


def regimen_facts(study: Study, form: Form, own: Mapping[str, Any]) -> dict[str, Any]:
    """`@regimen_arm` and `@regimen_phase` of the protocol regimen a record names (an item
    coded with the protocol's regimens), so checks can hold it to the participant's arm."""
    for item in form.items():
        if item.codelist == REGIMENS and own.get(item.id) is not None:
            regimen = study.trial_protocol.regimen(str(own[item.id]))
            return {"@regimen_arm": regimen.arm, "@regimen_phase": regimen.phase.value}
    return {}


def _retired(study: Study, item: Item, value: Any) -> str | None:
    """Why a value may no longer be entered: its item or its code was retired by an amendment
    (records entered before keep theirs; they are checked against their own version)."""
    if item.retired:
        return "was retired by a protocol amendment and is no longer entered; leave it empty"
    if item.type is DataType.CODED and item.codelist:
        gone = {c.value for c in study.codelist(item.codelist).codes if c.retired}
        values = value if isinstance(value, list) else [value]
        used = sorted(str(v) for v in values if str(v) in gone)
        if used:
            return (
                f"{', '.join(used)} was retired by a protocol amendment; allowed: "
                + allowed_text(study, item)
            )
    return None


def validate_record(
    study: Study,
    form: Form,
    raw: Mapping[str, Any],
    context: Mapping[str, Any],
    *,
    checks: bool = True,
) -> Verdict:
    """Check a whole record; every problem is reported, nothing is half-accepted.

    Without `checks`, only what the record says on its own is checked (types, code lists,
    required items, branching, validators): the edit checks need the participant's context.
    """
    verdict = Verdict()
    items = {i.id: i for i in form.items()}
    for key in raw:
        if key not in items:
            verdict.problems.append(
                FieldProblem(
                    key, raw[key], f"not an item of {form.label}; items: {', '.join(items)}"
                )
            )
        elif items[key].derived is not None and not _empty(raw[key]):
            verdict.problems.append(
                FieldProblem(key, raw[key], "is computed from other items and cannot be entered")
            )
    own: dict[str, Any] = {}
    for item in form.items():
        if item.derived is not None or item.id not in raw:
            continue
        try:
            value = coerce(study, item, raw[item.id])
        except ValueError as exc:
            verdict.problems.append(FieldProblem(item.id, raw[item.id], f"allowed: {exc}"))
            continue
        if value is not None:
            retired = _retired(study, item, value)
            if retired:
                verdict.problems.append(FieldProblem(item.id, raw[item.id], retired))
                continue
            own[item.id] = value
    for item in form.items():
        if item.validate_with is not None and item.id in own:
            message = _validated(item, own, context)
            if message is not None:
                verdict.problems.append(FieldProblem(item.id, own[item.id], message))
    view = {
        **context,
        **own,
        **{f"{form.id}.{k}": v for k, v in own.items()},
        **regimen_facts(study, form, own),
    }
    for item in form.items():
        if item.derived is not None:
            continue
        shown = item.visible_when is None or item.visible_when.evaluate(view) is True
        if not shown and item.id in own:
            assert item.visible_when is not None
            verdict.problems.append(
                FieldProblem(
                    item.id,
                    own[item.id],
                    f"is asked only when {item.visible_when.describe()}; leave it empty",
                )
            )
        elif (
            shown
            and item.required
            and item.id not in own
            and not any(p.field == item.id for p in verdict.problems)
        ):
            verdict.problems.append(
                FieldProblem(item.id, None, f"is required ({allowed_text(study, item)})")
            )
    for item in form.items():
        if item.derived is not None:
            value = _derive(item, own, context)
            if value is not None:
                own[item.id] = value
                view[item.id] = view[f"{form.id}.{item.id}"] = value
    for check in study.checks_for(form.id) if checks else []:
        if check.rule.evaluate(view) is False:
            if check.severity is Severity.HARD:
                verdict.problems.append(
                    FieldProblem(check.item, own.get(check.item), check.message)
                )
            else:
                verdict.soft.append(check)
    verdict.values = own
    return verdict
