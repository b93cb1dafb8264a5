"""Eligibility assessment: every criterion of the protocol, checked against a screening record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cairo6.errors import InvalidValueError
from cairo6.protocol.models import Criterion, Protocol
from cairo6.protocol.rules import CrfField, FieldType

_READS: dict[tuple[str, str], str] = {
    ("inclusion", "met"): "meets",
    ("inclusion", "not_met"): "does not meet",
    ("exclusion", "met"): "not excluded",
    ("exclusion", "not_met"): "excluded",
}


class Verdict(StrEnum):
    """Outcome of one criterion for one patient."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's verdict and the plain-words reason behind it."""

    criterion: Criterion
    verdict: Verdict
    explanation: str


@dataclass(frozen=True)
class EligibilityAssessment:
    """All criteria for one patient; eligible only when every criterion is met."""

    results: tuple[CriterionResult, ...]

    @property
    def eligible(self) -> bool:
        """Every criterion met (none failed, none unassessed)."""
        return all(r.verdict is Verdict.MET for r in self.results)

    @property
    def failed(self) -> list[CriterionResult]:
        """Criteria that rule the patient out."""
        return [r for r in self.results if r.verdict is Verdict.NOT_MET]

    @property
    def unknown(self) -> list[CriterionResult]:
        """Criteria that cannot be assessed until missing fields are entered."""
        return [r for r in self.results if r.verdict is Verdict.UNKNOWN]


def check_value(spec: CrfField, value: Any) -> Any:
    """Validate one entered value against its field; return it in canonical form."""
    if value is None:
        return None
    kind = spec.type
    ok = True
    if kind is FieldType.BOOLEAN:
        ok = isinstance(value, bool)
    elif kind is FieldType.INTEGER:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is FieldType.NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is FieldType.CATEGORY:
        ok = isinstance(value, str) and value in (spec.levels or ())
    elif kind is FieldType.DATE:
        ok = isinstance(value, dt.date)
    else:
        ok = isinstance(value, str)
    if ok and kind in (FieldType.INTEGER, FieldType.NUMBER):
        ok = (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)
    if not ok:
        raise InvalidValueError(
            spec.id,
            value,
            spec.allowed_text(),
            f"enter {spec.label.lower()} as {spec.allowed_text()}",
        )
    return value


def validate_record(protocol: Protocol, record: Mapping[str, Any]) -> dict[str, Any]:
    """Check every value of a screening record against the protocol's field definitions.

    Unknown fields are refused rather than ignored: a misspelt field name would otherwise leave
    a criterion silently unassessed.
    """
    known = {f.id: f for f in protocol.fields}
    clean: dict[str, Any] = {}
    for name, value in record.items():
        spec = known.get(name)
        if spec is None:
            raise InvalidValueError(
                "field", name, "one of " + ", ".join(sorted(known)), "check the field name"
            )
        clean[name] = check_value(spec, value)
    return clean


def reads(kind: str, verdict: str) -> str:
    """A verdict as a clinician reads it: an inclusion criterion is met or not ("meets" /
    "does not meet"), an exclusion criterion applies or not ("excluded" / "not excluded");
    `verdict` is the stored one (met = the patient passes this criterion)."""
    return _READS.get((kind, verdict), "not assessable")


def _shown(spec: CrfField, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        value = f"{value:g}"
    text = str(value).replace("_", " ") if spec.type is FieldType.CATEGORY else str(value)
    return f"{text} {spec.unit}" if spec.unit and spec.type is not FieldType.BOOLEAN else text


def explain(
    protocol: Protocol, criterion: Criterion, record: Mapping[str, Any], *, assessable: bool
) -> str:
    """Why a criterion came out as it did, in the protocol's words: the recorded values it
    read (labels and units, never variable names), or which values are still to be entered."""
    known = {f.id: f for f in protocol.fields}
    names = [n for n in criterion.rule.fields() if n in known]
    names.sort(key=list(known).index)
    if not assessable:
        missing = [known[n] for n in names if record.get(n) is None]
        wanted = ", ".join(f.label + (f" ({f.unit})" if f.unit else "") for f in missing)
        return f"not assessable: enter {wanted}"
    seen = [
        f"{known[n].label}: {_shown(known[n], record[n])}"
        for n in names
        if record.get(n) is not None
    ]
    return "recorded: " + "; ".join(seen)


def assess(protocol: Protocol, record: Mapping[str, Any]) -> EligibilityAssessment:
    """Assess every eligibility criterion; unknown where a field it needs is missing."""
    clean = validate_record(protocol, record)
    results = []
    for crit in protocol.eligibility:
        outcome = crit.rule.evaluate(clean)
        if outcome is None:
            verdict = Verdict.UNKNOWN
        else:
            holds = outcome if crit.kind == "inclusion" else not outcome
            verdict = Verdict.MET if holds else Verdict.NOT_MET
        explanation = explain(protocol, crit, clean, assessable=outcome is not None)
        results.append(CriterionResult(crit, verdict, explanation))
    return EligibilityAssessment(tuple(results))
