"""Web form inputs and reading what comes back: the widgets every page uses.

A field is described by a `FieldSpec` (the study's items give them, `recordfields.py`; the
screening log's columns and the protocol's eligibility checklist give theirs). Structured items
have their own widgets, chosen by the definition: the 13-region PCI grid, a list of lesions,
doses per drug and a list of grades. Everything entered is still checked by the services.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, Text

from cairo6.errors import FieldProblem, InvalidValueError
from cairo6.protocol import Protocol
from cairo6.protocol.eligibility import check_value
from cairo6.protocol.rules import CrfField, FieldType
from cairo6.scoring.pci import Region
from cairo6.service.validation import allowed_text
from cairo6.store.schema import Base, input_columns

LESION_ROWS = 5
PCI_LAYOUT = (
    (Region.RIGHT_UPPER, Region.EPIGASTRIUM, Region.LEFT_UPPER),
    (Region.RIGHT_FLANK, Region.CENTRAL, Region.LEFT_FLANK),
    (Region.RIGHT_LOWER, Region.PELVIS, Region.LEFT_LOWER),
    (Region.UPPER_JEJUNUM, Region.LOWER_JEJUNUM, Region.UPPER_ILEUM, Region.LOWER_ILEUM),
)
"""The regions as surgeons draw them: the abdomen's nine, then the small bowel's four."""
YES_NO = (("true", "yes"), ("false", "no"))


@dataclass(frozen=True)
class FieldSpec:
    """One input on a web form."""

    name: str
    label: str
    widget: str
    required: bool
    options: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "1"
    unit: str | None = None
    hint: str = ""
    maxlength: int | None = None


def words(value: str) -> str:
    """An identifier as words: `open_close` -> `open close`."""
    return value.replace("_", " ")


def column_fields(table: type[Base]) -> list[FieldSpec]:
    """The inputs of a trial table's entered columns (the screening log), in table order."""
    out: list[FieldSpec] = []
    for column in input_columns(table):
        info = column.info
        label = str(info["label"])
        required = not column.nullable and column.default is None
        kind = column.type
        if "allowed" in info:
            options = tuple((v, words(v)) for v in info["allowed"])
            out.append(FieldSpec(column.key, label, "select", required, options))
        elif isinstance(kind, Boolean):
            out.append(FieldSpec(column.key, label, "select", required, YES_NO))
        elif isinstance(kind, Date):
            out.append(FieldSpec(column.key, label, "date", required, hint="YYYY-MM-DD"))
        elif isinstance(kind, Integer):
            out.append(
                FieldSpec(
                    column.key,
                    label,
                    "number",
                    required,
                    minimum=info.get("min"),
                    maximum=info.get("max"),
                    unit=info.get("unit"),
                    hint=allowed_text(column),
                )
            )
        elif isinstance(kind, Text):
            out.append(FieldSpec(column.key, label, "textarea", required))
        else:
            length = kind.length if isinstance(kind, String) else None
            out.append(FieldSpec(column.key, label, "text", required, maxlength=length))
    return out


def _number(text: str) -> float:
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_pci(
    raw: Mapping[str, str], name: str
) -> tuple[dict[str, int] | None, list[FieldProblem]]:
    scores: dict[str, int] = {}
    missing: list[str] = []
    problems: list[FieldProblem] = []
    for region in Region:
        text = raw.get(f"pci_{region.id}", "").strip()
        if not text:
            missing.append(region.label)
            continue
        try:
            scores[region.id] = int(text)
        except ValueError:
            problems.append(FieldProblem(name, text, f"{region.label}: not a score from 0 to 3"))
    if not scores and not problems:
        return None, []  # nothing entered: the service says it is required
    if missing:
        problems.append(
            FieldProblem(
                name,
                None,
                "score every region, 0 when it is free of tumour; missing: " + ", ".join(missing),
            )
        )
    return scores, problems


def _parse_lesions(raw: Mapping[str, str], name: str) -> tuple[list[Any], list[FieldProblem]]:
    lesions: list[Any] = []
    problems: list[FieldProblem] = []
    for i in range(1, LESION_ROWS + 1):
        organ = raw.get(f"lesion{i}_organ", "").strip()
        size = raw.get(f"lesion{i}_diameter", "").strip()
        if not organ and not size:
            continue
        try:
            diameter: float | None = _number(size) if size else None
        except ValueError:
            problems.append(FieldProblem(name, size, f"lesion {i}: diameter is not a number (mm)"))
            continue
        lesions.append(
            {
                "id": raw.get(f"lesion{i}_id", "").strip() or str(i),
                "organ": organ,
                "lymph_node": raw.get(f"lesion{i}_node", "") == "true",
                "diameter_mm": diameter,
            }
        )
    return lesions, problems


