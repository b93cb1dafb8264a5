"""A REDCap data dictionary (the 18-column CSV) read as forms, code lists and edit checks.

Instruments become forms, section headers item groups, dropdown and radio fields coded items
with a code list, yes/no and true/false fields booleans, each checkbox choice a boolean item
named as REDCap exports it (`field___code`), validated text fields dates, date-times, integers
or decimals. Branching logic becomes `visible_when` where it maps (see `logic.py`). Whatever has
no place (descriptive text, files, sliders, signatures, most calculations, action tags, layout)
is listed as not mapped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study.imported import Ids, ImportResult, Unmapped, code_value, plain_text, snake_id
from cairo6.study.logic import LogicError, Resolve, Target, parse_logic
from cairo6.study.models import (
    Code,
    CodeList,
    DataType,
    Derivation,
    EditCheck,
    Form,
    Item,
    ItemGroup,
    Severity,
    Widget,
)

COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
"""The columns of a REDCap data dictionary, in order."""

_VALIDATION: dict[str, DataType] = {
    "date_ymd": DataType.DATE,
    "date_mdy": DataType.DATE,
    "date_dmy": DataType.DATE,
    "integer": DataType.INTEGER,
    "number": DataType.DECIMAL,
}
_UNMAPPED_TYPES = {
    "descriptive": "descriptive text is shown, not collected",
    "file": "file uploads are not items of a form",
    "slider": "a visual analogue slider has no widget; make it an integer item 0-100 by hand",
    "sql": "a database-query field depends on the REDCap server",
    "signature": "a drawn signature is a file upload, not an item of a form",
}
_DATEDIFF = re.compile(
    r"^datediff\(\[(\w+)\],\[(\w+)\],['\"]d['\"](?:,['\"]\w*['\"])?,(?:true|['\"]true['\"])\)$",
    re.IGNORECASE,
)
_MOSTELLER = re.compile(r"^sqrt\(\(?\[(\w+)\]\*\[(\w+)\]\)?/3600\)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    form: str
    section: str
    type: str
    label: str
    choices: str
    note: str
    validation: str
    vmin: str
    vmax: str
    identifier: str
    branching: str
    required: str
    alignment: str
    question_number: str
    matrix_group: str
    matrix_ranking: str
    annotation: str

    @property
    def where(self) -> str:
        return f"{self.form}.{self.name}"


@dataclass
class _Mapped:
    """A field's items (several for a checkbox) and what rules may read of it."""

    row: _Row
    items: list[Item] = field(default_factory=list)
    targets: dict[str | None, Target] = field(default_factory=dict)


def _rows(text: str) -> list[_Row]:
    try:
        table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        raise InvalidValueError(
            "data dictionary", str(exc), "a CSV file", "save the dictionary from REDCap again"
        ) from exc
    header = table[0] if table else None
    # By position, as REDCap reads it back: the API export names the same columns in snake case
    # (form_name, field_type), and some edited files lose the first heading.
    names = [h.strip().lower().replace("_", " ") for h in header or []]
    if len(names) < len(COLUMNS) or names[1] != "form name" or names[3] != "field type":
        raise InvalidValueError(
            "data dictionary header",
            ", ".join(header or [])[:80],
            "the 18 columns of a REDCap data dictionary: " + ", ".join(COLUMNS),
            "download the dictionary from REDCap (Project Setup > Data Dictionary) as CSV",
        )
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        padded = [c.strip() for c in cells] + [""] * (len(COLUMNS) - len(cells))
        rows.append(_Row(line, *padded[: len(COLUMNS)]))
    if not rows:
        raise InvalidValueError(
            "data dictionary", "no fields", "at least one field", "export a project with fields"
        )
    return rows


def _choices(row: _Row) -> list[tuple[str, str]]:
    """`1, Male | 2, Female` as (code, label) pairs."""
    out = []
    for part in row.choices.split("|"):
        code, sep, label = part.partition(",")
        if code.strip():
            out.append((code.strip(), plain_text(label) if sep else code.strip()))
    return out


