"""Write imported forms (and the rest of a minimal study) as the TOML files of a study folder.

`study_texts` is pure: it renders every file of the folder and checks the whole with the study
loader, so what it returns always loads. A rule or check the loader refuses (a branching test
on an item of another type, say) is taken out and listed as not mapped, with the loader's
reason, rather than written broken. `write_study_folder` is the I/O at the edge.

A REDCap dictionary or ODM metadata carries forms, not a protocol (arms, randomisation,
eligibility). The study loader needs one, so a new folder gets a clearly marked two-arm
placeholder `protocol.toml`, every value of it listed under `[[assumptions]]`, which
`cairo6 protocol show` marks ASSUMED: the study checks and its forms can be tried at once, and
the placeholder is replaced before the trial starts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from cairo6.errors import InvalidValueError, StudyError, StudyIssue
from cairo6.study.imported import ImportResult, Unmapped, unmapped_markdown
from cairo6.study.loader import MANIFEST, study_from_texts
from cairo6.study.models import CodeList, EditCheck, Form, Item

FORMS = "forms.toml"
CHECKS = "checks.toml"
PROTOCOL = "protocol.toml"
REPORT = "UNMAPPED.md"
PLACEHOLDER = "PLACEHOLDER"
_REPLACEABLE = (FORMS, CHECKS, REPORT)
_RULE_KEY = re.compile(r"^forms\[(\w+)\]\.groups\[(\w+)\]\.items\[(\w+)\]\.(visible_when|derived)")
_CHECK_KEY = re.compile(r"^checks\[(\w+)\]")


def _plain(data: Any) -> Any:
    """Model dumps made TOML-friendly: whole-number floats as integers, no None."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, float) and data.is_integer():
        return int(data)
    return data


def _dump(model: Any) -> Any:
    return _plain(model.model_dump(mode="python", exclude_defaults=True, by_alias=True))


def forms_toml(forms: Iterable[Form], codelists: Iterable[CodeList], source: str) -> str:
    """The text of `forms.toml`."""
    data = {"codelists": [_dump(c) for c in codelists], "forms": [_dump(f) for f in forms]}
    head = f"# Case report forms imported from {source}.\n# Not mapped: see {REPORT}.\n\n"
    return head + tomli_w.dumps(data)


def checks_toml(checks: Iterable[EditCheck], source: str) -> str:
    """The text of `checks.toml`."""
    head = f"# Edit checks imported from {source} (range limits the forms cannot hold).\n\n"
    return head + tomli_w.dumps({"checks": [_dump(c) for c in checks]})


def manifest_toml(study_id: str, title: str, source: str) -> str:
    """A minimal `study.toml` naming every file the loader reads."""
    data = {
        "id": study_id,
        "title": title,
        "description": f"Imported from {source}. The protocol is a {PLACEHOLDER}.",
        "protocol": PROTOCOL,
        "forms": FORMS,
        "checks": CHECKS,
        "schedule": "schedule.toml",
        "analysis": "analysis.toml",
        "flow": "flow.toml",
    }
    return tomli_w.dumps(data)


def placeholder_protocol_toml(study_id: str, title: str) -> str:
    """A two-arm protocol that loads, every value of it marked as an assumption to replace."""
    note = f"{PLACEHOLDER} written by the importer; the source defines forms only. Replace it."
    data: dict[str, Any] = {
        "trial": {
            "id": study_id,
            "title": title,
            "acronym": study_id,
            "phase": "2",
            "design": f"{PLACEHOLDER}: two-arm 1:1 randomised",
            "centres_planned": 1,
        },
        "arms": [
            {"id": "control", "label": f"Control ({PLACEHOLDER})", "ratio": 1, "is_control": True},
            {"id": "experimental", "label": f"Experimental ({PLACEHOLDER})", "ratio": 1},
        ],
        "fields": [{"id": "consent", "label": "Informed consent given", "type": "boolean"}],
        "randomization": {"method": "permuted_blocks", "block_sizes": [2, 4], "factors": []},
        "eligibility": [
            {
                "id": "consent",
                "kind": "inclusion",
                "text": "Informed consent given",
                "rule": {"field": "consent", "op": "eq", "value": True},
            }
        ],
        "endpoints": [
            {
                "id": "primary",
                "label": f"Primary endpoint ({PLACEHOLDER})",
                "kind": "primary",
                "trial_phase": "2",
                "type": "binary",
                "population": "itt",
                "definition": PLACEHOLDER,
                "summary": "n_pct",
            }
        ],
        "analysis": {
            "alpha": 0.05,
            "populations": [{"id": "itt", "label": "Intention to treat", "definition": "All"}],
        },
        "accrual": {"target": 100},
        "assumptions": [
            {"key": key, "note": note}
            for key in ("trial", "arms", "randomization", "eligibility", "endpoints", "accrual")
        ],
    }
    head = (
        f"# {PLACEHOLDER} PROTOCOL: a REDCap dictionary or ODM metadata defines forms, not arms,\n"
        "# randomisation or eligibility. This two-arm stand-in only lets the study be checked;\n"
        "# write the real protocol here before the trial starts.\n\n"
    )
    return head + tomli_w.dumps(data)


