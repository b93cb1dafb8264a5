"""Checks that relate one part of a protocol to another.

Each check reads only the sections that validated on their own, so a file with a typo in one
regimen still gets every cross-reference problem elsewhere reported in the same run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cairo6.errors import ProtocolIssue
from cairo6.protocol.models import (
    Arm,
    Criterion,
    Endpoint,
    Factor,
    Hipec,
    IndexProcedure,
    Phase,
    Randomization,
    RandomizationMethod,
    Regimen,
    SampleSize,
    StoppingRule,
    Window,
)
from cairo6.protocol.rules import Condition, CrfField, FieldType, value_fits

_ORDERED_OPS = {"lt", "le", "gt", "ge", "between"}


def _duplicates(section: str, ids: Iterable[str]) -> list[ProtocolIssue]:
    counts = Counter(ids)
    return [
        ProtocolIssue(f"{section}[{dup}]", f"id '{dup}' is used {n} times; ids must be unique")
        for dup, n in counts.items()
        if n > 1
    ]


def check_rule(key: str, rule: Condition, fields: Mapping[str, CrfField]) -> list[ProtocolIssue]:
    """Every comparison in a rule reads a declared field with a value of the field's type."""
    issues = []
    for leaf in rule.comparisons():
        assert leaf.field is not None
        spec = fields.get(leaf.field)
        if spec is None:
            issues.append(
                ProtocolIssue(
                    key,
                    f"field '{leaf.field}' is not declared under [[fields]]; declared: "
                    + (", ".join(sorted(fields)) or "none"),
                )
            )
            continue
        if leaf.op in _ORDERED_OPS and spec.type in (FieldType.BOOLEAN, FieldType.CATEGORY):
            issues.append(
                ProtocolIssue(
                    key, f"op '{leaf.op}' needs an ordered field; '{spec.id}' is {spec.type.value}"
                )
            )
        if leaf.other is not None:
            if leaf.other not in fields:
                issues.append(
                    ProtocolIssue(key, f"field '{leaf.other}' is not declared under [[fields]]")
                )
            continue
        values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        for value in values:
            if not value_fits(spec, value):
                issues.append(
                    ProtocolIssue(
                        key,
                        f"value {value!r} does not fit field '{spec.id}' ({spec.allowed_text()})",
                    )
                )
    return issues


def cross_check(parts: Mapping[str, Any], known: Mapping[str, set[str]]) -> list[ProtocolIssue]:
    """All cross-reference problems among the sections (or list items) that validated.

    `known` holds the ids each section declares in the raw file, so that a reference to an item
    that failed its own validation is not reported a second time as undefined.
    """
    issues: list[ProtocolIssue] = []
    arms: Sequence[Arm] | None = parts.get("arms")
    fields_list: Sequence[CrfField] | None = parts.get("fields")
    regimens: Sequence[Regimen] | None = parts.get("regimens")
    endpoints: Sequence[Endpoint] | None = parts.get("endpoints")
    arm_ids = known.get("arms")
    fields = {f.id: f for f in fields_list} if fields_list is not None else None
    regimen_ids = known.get("regimens")
    endpoint_ids = known.get("endpoints")

    for section in ("arms", "fields", "eligibility", "regimens", "hipec", "windows", "endpoints"):
        items = parts.get(section)
        if items is not None:
            issues += _duplicates(section, (item.id for item in items))

    randomization: Randomization | None = parts.get("randomization")
    if randomization is not None:
        issues += _check_randomization(randomization, arms)
    factors: Sequence[Factor] = parts.get("randomization.factors") or []
    issues += _duplicates("randomization.factors", (f.id for f in factors))
    for factor in factors:
        issues += _duplicates(
            f"randomization.factors[{factor.id}].levels", (lv.id for lv in factor.levels)
        )
        if fields is not None:
            for level in factor.levels:
                issues += check_rule(
                    f"randomization.factors[{factor.id}].levels[{level.id}].when",
                    level.when,
                    fields,
                )

    criteria: Sequence[Criterion] | None = parts.get("eligibility")
    if criteria is not None and fields is not None:
        for crit in criteria:
            issues += check_rule(f"eligibility[{crit.id}].rule", crit.rule, fields)

    if regimens is not None and regimen_ids is not None:
        issues += _check_regimens(regimens, {r.id: r for r in regimens}, regimen_ids, arm_ids)

    hipec: Sequence[Hipec] | None = parts.get("hipec")
    procedure: IndexProcedure | None = parts.get("index_procedure")
    variant = procedure.variant_field if procedure is not None else ""
    if variant and fields is not None:
        if variant not in fields:
            issues.append(_unknown("index_procedure.variant_field", variant, fields))
        elif hipec is not None:
            levels = set(fields[variant].levels or ())
            for h in hipec:
                if h.id not in levels:
                    issues.append(
                        ProtocolIssue(
                            f"hipec[{h.id}]",
                            f"HIPEC id is not a level of field '{variant}' "
                            f"({', '.join(sorted(levels))})",
                        )
                    )

    windows: Sequence[Window] | None = parts.get("windows")
    if windows is not None and arm_ids is not None:
        for w in windows:
            if w.arm not in arm_ids:
                issues.append(_unknown(f"windows[{w.id}].arm", w.arm, arm_ids))

    populations = parts.get("analysis")
    population_ids = known.get("analysis.populations")
    if populations is not None:
        issues += _duplicates("analysis.populations", (p.id for p in populations.populations))
    if endpoints is not None and population_ids is not None:
        for e in endpoints:
            if e.population not in population_ids:
                issues.append(
                    _unknown(f"endpoints[{e.id}].population", e.population, population_ids)
                )

    rules: Sequence[StoppingRule] | None = parts.get("stopping_rules")
    if rules is not None:
        issues += _duplicates("stopping_rules", (r.id for r in rules))
        for r in rules:
            if (
                r.endpoint is not None
                and endpoint_ids is not None
                and r.endpoint not in endpoint_ids
            ):
                issues.append(
                    _unknown(f"stopping_rules[{r.id}].endpoint", r.endpoint, endpoint_ids)
                )
            for attr in ("arm", "comparator_arm"):
                value = getattr(r, attr)
                if value is not None and arm_ids is not None and value not in arm_ids:
                    issues.append(_unknown(f"stopping_rules[{r.id}].{attr}", value, arm_ids))

    sample_size: SampleSize | None = parts.get("sample_size")
    if sample_size is not None and endpoint_ids is not None:
        if sample_size.endpoint not in endpoint_ids:
            issues.append(_unknown("sample_size.endpoint", sample_size.endpoint, endpoint_ids))
        if sample_size.control_rate == sample_size.experimental_rate:
            issues.append(
                ProtocolIssue(
                    "sample_size.experimental_rate",
                    "equals control_rate; a superiority design needs a difference to detect",
                )
            )
    return issues


