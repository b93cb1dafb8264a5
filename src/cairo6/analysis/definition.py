"""Populations and binary endpoints computed from a study definition, for any number of arms.

Everything here reads the study's rules: a population is the participants for whom its rule
holds, a binary endpoint counts the participants for whom its rule holds, and the comparisons
are each arm against the control or all pairs, as the study's plan says. Nothing names a form
or an arm of a particular trial.

The records a rule reads are flattened per participant: `form.item` holds the item's value of
a once-per-participant form, and the list of values of a repeating form (a comparison holds
when any value satisfies it); `form` holds the form's records, so `exists = form` with `where`
tries each record on its own. The facts `@arm`, `@centre`, `@randomised` are always present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

from scipy.stats import norm  # type: ignore[import-untyped]

from cairo6.analysis.ard import ArdRecord
from cairo6.analysis.stats import (
    categorical_test,
    clopper_pearson,
    describe_continuous,
    mann_whitney,
    quantile,
    risk_ratio,
    t_test,
)
from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study.models import DataType, EndpointDef, EndpointType
from cairo6.study.study import Study

TABLE = "endpoints"


@dataclass(frozen=True)
class Participant:
    """What the rules of a study read for one participant."""

    id: str
    arm: str
    values: Mapping[str, Any]


def flatten(
    participant: str,
    arm: str,
    centre: str,
    forms: Mapping[str, Sequence[Mapping[str, Any]]],
    facts: Mapping[str, Any] | None = None,
) -> Participant:
    """The rule view of one participant's records (see the module docstring); `facts` adds
    the participant's other `@` facts (`@randomised_on`, `@enrolled_on`)."""
    values: dict[str, Any] = {"@arm": arm, "@centre": centre, "@randomised": True, **(facts or {})}
    for form_id, records in forms.items():
        values[form_id] = [dict(r) for r in records]
        for record in records:
            for item_id, value in record.items():
                values.setdefault(f"{form_id}.{item_id}", []).append(value)
    for key, value in list(values.items()):
        # A once-per-participant form's item reads as its single value.
        if "." in key and isinstance(value, list) and len(forms.get(key.split(".")[0], ())) == 1:
            values[key] = value[0]
    return Participant(participant, arm, values)


def holds(rule: Condition, participant: Participant) -> bool | None:
    """The rule for this participant (repeating forms read as the rule language says)."""
    return rule.evaluate(participant.values)


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