def _parse_doses(text: str, name: str) -> tuple[dict[str, float], list[FieldProblem]]:
    doses: dict[str, float] = {}
    problems: list[FieldProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        drug, sep, amount = line.replace(":", "=").partition("=")
        try:
            if not sep or not drug.strip():
                raise ValueError(line)
            dose = _number(amount.strip())
            if dose < 0:
                raise ValueError(line)
        except ValueError:
            problems.append(
                FieldProblem(name, line, f"line {number}: write 'drug = dose in mg', e.g. 'x = 5'")
            )
            continue
        doses[drug.strip()] = dose
    return doses, problems


def _parse_prgs(text: str, name: str) -> tuple[list[int], list[FieldProblem]]:
    grades: list[int] = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part.strip():
            continue
        try:
            grades.append(int(part))
        except ValueError:
            return [], [FieldProblem(name, text, "PRGS grades 1-4 separated by commas, e.g. 2, 3")]
    return grades, []


def parse_form(
    fields: list[FieldSpec], raw: Mapping[str, str]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Entered text to the values the services take, and problems only the page can see."""
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for spec in fields:
        if spec.widget == "pci":
            scores, found = _parse_pci(raw, spec.name)
            if scores is not None and not found:
                data[spec.name] = scores
            problems += found
        elif spec.widget == "lesions":
            data[spec.name], found = _parse_lesions(raw, spec.name)
            problems += found
        elif spec.widget == "doses":
            data[spec.name], found = _parse_doses(raw.get(spec.name, ""), spec.name)
            problems += found
        elif spec.widget == "prgs":
            data[spec.name], found = _parse_prgs(raw.get(spec.name, ""), spec.name)
            problems += found
        else:
            data[spec.name] = raw.get(spec.name, "")
    return data, problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def raw_values(fields: list[FieldSpec], values: Mapping[str, Any]) -> dict[str, str]:
    """Saved values as the text the form's inputs show."""
    raw: dict[str, str] = {}
    for spec in fields:
        value = values.get(spec.name)
        if spec.widget == "pci" and isinstance(value, dict):
            for key, score in value.items():
                try:
                    raw[f"pci_{Region.parse(key).id}"] = _text(score)
                except InvalidValueError:
                    continue
        elif spec.widget == "lesions" and isinstance(value, list):
            for i, lesion in enumerate(value[:LESION_ROWS], start=1):
                if isinstance(lesion, dict):
                    raw[f"lesion{i}_id"] = _text(lesion.get("id"))
                    raw[f"lesion{i}_organ"] = _text(lesion.get("organ"))
                    raw[f"lesion{i}_node"] = "true" if lesion.get("lymph_node") else ""
                    raw[f"lesion{i}_diameter"] = _text(lesion.get("diameter_mm"))
        elif spec.widget == "doses" and isinstance(value, dict):
            raw[spec.name] = "\n".join(f"{k} = {_text(v)}" for k, v in value.items())
        elif spec.widget == "prgs" and isinstance(value, list):
            raw[spec.name] = ", ".join(_text(v) for v in value)
        else:
            raw[spec.name] = _text(value)
    return raw


def field_of(problem_field: str) -> str:
    """The input a problem belongs to: `form.item` -> `item`, `item[0]` -> `item`."""
    name = problem_field.rsplit(".", 1)[-1]
    return name.split("[", 1)[0]


# --- the eligibility checklist (fields from the protocol) -------------------------------------


def checklist_groups(protocol: Protocol) -> list[tuple[str, list[CrfField]]]:
    """The protocol's case-report fields grouped by the form they belong to (a field retired
    by an amendment is no longer asked)."""
    groups: dict[str, list[CrfField]] = {}
    for spec in protocol.fields:
        if not spec.retired:
            groups.setdefault(spec.form, []).append(spec)
    return list(groups.items())


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _typed(spec: CrfField, value: Any) -> Any:
    if not isinstance(value, str):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(value)
        if spec.type is FieldType.INTEGER and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    text = value.strip()
    if spec.type is FieldType.BOOLEAN:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(text)
    if spec.type is FieldType.INTEGER:
        return int(text)
    if spec.type is FieldType.NUMBER:
        return _number(text)
    if spec.type is FieldType.DATE:
        return dt.date.fromisoformat(text)
    return text


def parse_checklist(
    protocol: Protocol, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Checklist entries typed by the protocol's field definitions; blanks stay unknown."""
    known = {f.id: f for f in protocol.fields}
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, value in raw.items():
        spec = known.get(name)
        if spec is None:
            problems.append(FieldProblem(name, value, "not a field of the eligibility checklist"))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            data[name] = check_value(spec, _typed(spec, value))
        except (ValueError, TypeError, InvalidValueError):
            problems.append(FieldProblem(name, value, f"not {spec.allowed_text()}"))
    return data, problems


def checklist_text(protocol: Protocol, data: Mapping[str, Any]) -> dict[str, str]:
    """Saved checklist values as the text the inputs show."""
    known = {f.id for f in protocol.fields}
    return {k: _text(v) for k, v in data.items() if k in known}
