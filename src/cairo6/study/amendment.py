"""A protocol amendment checked against the data already collected (pure: no database).

A new version of a study definition may add forms, items, codes and factors, change rules,
windows, endpoints and targets; it may not take away what holds data. A form, an item, a code
or a protocol field that holds data stays in the definition, marked `retired = true` (shown and
exported, no longer entered); an item keeps its type and a repeating form its key; an arm with
allocations stays; the randomisation keeps its method, and a factor kept keeps the levels
allocations are counted at (a factor may be dropped: the counts of the others carry on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cairo6.errors import StudyIssue
from cairo6.study.study import Study


@dataclass(frozen=True)
class DataInUse:
    """What the trial's data use of a definition: gathered by the service, judged here."""

    records: Mapping[str, int] = field(default_factory=dict)
    """form id -> number of records."""
    items: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """form id -> item id -> number of records with a value."""
    codes: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(form id, item id) -> the coded values stored."""
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """protocol field id -> the values stored in eligibility assessments (as text)."""
    arms: Mapping[str, int] = field(default_factory=dict)
    """arm id -> allocations."""
    factor_levels: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """factor id -> the levels allocations were made at."""


@dataclass(frozen=True)
class AmendmentReview:
    """What an amendment would change, and what it may not."""

    problems: tuple[StudyIssue, ...]
    changes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the amendment may be recorded."""
        return not self.problems


def review(old: Study, new: Study, data: DataInUse) -> AmendmentReview:
    """Check `new` against the data collected under the versions before it (`old` is the
    latest), and list what it changes in words."""
    problems: list[StudyIssue] = []
    changes: list[str] = []
    if new.id != old.id:
        problems.append(
            StudyIssue("study.toml", "id", f"is {new.id}; an amendment keeps the study id {old.id}")
        )
    _forms(old, new, data, problems, changes)
    _protocol(old, new, data, problems, changes)
    return AmendmentReview(tuple(problems), tuple(changes))


def _keep(what: str, count: int) -> str:
    return (
        f"removed, but {count} record(s) hold data; keep it and mark it `retired = true` "
        f"({what} retired are shown and exported, no longer entered)"
    )


def _forms(
    old: Study, new: Study, data: DataInUse, problems: list[StudyIssue], changes: list[str]
) -> None:
    forms_file = new.manifest.forms
    for form in old.forms:
        count = data.records.get(form.id, 0)
        if not new.has_form(form.id):
            if count:
                problems.append(StudyIssue(forms_file, f"forms[{form.id}]", _keep("forms", count)))
            else:
                changes.append(f"form {form.id} removed (it held no records)")
            continue
        amended = new.form(form.id)
        if amended.retired and not form.retired:
            changes.append(f"form {form.id} retired ({count} record(s) kept)")
        if count and form.repeating and amended.key_items != form.key_items:
            problems.append(
                StudyIssue(
                    forms_file,
                    f"forms[{form.id}].key_items",
                    f"changed from {form.key_items} to {amended.key_items}, but {count} "
                    "record(s) are keyed by the old items; keep the key",
                )
            )
        used = data.items.get(form.id, {})
        for item in form.items():
            where = f"forms[{form.id}].{item.id}"
            now = amended.item(item.id)
            held = used.get(item.id, 0)
            if now is None:
                if held:
                    problems.append(StudyIssue(forms_file, where, _keep("items", held)))
                else:
                    changes.append(f"item {form.id}.{item.id} removed (it held no data)")
                continue
            if now.retired and not item.retired:
                changes.append(f"item {form.id}.{item.id} retired ({held} value(s) kept)")
            if held and (now.type, now.repeated, now.widget) != (
                item.type,
                item.repeated,
                item.widget,
            ):
                problems.append(
                    StudyIssue(
                        forms_file,
                        where,
                        f"changes type from {item.type.value} to {now.type.value}, but {held} "
                        "record(s) hold values of the old type; keep the type and add a new "
                        "item instead",
                    )
                )
            stored = data.codes.get((form.id, item.id), frozenset())
            if now.codelist and stored:
                codelist = new.codelist(now.codelist)
                missing = sorted(stored - set(codelist.values()))
                if missing:
                    problems.append(
                        StudyIssue(
                            forms_file,
                            f"codelists[{codelist.id}]",
                            f"has no code {', '.join(missing)}, which {form.id}.{item.id} "
                            "holds; keep the code and mark it `retired = true`",
                        )
                    )
        for item in amended.items():
            if form.item(item.id) is None:
                changes.append(f"item {form.id}.{item.id} added")
    for form in new.forms:
        if not old.has_form(form.id):
            changes.append(f"form {form.id} added")
    for codelist in new.codelists:
        before = {c.value: c for cl in old.codelists if cl.id == codelist.id for c in cl.codes}
        for code in codelist.codes:
            if code.retired and code.value in before and not before[code.value].retired:
                changes.append(f"code {code.value} of {codelist.id} retired")


