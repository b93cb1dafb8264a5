"""Populations and binary endpoints computed from a study definition, for any number of arms.

Everything here reads the study's rules: a population is the participants for whom its rule
holds, a binary endpoint counts the participants for whom its rule holds, and the comparisons
are each arm against the control or all pairs, as the study's plan says. Nothing names a form
or an arm of a particular trial.

The records a rule reads are flattened per participant: `form.item` holds the item's value of
a once-per-participant form, and for a repeating form a comparison holds when it holds for any
record (the values are kept as a list and each is tried). `form` itself is True when the form
was entered. The facts `@arm`, `@centre`, `@randomised` are always present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from scipy.stats import norm

from cairo6.analysis.ard import ArdRecord
from cairo6.analysis.stats import categorical_test, clopper_pearson, risk_ratio
from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study.models import EndpointDef, EndpointType
from cairo6.study.study import Study

TABLE = "endpoints"


@dataclass(frozen=True)
class Participant:
    """What the rules of a study read for one participant."""

    id: str
    arm: str
    values: Mapping[str, Any]


def flatten(
    participant: str, arm: str, centre: str, forms: Mapping[str, Sequence[Mapping[str, Any]]]
) -> Participant:
    """The rule view of one participant's records (see the module docstring)."""
    values: dict[str, Any] = {"@arm": arm, "@centre": centre, "@randomised": True}
    for form_id, records in forms.items():
        values[form_id] = bool(records)
        for record in records:
            for item_id, value in record.items():
                values.setdefault(f"{form_id}.{item_id}", []).append(value)
    return Participant(participant, arm, values)


def holds(rule: Condition, participant: Participant) -> bool | None:
    """The rule for this participant; a repeating form's item holds if any record satisfies it."""
    lists = {k: v for k, v in participant.values.items() if isinstance(v, list)}
    if not lists:
        return rule.evaluate(participant.values)
    base = {k: v for k, v in participant.values.items() if not isinstance(v, list)}
    # One evaluation per record of the longest list keeps "any record" semantics per item while
    # the once-per-participant forms (lists of one) read their single value every time.
    width = max(len(v) for v in lists.values())
    outcomes = []
    for index in range(width):
        view = dict(base)
        for key, seq in lists.items():
            view[key] = seq[index] if index < len(seq) else (seq[0] if len(seq) == 1 else None)
        outcomes.append(rule.evaluate(view))
    if True in outcomes:
        return True
    return None if None in outcomes else False


def population(
    study: Study, population_id: str, people: Sequence[Participant]
) -> list[Participant]:
    """The participants of a population (every randomised one when it has no rule)."""
    definition = study.population(population_id)
    if definition.rule is None:
        return list(people)
    rule = definition.rule
    return [p for p in people if holds(rule, p) is True]


def arm_pairs(study: Study) -> list[tuple[str, str]]:
    """(arm, comparator) pairs as the plan says: each arm against the control, or all pairs."""
    arms = [a.id for a in study.trial_protocol.arms]
    plan = study.comparisons
    control = next((a.id for a in study.trial_protocol.arms if a.is_control), None)
    if plan is not None and plan.mode == "all_pairs":
        return list(combinations(arms, 2))
    if control is None:
        raise InvalidValueError(
            "comparisons.mode",
            "vs_control",
            "a protocol with one arm marked is_control = true",
            "mark the control arm in protocol.toml or set mode = 'all_pairs'",
        )
    return [(arm, control) for arm in arms if arm != control]


def risk_difference(a: int, n1: int, b: int, n2: int, level: float) -> tuple[float, float, float]:
    """a/n1 - b/n2 with the Wald interval, as R `prop.test(..., correct = FALSE)$conf.int`."""
    p1, p2 = a / n1, b / n2
    z = float(norm.ppf(1 - (1 - level) / 2))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p1 - p2, p1 - p2 - z * se, p1 - p2 + z * se


def _test_rule(endpoint: EndpointDef) -> str:
    return {"plan": "auto", "chi2": "chi2", "fisher": "fisher"}.get(endpoint.test, "auto")


def binary_endpoint(
    study: Study, endpoint: EndpointDef, people: Sequence[Participant]
) -> list[ArdRecord]:
    """n, N, pct and exact CI per arm; per pair the plan's test, risk ratio and difference."""
    if endpoint.type is not EndpointType.BINARY or endpoint.rule is None:
        raise InvalidValueError("endpoint.type", endpoint.type, "binary", "use another analysis")
    members = population(study, endpoint.population, people)
    level = study.comparisons.ci_level if study.comparisons is not None else 0.95
    counts: dict[str, tuple[int, int]] = {}
    out: list[ArdRecord] = []
    var = endpoint.id
    for arm in study.trial_protocol.arms:
        group = [p for p in members if p.arm == arm.id]
        n = sum(1 for p in group if holds(endpoint.rule, p) is True)
        total = len(group)
        counts[arm.id] = (n, total)
        out += [
            ArdRecord(TABLE, var, "", arm.id, "n", n, endpoint.label),
            ArdRecord(TABLE, var, "", arm.id, "N", total, endpoint.label),
        ]
        if total:
            low, high = clopper_pearson(n, total, level)
            out += [
                ArdRecord(TABLE, var, "", arm.id, "pct", 100 * n / total, endpoint.label),
                ArdRecord(TABLE, var, "", arm.id, "ci_low", 100 * low, endpoint.label),
                ArdRecord(TABLE, var, "", arm.id, "ci_high", 100 * high, endpoint.label),
            ]
    pairs = arm_pairs(study)
    for arm, comparator in pairs:
        group = "comparison" if len(pairs) == 1 else f"{arm}_vs_{comparator}"
        a, n1 = counts[arm]
        b, n2 = counts[comparator]
        if n1 == 0 or n2 == 0:
            out.append(
                ArdRecord(TABLE, var, "", group, "p_value", None, note="an arm has no participants")
            )
            continue
        table = [[a, n1 - a], [b, n2 - b]]
        if (a + b) in (0, n1 + n2):
            out.append(
                ArdRecord(
                    TABLE,
                    var,
                    "",
                    group,
                    "p_value",
                    None,
                    note="no test: the outcome does not vary",
                )
            )
        else:
            result = categorical_test(table, _test_rule(endpoint))
            out += [
                ArdRecord(TABLE, var, "", group, "test", result.test),
                ArdRecord(
                    TABLE, var, "", group, "p_value", result.p_value, note=result.warning or ""
                ),
            ]
        if "risk_difference" in endpoint.measures:
            rd, low, high = risk_difference(a, n1, b, n2, level)
            out += [
                ArdRecord(TABLE, var, "", group, "rd", 100 * rd),
                ArdRecord(TABLE, var, "", group, "rd_low", 100 * low),
                ArdRecord(TABLE, var, "", group, "rd_high", 100 * high),
            ]
        if "risk_ratio" in endpoint.measures and a > 0 and b > 0:
            rr = risk_ratio(a, n1, b, n2, level)
            out += [
                ArdRecord(TABLE, var, "", group, "rr", rr.rr),
                ArdRecord(TABLE, var, "", group, "rr_low", rr.low),
                ArdRecord(TABLE, var, "", group, "rr_high", rr.high),
            ]
    return out


def binary_endpoints(study: Study, people: Sequence[Participant]) -> list[ArdRecord]:
    """The ARD of every binary endpoint of the study."""
    out: list[ArdRecord] = []
    for endpoint in study.endpoints:
        if endpoint.type is EndpointType.BINARY:
            out += binary_endpoint(study, endpoint, people)
    return out
