"""Checks that relate one part of a study definition to another.

Run on the parts that validated on their own, so one run reports every broken reference: an
unknown item in a rule, a code list that is not declared, a cycle in the forms' dependencies,
an endpoint on a missing item, a flow stage under a missing parent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairo6.errors import StudyIssue
from cairo6.protocol.rules import Condition, CrfField, FieldType, value_fits
from cairo6.scoring.registry import FUNCTIONS, VALIDATORS
from cairo6.study.models import DataType, Form, Item

if TYPE_CHECKING:
    from cairo6.study.study import Study

_ORDERED = {"lt", "le", "gt", "ge", "between"}
_RULE_TYPE: dict[DataType, FieldType] = {
    DataType.TEXT: FieldType.TEXT,
    DataType.INTEGER: FieldType.INTEGER,
    DataType.DECIMAL: FieldType.NUMBER,
    DataType.DATE: FieldType.DATE,
    DataType.DATETIME: FieldType.TEXT,
    DataType.BOOLEAN: FieldType.BOOLEAN,
    DataType.CODED: FieldType.CATEGORY,
}


def _dupes(file: str, section: str, ids: Iterable[str]) -> list[StudyIssue]:
    return [
        StudyIssue(file, f"{section}[{i}]", f"id '{i}' is used {n} times; ids must be unique")
        for i, n in Counter(ids).items()
        if n > 1
    ]


def _as_field(name: str, item: Item, codes: Mapping[str, tuple[str, ...]]) -> CrfField | None:
    """The rule language's view of an item, for checking the values a rule compares with."""
    rule_type = _RULE_TYPE[item.type]
    levels = codes.get(item.codelist or "") if rule_type is FieldType.CATEGORY else None
    if rule_type is FieldType.CATEGORY and not levels:
        return None  # the missing code list is reported on its own
    return CrfField(
        id="x", label=name, type=rule_type, levels=levels, min=item.min, max=item.max, form="x"
    )


class _Scope:
    """The names a rule may read: study items as `form.item`, facts, and a form's own items."""

    def __init__(self, study: Study, declared: Declared) -> None:
        from cairo6.study.study import FACTS, SYSTEM_ITEMS

        self.codes = {c.id: c.values() for c in study.codelists}
        self.forms = {f.id for f in study.forms} | {"screening", "eligibility"} | declared.forms
        self.declared = declared.items
        self.names: dict[str, CrfField | None] = {}
        for name, dtype in {**FACTS, **SYSTEM_ITEMS}.items():
            self.names[name] = CrfField(id="x", label=name, type=_RULE_TYPE[dtype], form="x")
        for form in study.forms:
            for item in form.items():
                self.names[f"{form.id}.{item.id}"] = _as_field(item.id, item, self.codes)

    def check(
        self, file: str, key: str, rule: Condition, local: Form | None = None
    ) -> list[StudyIssue]:
        """Every name in the rule resolves and every value fits the item it is compared with."""
        issues = []
        for form in sorted(rule.forms_named() - self.forms):
            issues.append(StudyIssue(file, key, f"form '{form}' is not declared"))
        for leaf in rule.comparisons():
            names = [n for n in (leaf.field, leaf.other) if n is not None]
            specs: list[CrfField | None] = []
            for name in names:
                local_name = local is not None and "." not in name and not name.startswith("@")
                full = f"{local.id}.{name}" if local is not None and local_name else name
                if full.startswith("@") and full not in self.names:
                    known = ", ".join(n for n in self.names if n.startswith("@"))
                    issues.append(
                        StudyIssue(file, key, f"fact '{name}' is unknown; known: {known}")
                    )
                    specs.append(None)
                elif full in self.declared and full not in self.names:
                    # Declared in a form that failed its own checks, reported there already.
                    specs.append(None)
                elif full not in self.names:
                    where = f"form '{local.id}'" if local is not None and local_name else None
                    issues.append(
                        StudyIssue(
                            file,
                            key,
                            f"item '{name}' is not declared"
                            + (f" in {where}" if where else " (write form.item)"),
                        )
                    )
                    specs.append(None)
                else:
                    specs.append(self.names[full])
            spec = specs[0] if specs else None
            if spec is None:
                continue
            if leaf.op in _ORDERED and spec.type in (FieldType.BOOLEAN, FieldType.CATEGORY):
                issues.append(
                    StudyIssue(
                        file, key, f"op '{leaf.op}' needs an ordered item; '{leaf.field}' is not"
                    )
                )
            if leaf.other is not None:
                other = specs[1] if len(specs) > 1 else None
                # Text (a fact such as @regimen_phase) may be compared with a coded item.
                kinds = {spec.type, other.type} if other is not None else set()
                mixed = len(kinds) > 1 and kinds != {FieldType.TEXT, FieldType.CATEGORY}
                if other is not None and mixed:
                    issues.append(
                        StudyIssue(
                            file,
                            key,
                            f"'{leaf.field}' ({spec.type.value}) is compared with "
                            f"'{leaf.other}' ({other.type.value}); compare items of one type",
                        )
                    )
                continue
            values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            for value in values:
                if not value_fits(spec, value):
                    issues.append(
                        StudyIssue(
                            file,
                            key,
                            f"value {value!r} does not fit '{leaf.field}' ({spec.allowed_text()})",
                        )
                    )
        return issues