_MINIMAL = {
    "schedule.toml": "events = []\n",
    "flow.toml": "stages = []\n",
    "analysis.toml": tomli_w.dumps(
        {
            "populations": [
                {
                    "id": "itt",
                    "label": "Intention to treat",
                    "definition": "Every randomised participant, analysed as allocated.",
                }
            ]
        }
    ),
}


def _without(
    result: ImportResult, issues: list[StudyIssue]
) -> tuple[ImportResult, list[StudyIssue]]:
    """The result minus the rules and checks the loader refused; the issues left over."""
    rules: dict[tuple[str, str], tuple[str, str]] = {}
    dropped_checks: dict[str, str] = {}
    rest = []
    for issue in issues:
        if issue.file == FORMS and (m := _RULE_KEY.match(issue.key)):
            rules.setdefault((m.group(1), m.group(3)), (m.group(4), issue.message))
        elif issue.file == CHECKS and (m := _CHECK_KEY.match(issue.key)):
            dropped_checks.setdefault(m.group(1), issue.message)
        else:
            rest.append(issue)
    unmapped = list(result.unmapped)

    def keep(form: Form, item: Item) -> Item:
        hit = rules.get((form.id, item.id))
        if hit is None:
            return item
        attr, message = hit
        detail = getattr(item, attr)
        detail = detail.describe() if attr == "visible_when" else str(detail)
        unmapped.append(Unmapped(f"{form.id}.{item.id}", attr, detail, message))
        return item.model_copy(update={attr: None})

    forms = tuple(
        form.model_copy(
            update={
                "groups": [
                    g.model_copy(update={"items": [keep(form, i) for i in g.items]})
                    for g in form.groups
                ]
            }
        )
        for form in result.forms
    )
    checks = []
    for check in result.checks:
        if check.id in dropped_checks:
            unmapped.append(
                Unmapped(
                    f"{check.form}.{check.item}",
                    "edit check",
                    check.rule.describe(),
                    dropped_checks[check.id],
                )
            )
        else:
            checks.append(check)
    fixed = dataclasses.replace(result, forms=forms, checks=tuple(checks), unmapped=tuple(unmapped))
    return fixed, rest


def study_texts(
    result: ImportResult, study_id: str, title: str, existing: Mapping[str, str] | None = None
) -> tuple[dict[str, str], ImportResult]:
    """Every file of the study folder, checked to load, and the result as finally written.

    `existing` holds the TOML files already in the folder: they are kept, except the forms
    and checks, which the import replaces.
    """
    kept = {k: v for k, v in (existing or {}).items() if k not in _REPLACEABLE}
    for _ in range(3):
        texts = {
            MANIFEST: manifest_toml(study_id, title, result.source),
            PROTOCOL: placeholder_protocol_toml(study_id, title),
            **_MINIMAL,
            **kept,
            FORMS: forms_toml(result.forms, result.codelists, result.source),
            CHECKS: checks_toml(result.checks, result.source),
        }
        try:
            study_from_texts(texts, title)
        except StudyError as exc:
            result, rest = _without(result, exc.issues)
            if rest:
                raise StudyError(exc.source, rest) from exc
            continue
        return texts, result
    raise StudyError(title, [StudyIssue(FORMS, "(file)", "the import does not settle")])


def write_study_folder(
    folder: Path, result: ImportResult, study_id: str, title: str, force: bool = False
) -> tuple[list[str], ImportResult]:
    """Write the study folder (forms, checks, the report, missing files); the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.toml"))}
    clash = [name for name in (FORMS, CHECKS) if name in existing]
    if clash and not force:
        raise InvalidValueError(
            "--out",
            str(folder),
            f"a folder without {' or '.join(clash)}",
            "choose another folder, or add --force to replace the forms and checks",
        )
    texts, result = study_texts(result, study_id, title, existing)
    written = []
    for name, text in texts.items():
        if name in existing and name not in _REPLACEABLE:
            continue
        (folder / name).write_text(text, encoding="utf-8")
        written.append(name)
    (folder / REPORT).write_text(unmapped_markdown(result), encoding="utf-8")
    return [*written, REPORT], result