def _test_rule(endpoint: EndpointDef) -> Literal["auto", "chi2", "fisher"]:
    if endpoint.test == "chi2":
        return "chi2"
    return "fisher" if endpoint.test == "fisher" else "auto"


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
    for arm_def in study.trial_protocol.arms:
        in_arm = [p for p in members if p.arm == arm_def.id]
        n = sum(1 for p in in_arm if holds(endpoint.rule, p) is True)
        total = len(in_arm)
        counts[arm_def.id] = (n, total)
        out += [
            ArdRecord(TABLE, var, "", arm_def.id, "n", n, endpoint.label),
            ArdRecord(TABLE, var, "", arm_def.id, "N", total, endpoint.label),
        ]
        if total:
            low, high = clopper_pearson(n, total, level)
            out += [
                ArdRecord(TABLE, var, "", arm_def.id, "pct", 100 * n / total, endpoint.label),
                ArdRecord(TABLE, var, "", arm_def.id, "ci_low", 100 * low, endpoint.label),
                ArdRecord(TABLE, var, "", arm_def.id, "ci_high", 100 * high, endpoint.label),
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


def _numbers(endpoint: EndpointDef, members: Sequence[Participant]) -> list[float]:
    values = [_first(p.values.get(endpoint.item or "")) for p in members]
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def measured_endpoint(
    study: Study, endpoint: EndpointDef, people: Sequence[Participant]
) -> list[ArdRecord]:
    """A continuous, count or ordinal endpoint: N, mean, SD, median and quartiles per arm; per
    pair the plan's test (t test, or Mann-Whitney by default for ordinal and counts) and,
    where asked, the difference in means."""
    members = population(study, endpoint.population, people)
    var = endpoint.id
    out: list[ArdRecord] = []
    values: dict[str, list[float]] = {}
    for arm in _groups(study):
        numbers = _numbers(endpoint, [p for p in members if p.arm == arm])
        values[arm] = numbers
        out.append(ArdRecord(TABLE, var, "", arm, "N", len(numbers), endpoint.label))
        if numbers:
            described = describe_continuous(numbers)
            for name in ("mean", "median", "p25", "p75", "min", "max"):
                out.append(
                    ArdRecord(TABLE, var, "", arm, name, getattr(described, name), endpoint.label)
                )
            out.append(ArdRecord(TABLE, var, "", arm, "sd", described.sd, endpoint.label))
    pairs = arm_pairs(study)
    default = "t_test" if endpoint.type is EndpointType.CONTINUOUS else "mann_whitney"
    test = default if endpoint.test in ("plan", "none") else endpoint.test
    for arm, comparator in pairs:
        group = "comparison" if len(pairs) == 1 else f"{arm}_vs_{comparator}"
        x, y = values[arm], values[comparator]
        if len(x) < 2 or len(y) < 2 or endpoint.test == "none":
            out.append(
                ArdRecord(TABLE, var, "", group, "p_value", None, note="too few values to test")
            )
            continue
        if "mean_difference" in endpoint.measures:
            difference = sum(x) / len(x) - sum(y) / len(y)
            out.append(ArdRecord(TABLE, var, "", group, "mean_diff", difference))
        try:
            result = t_test(x, y) if test == "t_test" else mann_whitney(x, y)
        except InvalidValueError as exc:
            # A test that cannot be computed (no variation) is reported as such, never raised.
            out.append(ArdRecord(TABLE, var, "", group, "p_value", None, note=f"no test: {exc}"))
            continue
        out += [
            ArdRecord(TABLE, var, "", group, "test", result.test),
            ArdRecord(TABLE, var, "", group, "p_value", result.p_value),
        ]
    return out


def binary_endpoints(study: Study, people: Sequence[Participant]) -> list[ArdRecord]:
    """The ARD of every binary, continuous, count and ordinal endpoint of the study."""
    out: list[ArdRecord] = []
    for endpoint in study.endpoints:
        if endpoint.type is EndpointType.BINARY:
            out += binary_endpoint(study, endpoint, people)
        elif endpoint.type is not EndpointType.TIME_TO_EVENT:
            out += measured_endpoint(study, endpoint, people)
    return out


def _groups(study: Study) -> list[str]:
    return [a.id for a in study.trial_protocol.arms]


def baseline(
    study: Study, people: Sequence[Participant], table: str = "baseline"
) -> list[ArdRecord]:
    """Every item of the study's baseline forms by arm and in total: counts and percentages for
    coded and yes/no items, median and quartiles (SAS definition 5) for numbers."""
    out: list[ArdRecord] = []
    groups = {arm: [p for p in people if p.arm == arm] for arm in _groups(study)}
    groups["total"] = list(people)
    for arm, members in groups.items():
        out.append(ArdRecord(table, "population", "", arm, "N", len(members)))
    for form_id in study.baseline_forms:
        form = study.form(form_id)
        for item in form.items():
            if item.type in (DataType.TEXT, DataType.DATE, DataType.DATETIME) or item.repeated:
                continue
            name = f"{form.id}.{item.id}"
            for arm, members in groups.items():
                values = [_first(p.values.get(name)) for p in members]
                known = [v for v in values if v is not None]
                if item.type is DataType.CODED:
                    for code in study.codelist(item.codelist or "").codes:
                        n = sum(1 for v in known if v == code.value)
                        out += _n_pct(table, item.id, code.value, arm, n, len(known), item.label)
                elif item.type is DataType.BOOLEAN:
                    n = sum(1 for v in known if v is True)
                    out += _n_pct(table, item.id, "", arm, n, len(known), item.label)
                elif known:
                    numbers = sorted(float(v) for v in known)
                    out += [
                        ArdRecord(table, item.id, "", arm, "N", len(numbers), item.label),
                        ArdRecord(
                            table, item.id, "", arm, "median", quantile(numbers, 0.5), item.label
                        ),
                        ArdRecord(
                            table, item.id, "", arm, "p25", quantile(numbers, 0.25), item.label
                        ),
                        ArdRecord(
                            table, item.id, "", arm, "p75", quantile(numbers, 0.75), item.label
                        ),
                    ]
    return out


def _first(value: Any) -> Any:
    return (
        value[0]
        if isinstance(value, list) and value
        else (None if isinstance(value, list) else value)
    )


def _n_pct(
    table: str, variable: str, level: str, arm: str, n: int, total: int, label: str
) -> list[ArdRecord]:
    out = [
        ArdRecord(table, variable, level, arm, "n", n, label),
        ArdRecord(table, variable, level, arm, "N", total, label),
    ]
    if total:
        out.append(ArdRecord(table, variable, level, arm, "pct", 100 * n / total, label))
    return out


def flow(
    study: Study, people: Sequence[Participant], screened: int | None = None
) -> list[ArdRecord]:
    """The flow diagram's counts: each stage's participants among its parent's, by arm where
    the stage is per arm. Screening stages count the screening log (`screened`)."""
    out: list[ArdRecord] = []
    members: dict[str, list[Participant]] = {}
    for stage in study.flow:
        if stage.source == "screening":
            if screened is not None and stage.parent is None:
                out.append(ArdRecord("flow", stage.id, "", "total", "n", screened, stage.label))
            continue
        parent = members.get(stage.parent or "", list(people))
        chosen = [p for p in parent if stage.rule is None or holds(stage.rule, p) is True]
        members[stage.id] = chosen
        if stage.per_arm:
            for arm in _groups(study):
                n = sum(1 for p in chosen if p.arm == arm)
                out.append(ArdRecord("flow", stage.id, "", arm, "n", n, stage.label))
        else:
            out.append(ArdRecord("flow", stage.id, "", "total", "n", len(chosen), stage.label))
    return out