@dataclass(frozen=True)
class Declared:
    """Forms and `form.item` names declared in the raw files, valid or not, so that a form
    with a typo is reported once, not again by every rule that reads it."""

    forms: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()


def declared_in(raw_forms: Mapping[str, Any] | None) -> Declared:
    """What a raw forms.toml declares."""
    forms: set[str] = set()
    items: set[str] = set()
    for form in (raw_forms or {}).get("forms") or []:
        if not isinstance(form, dict) or not isinstance(form.get("id"), str):
            continue
        forms.add(form["id"])
        for group in form.get("groups") or []:
            for item in (group.get("items") or []) if isinstance(group, dict) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    items.add(f"{form['id']}.{item['id']}")
    return Declared(frozenset(forms), frozenset(items))


def _form_cycles(forms: Iterable[Form]) -> list[list[str]]:
    """Each cycle in the `requires` graph, once."""
    graph = {f.id: list(f.requires) for f in forms}
    cycles: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in graph.get(node, []):
            if nxt in path:
                cycle = [*path[path.index(nxt) :], nxt]
                if frozenset(cycle) not in seen_cycles:
                    seen_cycles.add(frozenset(cycle))
                    cycles.append(cycle)
            elif nxt in graph:
                walk(nxt, [*path, nxt])

    for start in graph:
        walk(start, [start])
    return cycles


def _check_forms(study: Study, file: str, scope: _Scope) -> list[StudyIssue]:
    issues = _dupes(file, "codelists", (c.id for c in study.codelists))
    issues += _dupes(file, "forms", (f.id for f in study.forms))
    form_ids = {f.id for f in study.forms}
    for form in study.forms:
        at = f"forms[{form.id}]"
        issues += _dupes(file, f"{at}.items", (i.id for i in form.items()))
        items = {i.id: i for i in form.items()}
        if form.date_item is not None:
            date_item = items.get(form.date_item)
            if date_item is None or date_item.type not in (DataType.DATE, DataType.DATETIME):
                issues.append(
                    StudyIssue(
                        file,
                        f"{at}.date_item",
                        f"'{form.date_item}' is not a date item of the form",
                    )
                )
        for key_item in form.key_items:
            if key_item not in items:
                issues.append(StudyIssue(file, f"{at}.key_items", f"'{key_item}' is not an item"))
        if form.key_items and not form.repeating:
            issues.append(StudyIssue(file, f"{at}.key_items", "only a repeating form has keys"))
        for required in form.requires:
            if required not in form_ids and required not in ("screening", "eligibility"):
                issues.append(
                    StudyIssue(file, f"{at}.requires", f"form '{required}' is not declared")
                )
        if form.adverse_event is not None:
            named = [*form.adverse_event.roles().items()]
            named += [("criteria", c) for c in form.adverse_event.criteria]
            for role, item_id in named:
                if item_id not in items:
                    issues.append(
                        StudyIssue(
                            file,
                            f"{at}.adverse_event.{role}",
                            f"'{item_id}' is not an item of the form",
                        )
                    )
        for group in form.groups:
            for item in group.items:
                where = f"{at}.groups[{group.id}].items[{item.id}]"
                if item.codelist is not None and item.codelist not in scope.codes:
                    issues.append(
                        StudyIssue(
                            file,
                            f"{where}.codelist",
                            f"code list '{item.codelist}' is not declared under [[codelists]]",
                        )
                    )
                if item.visible_when is not None:
                    issues += scope.check(file, f"{where}.visible_when", item.visible_when, form)
                if item.derived is not None:
                    known = {f.name: f.parameters for f in FUNCTIONS.values()}
                    derived = item.derived
                    issues += _check_named(
                        file, f"{where}.derived", derived.function, known, derived.inputs, items
                    )
                if item.validate_with is not None:
                    known = {v.name: v.parameters for v in VALIDATORS.values()}
                    check = item.validate_with
                    issues += _check_named(
                        file, f"{where}.validate", check.function, known, check.inputs, items
                    )
    for cycle in _form_cycles(study.forms):
        issues.append(
            StudyIssue(
                file,
                f"forms[{cycle[0]}].requires",
                "the forms require each other in a cycle: " + " -> ".join(cycle),
            )
        )
    return issues


