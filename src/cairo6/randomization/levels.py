"""A patient's factor levels, derived from the case-report record by each level's `when` rule.

Refusal is the rule: a factor whose fields are missing, whose value matches no level or more than
one level, or whose value is of the wrong type stops the allocation with a message naming the
factor, the field and the allowed levels. Centre, when the design uses it, is read from the record
field `centre` and may be any non-empty id (the protocol lists no centre ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairo6.errors import RandomizationError
from cairo6.protocol.models import Factor, Protocol
from cairo6.protocol.rules import CrfField, value_fits
from cairo6.randomization.design import CENTRE, Design, as_design


def _allowed(factor: Factor) -> str:
    return "one level of: " + "; ".join(f"{lv.id} ({lv.when.describe()})" for lv in factor.levels)


def _fields_of(factor: Factor) -> list[str]:
    fields: set[str] = set()
    for level in factor.levels:
        fields |= level.when.fields()
    return sorted(fields)


def _check_types(factor: Factor, record: Mapping[str, Any], specs: Mapping[str, CrfField]) -> None:
    for name in _fields_of(factor):
        spec = specs.get(name)
        value = record.get(name)
        if spec is None or value is None:
            continue
        if not value_fits(spec, value):
            raise RandomizationError(
                f"factor '{factor.id}' (field {name})",
                value,
                spec.allowed_text(),
                f"correct {name} in the record and randomise again",
            )


def level_of(factor: Factor, record: Mapping[str, Any], specs: Mapping[str, CrfField]) -> str:
    """The id of the one level of `factor` whose rule holds for `record`, else a refusal."""
    _check_types(factor, record, specs)
    fields = _fields_of(factor)
    shown = {name: record.get(name) for name in fields}
    where = f"factor '{factor.id}' (field {', '.join(fields)})"
    matched: list[str] = []
    unknown = False
    for level in factor.levels:
        try:
            result = level.when.evaluate(record)
        except TypeError as exc:
            raise RandomizationError(
                where, shown, _allowed(factor), f"correct {', '.join(fields)} and randomise again"
            ) from exc
        if result is None:
            unknown = True
        elif result:
            matched.append(level.id)
    if unknown:
        missing = [name for name in fields if record.get(name) is None]
        raise RandomizationError(
            where,
            "missing",
            _allowed(factor),
            f"record {', '.join(missing) or ', '.join(fields)} before randomising",
        )
    if len(matched) != 1:
        problem = "matches no level" if not matched else f"matches levels {', '.join(matched)}"
        raise RandomizationError(
            where,
            shown,
            _allowed(factor),
            f"the recorded value {problem}; correct it before randomising",
        )
    return matched[0]


def centre_of(record: Mapping[str, Any]) -> str:
    """The centre id of a record (field `centre`), as text; refuses when missing or blank."""
    value = record.get(CENTRE)
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        raise RandomizationError(
            f"factor '{CENTRE}' (field {CENTRE})",
            "missing" if value is None else value,
            "the id of the recruiting centre (text or number)",
            "record the patient's centre before randomising",
        )
    text = str(value).strip()
    if not text:
        raise RandomizationError(
            f"factor '{CENTRE}' (field {CENTRE})",
            value,
            "a non-empty centre id",
            "record the patient's centre before randomising",
        )
    return text


def derive_levels(protocol: Protocol, record: Mapping[str, Any]) -> dict[str, str]:
    """Factor id -> level id for every factor of the protocol, plus `centre` when the
    randomisation uses it (centre as a factor, or permuted blocks stratified by centre)."""
    specs = {f.id: f for f in protocol.fields}
    levels = {
        factor.id: level_of(factor, record, specs) for factor in protocol.randomization.factors
    }
    if as_design(protocol).uses_centre:
        levels[CENTRE] = centre_of(record)
    return levels


def check_levels(design: Design, levels: Mapping[str, str]) -> dict[str, str]:
    """Validate already-derived levels (from `derive_levels` or history) against the design."""
    out: dict[str, str] = {}
    for factor in design.factors:
        level = levels.get(factor.id)
        if level not in factor.levels:
            raise RandomizationError(
                f"factor '{factor.id}'",
                "missing" if level is None else level,
                "one of " + ", ".join(factor.levels),
                "derive the levels with derive_levels() from a complete record",
            )
        out[factor.id] = level
    if design.uses_centre:
        out[CENTRE] = centre_of(levels)
    unknown = sorted(set(levels) - {f.id for f in design.factors} - {CENTRE})
    if unknown:
        raise RandomizationError(
            "levels",
            unknown,
            "the protocol's factor ids" + (" and centre" if design.uses_centre else ""),
            "remove the unknown factors; they are not part of this protocol",
        )
    return out