def _protocol(
    old: Study, new: Study, data: DataInUse, problems: list[StudyIssue], changes: list[str]
) -> None:
    was, now = old.trial_protocol, new.trial_protocol
    file = new.manifest.protocol
    fields = {f.id: f for f in now.fields}
    for spec in was.fields:
        stored = data.fields.get(spec.id, frozenset())
        amended = fields.get(spec.id)
        if amended is None:
            if stored:
                problems.append(
                    StudyIssue(
                        file,
                        f"fields[{spec.id}]",
                        "removed, but eligibility assessments hold values; keep it and mark "
                        "it `retired = true`",
                    )
                )
            continue
        if amended.retired and not spec.retired:
            changes.append(f"eligibility field {spec.id} retired")
        if stored and amended.type is not spec.type:
            problems.append(
                StudyIssue(
                    file,
                    f"fields[{spec.id}].type",
                    f"changes from {spec.type.value} to {amended.type.value}, but eligibility "
                    "assessments hold values; keep the type",
                )
            )
        elif stored and amended.levels is not None:
            gone = sorted(stored - set(amended.levels))
            if gone:
                problems.append(
                    StudyIssue(
                        file,
                        f"fields[{spec.id}].levels",
                        f"drops {', '.join(gone)}, which eligibility assessments hold; keep "
                        "the level (mark the field `retired = true` to stop asking it)",
                    )
                )
    arms = {a.id for a in now.arms}
    for arm, count in data.arms.items():
        if arm not in arms:
            problems.append(
                StudyIssue(
                    file, f"arms[{arm}]", f"removed, but {count} participant(s) are allocated to it"
                )
            )
    allocated = sum(data.arms.values())
    if allocated and now.randomization.method is not was.randomization.method:
        problems.append(
            StudyIssue(
                file,
                "randomization.method",
                f"changes from {was.randomization.method.value} to "
                f"{now.randomization.method.value} after {allocated} allocation(s); keep it",
            )
        )
    factors = {f.id: f for f in now.randomization.factors}
    for factor in was.randomization.factors:
        kept = factors.get(factor.id)
        if kept is None:
            changes.append(
                f"minimisation factor {factor.id} dropped (the counts of the other factors "
                "carry on)"
            )
            continue
        gone = sorted(
            data.factor_levels.get(factor.id, frozenset()) - {lv.id for lv in kept.levels}
        )
        if gone:
            problems.append(
                StudyIssue(
                    file,
                    f"randomization.factors[{factor.id}]",
                    f"drops level(s) {', '.join(gone)}, at which participants were allocated; "
                    "keep them, or drop the whole factor",
                )
            )
    for factor in now.randomization.factors:
        if factor.id in {f.id for f in was.randomization.factors}:
            continue
        if allocated:
            problems.append(
                StudyIssue(
                    file,
                    f"randomization.factors[{factor.id}]",
                    f"is new, but the {allocated} participant(s) allocated so far have no "
                    "level of it to count; a factor can be dropped, not added, mid-trial",
                )
            )
        else:
            changes.append(f"minimisation factor {factor.id} added")
    for setting in ("centre_as_factor", "stratify_blocks_by_centre"):
        before, after = getattr(was.randomization, setting), getattr(now.randomization, setting)
        if allocated and before != after:
            problems.append(
                StudyIssue(
                    file,
                    f"randomization.{setting}",
                    f"changes from {before} to {after} after {allocated} allocation(s); keep it",
                )
            )
    if now.accrual.target != was.accrual.target:
        changes.append(f"accrual target {was.accrual.target} -> {now.accrual.target}")
    if now.trial.phase != was.trial.phase:
        changes.append(f"trial phase {was.trial.phase} -> {now.trial.phase}")
    primary_was = sorted(e.id for e in old.endpoints if e.kind == "primary")
    primary_now = sorted(e.id for e in new.endpoints if e.kind == "primary")
    if primary_was != primary_now:
        changes.append(
            f"primary endpoint(s) {', '.join(primary_was) or 'none'} -> "
            f"{', '.join(primary_now) or 'none'}"
        )