def _check_named(
    file: str,
    key: str,
    name: str,
    known: Mapping[str, tuple[str, ...]],
    inputs: Mapping[str, str],
    items: Mapping[str, Item],
) -> list[StudyIssue]:
    """A scoring-library function a definition names (`key` = `...derived` or
    `...validate`): it exists, takes the parameters given, and reads declared items or facts."""
    from cairo6.study.study import FACTS

    if name not in known:
        return [
            StudyIssue(
                file,
                f"{key}.function" if key.endswith("derived") else key,
                f"'{name}' is not a scoring-library "
                + ("function" if key.endswith("derived") else "validator")
                + "; known: "
                + ", ".join(sorted(known)),
            )
        ]
    issues = []
    for param, source in inputs.items():
        if param not in known[name]:
            issues.append(
                StudyIssue(
                    file,
                    f"{key}.inputs.{param}",
                    f"'{name}' takes {', '.join(known[name]) or 'no inputs'}",
                )
            )
        local = "." not in source and not source.startswith("@")
        if (local and source not in items) or (source.startswith("@") and source not in FACTS):
            issues.append(
                StudyIssue(file, f"{key}.inputs.{param}", f"item '{source}' is not declared")
            )
    return issues


def _check_date_source(
    study: Study, file: str, key: str, form_id: str, date_item: str, scope: _Scope
) -> list[StudyIssue]:
    form = next((f for f in study.forms if f.id == form_id), None)
    if form is None:
        known = form_id in scope.forms  # declared but broken: reported in forms.toml
        return [] if known else [StudyIssue(file, key, f"form '{form_id}' is not declared")]
    item = form.item(date_item)
    if item is None or item.type not in (DataType.DATE, DataType.DATETIME):
        return [StudyIssue(file, key, f"'{form_id}.{date_item}' is not a date item")]
    return []


def _check_analysis(study: Study, file: str, scope: _Scope) -> list[StudyIssue]:
    issues = _dupes(file, "populations", (p.id for p in study.populations))
    issues += _dupes(file, "endpoints", (e.id for e in study.endpoints))
    populations = {p.id for p in study.populations}
    for form_id in study.baseline_forms:
        if form_id not in scope.forms:
            issues.append(StudyIssue(file, "baseline_forms", f"form '{form_id}' is not declared"))
    for pop in study.populations:
        if pop.rule is not None:
            issues += scope.check(file, f"populations[{pop.id}].rule", pop.rule)
    for ep in study.endpoints:
        at = f"endpoints[{ep.id}]"
        if ep.population not in populations:
            issues.append(
                StudyIssue(
                    file,
                    f"{at}.population",
                    f"population '{ep.population}' is not declared; declared: "
                    + ", ".join(sorted(populations)),
                )
            )
        if ep.rule is not None:
            issues += scope.check(file, f"{at}.rule", ep.rule)
        if ep.item is not None and ep.item not in scope.names:
            issues.append(StudyIssue(file, f"{at}.item", f"item '{ep.item}' is not declared"))
        if ep.start is not None and ep.start not in scope.names:
            issues.append(
                StudyIssue(file, f"{at}.start", f"'{ep.start}' is not a date item or fact")
            )
        for kind, sources in (("events", ep.events), ("censor", ep.censor)):
            for n, source in enumerate(sources):
                key = f"{at}.{kind}[{n}]"
                issues += _check_date_source(
                    study, file, f"{key}.date", source.form, source.date, scope
                )
                if source.when is not None:
                    issues += scope.check(
                        file,
                        f"{key}.when",
                        source.when,
                        next((f for f in study.forms if f.id == source.form), None),
                    )
    return issues