def _unknown(key: str, value: str, known: Iterable[str]) -> ProtocolIssue:
    return ProtocolIssue(
        key, f"'{value}' is not defined; defined: {', '.join(sorted(known)) or 'none'}"
    )


def _check_randomization(rand: Randomization, arms: Sequence[Arm] | None) -> list[ProtocolIssue]:
    issues = []
    if rand.method is RandomizationMethod.MINIMIZATION and not (
        rand.factors or rand.centre_as_factor
    ):
        issues.append(
            ProtocolIssue(
                "randomization.factors",
                "minimisation needs at least one factor (or centre_as_factor = true)",
            )
        )
    if rand.method is RandomizationMethod.PERMUTED_BLOCKS and not rand.block_sizes:
        issues.append(
            ProtocolIssue("randomization.block_sizes", "permuted blocks need block sizes")
        )
    if arms is not None:
        total = sum(a.ratio for a in arms)
        bad = [b for b in rand.block_sizes if b <= 0 or b % total]
        if bad:
            issues.append(
                ProtocolIssue(
                    "randomization.block_sizes",
                    f"sizes {bad} are not positive multiples of the allocation ratio sum {total}",
                )
            )
    return issues


def _check_regimens(
    regimens: Sequence[Regimen],
    by_id: Mapping[str, Regimen],
    declared: set[str],
    arm_ids: set[str] | None,
) -> list[ProtocolIssue]:
    issues = []
    for reg in regimens:
        key = f"regimens[{reg.id}]"
        if arm_ids is not None and reg.arm not in arm_ids:
            issues.append(_unknown(f"{key}.arm", reg.arm, arm_ids))
        for target in reg.switch_to:
            other = by_id.get(target)
            if target not in declared:
                issues.append(_unknown(f"{key}.switch_to", target, declared))
            elif other is not None and other.phase is not reg.phase:
                issues.append(
                    ProtocolIssue(
                        f"{key}.switch_to",
                        f"'{target}' is {other.phase.value}; a switch stays in the "
                        f"{reg.phase.value} phase",
                    )
                )
        for target in reg.adjuvant_options:
            other = by_id.get(target)
            if target not in declared:
                issues.append(_unknown(f"{key}.adjuvant_options", target, declared))
            elif other is not None and other.phase is not Phase.ADJUVANT:
                issues.append(
                    ProtocolIssue(f"{key}.adjuvant_options", f"'{target}' is not adjuvant")
                )
        if reg.adjuvant_options and reg.phase is not Phase.NEOADJUVANT:
            issues.append(
                ProtocolIssue(
                    f"{key}.adjuvant_options", "only a neoadjuvant regimen has adjuvant options"
                )
            )
    return issues