class _Builder:
    """Reads the rows of one dictionary into forms, keeping what did not map."""

    def __init__(self, rows: list[_Row]) -> None:
        self.rows = rows
        self.unmapped: list[Unmapped] = []
        self.codelists: dict[tuple[tuple[str, str], ...], CodeList] = {}
        self.codelist_ids = Ids()
        self.fields: dict[str, _Mapped] = {}
        self.form_of: dict[str, str] = {}
        self.checks: list[EditCheck] = []
        self.current_form = ""

    def skip(self, row: _Row, what: str, detail: str, why: str) -> None:
        self.unmapped.append(Unmapped(row.where, what, detail, why))

    def codelist(self, row: _Row) -> tuple[str, dict[str, str]] | None:
        pairs = _choices(row)
        if not pairs:
            self.skip(row, "choices", row.choices, "no choices could be read ('1, Label | ...')")
            return None
        codes = {raw: code_value(raw) for raw, _ in pairs}
        for raw, stored in codes.items():
            if raw != stored:
                self.skip(
                    row,
                    "code changed",
                    raw,
                    f"stored as '{stored}' (codes start with a "
                    "letter or digit); data imports must use the new code",
                )
        key = tuple((codes[raw], label or raw) for raw, label in pairs)
        if len(set(codes.values())) != len(codes):
            self.skip(row, "choices", row.choices, "two choices share a code")
            return None
        if key not in self.codelists:
            self.codelists[key] = CodeList(
                id=self.codelist_ids.new(row.name, "codes"),
                codes=[Code(value=v, label=label) for v, label in key],
            )
        return self.codelists[key].id, codes

    def map_field(self, row: _Row, ids: Ids) -> _Mapped | None:
        kind = row.type.lower()
        label = plain_text(row.label) or row.name
        common: dict[str, Any] = {"label": label, "help": plain_text(row.note)}
        required = row.required.lower() == "y"
        mapped = _Mapped(row)
        if row is self.rows[0]:
            self.skip(
                row,
                "record id field",
                label,
                "participants are identified by the "
                "system's study number; keep the REDCap record id only in the data import",
            )
            return None
        if kind in _UNMAPPED_TYPES:
            what = "signature" if row.validation == "signature" else kind
            self.skip(row, f"field type '{what}'", label, _UNMAPPED_TYPES[what])
            return None
        if kind == "checkbox":
            choices = _choices(row)
            if not choices:
                self.skip(row, "choices", row.choices, "no choices could be read")
                return None
            for raw, choice in choices:
                # REDCap exports a choice as `field___code`; data files will use that name.
                suffix = re.sub(r"[^a-z0-9]", "_", raw.lower())
                item_id = ids.new(f"{row.name}___{suffix}", row.name)
                mapped.items.append(
                    Item(
                        id=item_id,
                        type=DataType.BOOLEAN,
                        **{**common, "label": f"{label}: {choice}"},
                    )
                )
                mapped.targets[raw] = Target(item_id, DataType.BOOLEAN)
            if required:
                self.skip(
                    row,
                    "required checkbox",
                    label,
                    "'at least one ticked' has no item "
                    "rule; add an edit check with `any` over the choice items",
                )
            return mapped
        item_id = ids.new(row.name, "item")
        if kind in ("dropdown", "radio"):
            listed = self.codelist(row)
            if listed is None:
                return None
            codelist_id, codes = listed
            widget = Widget.RADIO if kind == "radio" else Widget.DEFAULT
            item = Item(
                id=item_id,
                type=DataType.CODED,
                codelist=codelist_id,
                widget=widget,
                required=required,
                **common,
            )
            mapped.targets[None] = Target(item_id, DataType.CODED, codes)
        elif kind in ("yesno", "truefalse"):
            item = Item(id=item_id, type=DataType.BOOLEAN, required=required, **common)
        elif kind == "calc":
            derived = self.calculation(row)
            if derived is None:
                return None
            function, dtype = derived
            item = Item(id=item_id, type=dtype, derived=function, **common)
        elif kind in ("text", "notes"):
            dtype = self.text_type(row)
            widget = Widget.TEXTAREA if kind == "notes" else Widget.DEFAULT
            bounds = self.bounds(row, dtype, item_id)
            item = Item(
                id=item_id, type=dtype, widget=widget, required=required, **common, **bounds
            )
        else:
            self.skip(row, f"field type '{row.type}'", label, "not a REDCap field type")
            return None
        mapped.items.append(item)
        mapped.targets.setdefault(None, Target(item_id, item.type))
        return mapped

    def text_type(self, row: _Row) -> DataType:
        validation = row.validation.lower()
        if validation.startswith("datetime_"):
            return DataType.DATETIME
        if validation.startswith("number"):
            if validation != "number" and "comma" in validation:
                self.skip(row, "text validation", validation, "read as a decimal with a point")
            return DataType.DECIMAL
        if validation in _VALIDATION:
            return _VALIDATION[validation]
        if validation:
            self.skip(
                row,
                "text validation",
                validation,
                "kept as free text; the format "
                "check has no counterpart (add an edit check if it matters)",
            )
        return DataType.TEXT

    def bounds(self, row: _Row, dtype: DataType, item_id: str) -> dict[str, float]:
        """Numeric min/max for the item; date limits become edit checks."""
        out: dict[str, float] = {}
        hard = "@FORCE-MINMAX" in row.annotation.upper()
        for key, text, op in (("min", row.vmin, "ge"), ("max", row.vmax, "le")):
            if not text:
                continue
            if dtype in (DataType.INTEGER, DataType.DECIMAL):
                try:
                    out[key] = float(text)
                except ValueError:
                    self.skip(
                        row,
                        f"validation {key}",
                        text,
                        "not a number (a [field] or 'today' limit); add an edit check by hand",
                    )
                    continue
                if not hard:
                    self.skip(
                        row,
                        "range severity",
                        f"{key} {text}",
                        "REDCap warns and saves a "
                        "value out of range; here min/max refuse it. Move it to a soft "
                        "check in checks.toml if out-of-range values are real",
                    )
            elif dtype is DataType.DATE:
                self.date_check(row, item_id, key, text, op, hard)
            else:
                self.skip(row, f"validation {key}", text, f"no limits on {dtype.value} items")
        return out

    def date_check(self, row: _Row, item_id: str, key: str, text: str, op: str, hard: bool) -> None:
        rule: dict[str, Any] = {"field": item_id, "op": op}
        if text.lower() == "today":
            rule["other"] = "@today"
        else:
            try:
                rule["value"] = dt.date.fromisoformat(text)
            except ValueError:
                self.skip(row, f"validation {key}", text, "not a YYYY-MM-DD date or 'today'")
                return
        word = "on or after" if op == "ge" else "on or before"
        self.checks.append(
            EditCheck(
                id=snake_id(f"{row.name}_{key}", "check"),
                form=self.current_form,
                item=item_id,
                severity=Severity.HARD if hard else Severity.SOFT,
                rule=Condition.model_validate(rule),
                message=f"{plain_text(row.label) or row.name} is expected {word} {text}",
            )
        )

    def calculation(self, row: _Row) -> tuple[Derivation, DataType] | None:
        formula = "".join(row.choices.split())
        if m := _DATEDIFF.match(formula):
            inputs = {"start": m.group(1), "end": m.group(2)}
            return Derivation(function="days_between", inputs=inputs), DataType.INTEGER
        if m := _MOSTELLER.match(formula):
            height, weight = m.group(1), m.group(2)
            if "height" in weight.lower() or "weight" in height.lower():
                height, weight = weight, height
            inputs = {"height_cm": height, "weight_kg": weight}
            return Derivation(function="body_surface_area", inputs=inputs), DataType.DECIMAL
        self.skip(
            row,
            "calculation",
            row.choices,
            "only signed day differences "
            "(datediff(..., 'd', true)) and Mosteller BSA map onto a scoring function; "
            "compute it in the analysis or ask for a scoring function",
        )
        return None

    def resolver(self, form_id: str) -> Resolve:
        def resolve(name: str, choice: str | None) -> Target:
            mapped = self.fields.get(name)
            if mapped is None:
                raise LogicError(f"[{name}] is not a field that maps onto an item")
            target = mapped.targets.get(choice)
            if target is None:
                raise LogicError(
                    f"[{name}({choice})] is not a choice of a checkbox field"
                    if choice
                    else f"[{name}] is a checkbox; name a choice"
                )
            own = self.form_of[name] == form_id
            return (
                target
                if own
                else Target(f"{self.form_of[name]}.{target.name}", target.type, target.codes)
            )

        return resolve

    def layout_notes(self, row: _Row) -> None:
        for what, value, why in (
            (
                "identifier flag",
                row.identifier,
                "no per-item identifier flag; record it in the data protection plan",
            ),
            ("custom alignment", row.alignment, "layout is decided by the web form"),
            ("question number", row.question_number, "survey numbering is not kept"),
            ("matrix group", row.matrix_group, "matrix fields are asked one by one"),
            ("matrix ranking", row.matrix_ranking, "ranking has no rule"),
        ):
            if value:
                self.skip(row, what, value, why)
        tags = row.annotation.replace("@FORCE-MINMAX", "").strip()
        if tags:
            self.skip(
                row,
                "field annotation",
                row.annotation,
                "action tags and annotations are not applied (@HIDDEN, @DEFAULT, @CALCTEXT ...)",
            )

    def build(self) -> list[Form]:
        order: dict[str, list[_Row]] = {}
        for row in self.rows:
            order.setdefault(row.form, []).append(row)
        form_ids = Ids()
        built: dict[str, tuple[str, list[tuple[str, str, list[_Mapped]]]]] = {}
        for form_name, rows in order.items():
            form_id = form_ids.new(form_name, "form")
            self.current_form = form_id
            ids, group_ids = Ids(), Ids()
            groups: list[tuple[str, str, list[_Mapped]]] = [("main", "", [])]
            group_ids.taken.add("main")
            for row in rows:
                if row.section:
                    title = plain_text(row.section)
                    groups.append((group_ids.new(title, "section"), title, []))
                self.layout_notes(row)
                try:
                    mapped = self.map_field(row, ids)
                except ValidationError as exc:
                    error = exc.errors()[0]
                    self.skip(row, "field", row.label, f"not a valid item: {error['msg']}")
                    continue
                if mapped is None:
                    continue
                self.fields[row.name] = mapped
                self.form_of[row.name] = form_id
                groups[-1][2].append(mapped)
            built[form_name] = (form_id, groups)
        forms = [self.form(name, *built[name]) for name in order]
        return [form for form in forms if form is not None]

    def form(
        self, name: str, form_id: str, groups: list[tuple[str, str, list[_Mapped]]]
    ) -> Form | None:
        out = []
        resolve = self.resolver(form_id)
        for group_id, title, fields in groups:
            if not fields:
                if title:
                    self.unmapped.append(
                        Unmapped(
                            f"{name}",
                            "section header",
                            title,
                            "no field of the section maps; dropped",
                        )
                    )
                continue
            items = []
            for mapped in fields:
                rule = self.branching(mapped.row, resolve)
                for item in mapped.items:
                    update: dict[str, Any] = {"visible_when": rule} if rule else {}
                    if item.derived is not None:
                        update["derived"] = self.inputs(mapped.row, item.derived, form_id)
                    items.append(item.model_copy(update=update))
            out.append(ItemGroup(id=group_id, label=title, items=items))
        if not out:
            self.unmapped.append(
                Unmapped(name, "form", name, "no field of the instrument maps; left out")
            )
            return None
        return Form(id=form_id, label=name.replace("_", " ").capitalize(), groups=out)

    def inputs(self, row: _Row, derived: Derivation, form_id: str) -> Derivation | None:
        """The calculation's fields as items: `form.item` when on another form."""
        inputs = {}
        for param, name in derived.inputs.items():
            if name not in self.form_of:
                self.skip(row, "calculation", row.choices, f"[{name}] does not map onto an item")
                return None
            own = self.form_of[name] == form_id
            inputs[param] = name if own else f"{self.form_of[name]}.{name}"
        return derived.model_copy(update={"inputs": inputs})

    def branching(self, row: _Row, resolve: Resolve) -> Condition | None:
        if not row.branching:
            return None
        try:
            return parse_logic(row.branching, resolve, filled_tests=True)
        except LogicError as exc:
            self.skip(row, "branching logic", row.branching, f"{exc}; the item is always shown")
            return None


def read_dictionary(text: str, source: str = "REDCap data dictionary") -> ImportResult:
    """Forms, code lists and edit checks from the text of a REDCap data dictionary (CSV)."""
    builder = _Builder(_rows(text))
    forms = builder.build()
    if not forms:
        raise InvalidValueError(
            "data dictionary",
            f"{len(builder.rows)} fields",
            "at least one field that makes an item (text, notes, dropdown, radio, ...)",
            "check the Field Type column",
        )
    project = Unmapped(
        "(project)",
        "project settings",
        "repeating instruments, events and arms, instrument titles, surveys",
        "a data dictionary does not hold them: set `repeating = true` on forms that repeat, "
        "give forms their titles, and write schedule.toml and the protocol by hand",
    )
    return ImportResult(
        source=source,
        forms=tuple(forms),
        codelists=tuple(builder.codelists.values()),
        checks=tuple(builder.checks),
        unmapped=(project, *builder.unmapped),
    )