def _check_rest(study: Study, scope: _Scope) -> list[StudyIssue]:
    manifest = study.manifest
    issues: list[StudyIssue] = []
    if manifest.checks:
        file = manifest.checks
        issues += _dupes(file, "checks", (c.id for c in study.checks))
        for check in study.checks:
            at = f"checks[{check.id}]"
            form = next((f for f in study.forms if f.id == check.form), None)
            if form is None:
                if check.form not in scope.forms:  # else reported where the form is declared
                    issues.append(
                        StudyIssue(file, f"{at}.form", f"form '{check.form}' is not declared")
                    )
                continue
            if form.item(check.item) is None:
                issues.append(
                    StudyIssue(
                        file, f"{at}.item", f"item '{check.item}' is not on form '{form.id}'"
                    )
                )
            issues += scope.check(file, f"{at}.rule", check.rule, form)
    if manifest.schedule:
        file = manifest.schedule
        events = {e.id for e in study.schedule}
        issues += _dupes(file, "events", (e.id for e in study.schedule))
        arms = {a.id for a in study.protocol.arms} if study.protocol else set()
        for event in study.schedule:
            at = f"events[{event.id}]"
            if event.form is not None and event.form not in scope.forms:
                issues.append(
                    StudyIssue(file, f"{at}.form", f"form '{event.form}' is not declared")
                )
            if event.anchor not in (None, "randomisation") and event.anchor not in events:
                issues.append(
                    StudyIssue(file, f"{at}.anchor", f"event '{event.anchor}' is unknown")
                )
            for arm in event.arms:
                if study.protocol is not None and arm not in arms:
                    issues.append(
                        StudyIssue(file, f"{at}.arms", f"arm '{arm}' is not in the protocol")
                    )
    if manifest.flow:
        file = manifest.flow
        stages = {s.id for s in study.flow}
        issues += _dupes(file, "stages", (s.id for s in study.flow))
        for stage in study.flow:
            at = f"stages[{stage.id}]"
            if stage.parent is not None and stage.parent not in stages:
                issues.append(
                    StudyIssue(file, f"{at}.parent", f"stage '{stage.parent}' is unknown")
                )
            if stage.rule is not None:
                issues += scope.check(file, f"{at}.rule", stage.rule)
    return issues


def _check_protocol_forms(study: Study, scope: _Scope) -> list[StudyIssue]:
    # The protocol names the forms and items the calendar and enrolment read (index procedure,
    # assessment, cycles, the deviation record).
    if study.protocol is None:
        return []
    file = study.manifest.protocol
    issues = []
    for key, form_id, item in study.protocol.form_references():
        form = next((f for f in study.forms if f.id == form_id), None)
        if form is None:
            if not item and form_id not in scope.forms:
                issues.append(StudyIssue(file, key, f"form '{form_id}' is not declared"))
        elif item and form.item(item) is None:
            issues.append(StudyIssue(file, key, f"item '{item}' is not on form '{form_id}'"))
    return issues


def cross_check(study: Study, declared: Declared | None = None) -> list[StudyIssue]:
    """Every cross-reference problem among the parts of a study that validated."""
    scope = _Scope(study, declared or Declared())
    issues = _check_forms(study, study.manifest.forms, scope)
    if study.manifest.analysis:
        issues += _check_analysis(study, study.manifest.analysis, scope)
    issues += _check_rest(study, scope)
    issues += _check_protocol_forms(study, scope)
    issues += _check_course(study, study.manifest.forms, scope)
    return issues


def _check_course(study: Study, file: str, scope: _Scope) -> list[StudyIssue]:
    """The `[course]` map names a repeating form, its items, and `form.item` dates."""
    course = study.course
    if course is None:
        return []
    form = next((f for f in study.forms if f.id == course.cycles), None)
    if form is None or not form.repeating:
        return [StudyIssue(file, "course.cycles", f"'{course.cycles}' is not a repeating form")]
    issues = [
        StudyIssue(file, f"course.{role}", f"item '{item}' is not declared in '{form.id}'")
        for role, item in course.cycle_items().items()
        if form.item(item) is None
    ]
    for role in ("operation", "operation_complete", "scan"):
        ref = getattr(course, role)
        if ref is not None and ref not in scope.names:
            issues.append(StudyIssue(file, f"course.{role}", f"'{ref}' is not a form.item"))
    return issues
