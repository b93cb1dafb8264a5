"""CDISC ODM 1.3 study metadata (as OpenClinica, Castor and most EDCs export it) read as forms.

FormDef -> form, ItemGroupDef -> item group, ItemDef -> item (DataType, Question, Description,
MeasurementUnitRef, SDSVarName), CodeList (CodeListItem with Decode, EnumeratedItem) -> code
list, Mandatory on ItemRef -> required, hard RangeChecks on numbers -> min/max and the other
RangeChecks -> edit checks, CollectionExceptionConditionOID -> `visible_when` (the negation of
the exception) when its FormalExpression is a simple comparison or a rule written by cairo6.
Vendor extensions, methods, events and the rest are listed as not mapped.

The XML is parsed with the standard library. It resolves no external entities and fetches no
DTD; expat (2.4.1 and later) caps entity expansion, and a document that declares a DOCTYPE is
refused the moment the parser meets it, before any entity is defined, since ODM files have
none. That closes the entity-expansion attacks `defusedxml` guards against (its 0.7.1 is not in
the environment) without adding a dependency.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study.imported import Ids, ImportResult, Unmapped, code_value, plain_text, snake_id
from cairo6.study.logic import LogicError, Resolve, Target, negate, parse_logic
from cairo6.study.models import (
    Code,
    CodeList,
    DataType,
    EditCheck,
    Form,
    Item,
    ItemGroup,
    Severity,
)

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RULE_CONTEXT = "cairo6:rule"
"""The FormalExpression context of a rule written by cairo6 (the rule as JSON)."""

_TYPES = {
    "text": DataType.TEXT,
    "string": DataType.TEXT,
    "integer": DataType.INTEGER,
    "float": DataType.DECIMAL,
    "double": DataType.DECIMAL,
    "date": DataType.DATE,
    "datetime": DataType.DATETIME,
    "boolean": DataType.BOOLEAN,
}
_COMPARATORS = {
    "LT": "lt",
    "LE": "le",
    "GT": "gt",
    "GE": "ge",
    "EQ": "eq",
    "NE": "ne",
    "IN": "in",
    "NOTIN": "not_in",
}
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_KNOWN_ITEM_ATTRS = {"OID", "Name", "DataType", "SDSVarName"}
_GROUP_REF_ATTRS = {"ItemGroupOID", "OrderNumber", "Mandatory", "CollectionExceptionConditionOID"}
_KNOWN_REF_ATTRS = {
    "ItemOID",
    "OrderNumber",
    "Mandatory",
    "MethodOID",
    "CollectionExceptionConditionOID",
}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


@dataclass
class _Ctx:
    ns: str
    unmapped: list[Unmapped] = field(default_factory=list)

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}" if self.ns else tag

    def all(self, parent: ET.Element, tag: str) -> list[ET.Element]:
        return parent.findall(self.q(tag))

    def text(self, parent: ET.Element, tag: str) -> str:
        """The TranslatedText of a child (English when there is a choice)."""
        node = parent.find(self.q(tag))
        if node is None:
            return ""
        texts = self.all(node, "TranslatedText")
        chosen = next((t for t in texts if t.get(XML_LANG, "en").startswith("en")), None)
        chosen = chosen if chosen is not None else (texts[0] if texts else None)
        return plain_text(chosen.text or "") if chosen is not None else ""

    def skip(self, where: str, what: str, detail: str, why: str) -> None:
        self.unmapped.append(Unmapped(where, what, detail, why))


def _id_from_oid(oid: str, prefix: str, fallback: str) -> str:
    stripped = re.sub(rf"^{prefix}[._]", "", oid, flags=re.IGNORECASE)
    return snake_id(stripped.rpartition(".")[2], fallback)


def _name_or_oid(node: ET.Element, prefix: str, fallback: str) -> str:
    name = node.get("Name", "")
    if _IDENT.match(name):
        return snake_id(name, fallback)
    return _id_from_oid(node.get("OID", ""), prefix, fallback)


class _NoDoctype(ET.TreeBuilder):
    """Builds the tree, refusing a document type declaration as soon as the parser meets it."""

    def doctype(self, name: str, _pubid: str | None, _system: str | None) -> None:
        raise InvalidValueError(
            "ODM file",
            f"<!DOCTYPE {name} ...>",
            "an ODM 1.3 document without a document type declaration",
            "export the metadata again from the EDC; ODM files carry no DTD",
        )


def _parse(document: str | bytes) -> ET.Element:
    # Bytes keep the encoding the XML declaration names (UTF-16, ISO-8859-1 ...).
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(document)
        root = parser.close()
    except ET.ParseError as exc:
        raise InvalidValueError(
            "ODM file", str(exc), "well-formed XML", "check the file is a complete export"
        ) from exc
    if _local(root.tag) != "ODM":
        raise InvalidValueError(
            "ODM file", _local(root.tag), "an <ODM> root element", "export CDISC ODM 1.3 XML"
        )
    return root


@dataclass
class _Ref:
    """An imported item and what rules about it need."""

    form: str
    item: Item
    codes: dict[str, str]


class _Reader:
    def __init__(self, ctx: _Ctx, mdv: ET.Element, units: dict[str, str]) -> None:
        self.ctx = ctx
        self.units = units
        self.groups = {g.get("OID", ""): g for g in ctx.all(mdv, "ItemGroupDef")}
        self.items = {i.get("OID", ""): i for i in ctx.all(mdv, "ItemDef")}
        self.conditions = {c.get("OID", ""): c for c in ctx.all(mdv, "ConditionDef")}
        self.methods = {m.get("OID", ""): m for m in ctx.all(mdv, "MethodDef")}
        self.codelist_defs = {c.get("OID", ""): c for c in ctx.all(mdv, "CodeList")}
        self.codelists: dict[str, tuple[CodeList, dict[str, str]]] = {}
        self.codelist_ids = Ids()
        self.checks: list[EditCheck] = []
        self.check_ids = Ids()
        self.refs: dict[str, list[_Ref]] = {}
        self.used_conditions: set[str] = set()

    def codelist(self, oid: str, where: str) -> tuple[CodeList, dict[str, str]] | None:
        if oid in self.codelists:
            return self.codelists[oid]
        node = self.codelist_defs.get(oid)
        if node is None:
            self.ctx.skip(where, "CodeListRef", oid, "no CodeList with this OID; kept as text")
            return None
        if node.find(self.ctx.q("ExternalCodeList")) is not None:
            external = node.find(self.ctx.q("ExternalCodeList"))
            assert external is not None
            detail = " ".join(f"{k}={v}" for k, v in external.attrib.items())
            self.ctx.skip(
                oid,
                "ExternalCodeList",
                detail,
                "an external dictionary (MedDRA, "
                "WHODrug) has no code list here; the item is kept as text",
            )
            return None
        pairs = []
        for entry in [*self.ctx.all(node, "CodeListItem"), *self.ctx.all(node, "EnumeratedItem")]:
            raw = entry.get("CodedValue", "")
            pairs.append((raw, self.ctx.text(entry, "Decode") or raw))
        codes = {raw: code_value(raw) for raw, _ in pairs}
        for raw, stored in codes.items():
            if raw != stored:
                self.ctx.skip(oid, "code changed", raw, f"stored as '{stored}'")
        try:
            codelist = CodeList(
                id=self.codelist_ids.new(_name_or_oid(node, "CL", "codes"), "codes"),
                label=self.ctx.text(node, "Description")
                or ("" if _IDENT.match(node.get("Name", "")) else node.get("Name", "")),
                codes=[Code(value=codes[raw], label=label) for raw, label in pairs],
            )
        except ValidationError as exc:
            self.ctx.skip(
                oid,
                "CodeList",
                node.get("Name", ""),
                f"not a valid code list: {exc.errors()[0]['msg']}; the item is kept as text",
            )
            return None
        self.codelists[oid] = (codelist, codes)
        return self.codelists[oid]

    def item(self, ref: ET.Element, form_id: str, ids: Ids) -> Item | None:
        oid = ref.get("ItemOID", "")
        node = self.items.get(oid)
        if node is None:
            self.ctx.skip(form_id, "ItemRef", oid, "no ItemDef with this OID")
            return None
        item_id = ids.new(_name_or_oid(node, "I", "item"), "item")
        where = f"{form_id}.{item_id}"
        data_type = node.get("DataType", "text")
        dtype = _TYPES.get(data_type)
        if dtype is None:
            self.ctx.skip(where, "data type", data_type, "kept as text")
            dtype = DataType.TEXT
        label = self.ctx.text(node, "Question") or self.ctx.text(node, "Description")
        description = self.ctx.text(node, "Description")
        attrs: dict[str, Any] = {
            "id": item_id,
            "label": label or node.get("Name") or item_id,
            "help": description if description != label else "",
            "required": ref.get("Mandatory") == "Yes",
            "sdtm": node.get("SDSVarName") or None,
        }
        codes: dict[str, str] = {}
        codelist_ref = node.find(self.ctx.q("CodeListRef"))
        if codelist_ref is not None:
            found = self.codelist(codelist_ref.get("CodeListOID", ""), where)
            if found is not None:
                dtype, attrs["codelist"], codes = DataType.CODED, found[0].id, found[1]
        unit_refs = self.ctx.all(node, "MeasurementUnitRef")
        if unit_refs:
            attrs["unit"] = self.units.get(unit_refs[0].get("MeasurementUnitOID", ""))
        if len(unit_refs) > 1:
            self.ctx.skip(where, "MeasurementUnitRef", "several units", "only the first is kept")
        self.leftovers(node, ref, where)
        try:
            item = Item(type=dtype, **attrs)
        except ValidationError as exc:
            self.ctx.skip(where, "ItemDef", oid, f"not a valid item: {exc.errors()[0]['msg']}")
            return None
        item = self.ranges(node, item, form_id, codes)
        self.refs.setdefault(oid, []).append(_Ref(form_id, item, codes))
        return item

    def leftovers(self, node: ET.Element, ref: ET.Element, where: str) -> None:
        extra = {k: v for k, v in node.attrib.items() if k not in _KNOWN_ITEM_ATTRS}
        extra |= {k: v for k, v in ref.attrib.items() if k not in _KNOWN_REF_ATTRS}
        extra = {k: v for k, v in extra.items() if not k.startswith("{")}
        if extra:
            self.ctx.skip(
                where,
                "ItemDef/ItemRef attributes",
                ", ".join(f"{k}={v}" for k, v in extra.items()),
                "no counterpart (lengths and digits follow from the type here)",
            )
        method = self.methods.get(ref.get("MethodOID", ""))
        if method is not None:
            expression = method.find(self.ctx.q("FormalExpression"))
            detail = (expression.text or "") if expression is not None else ""
            self.ctx.skip(
                where,
                "MethodDef",
                detail or self.ctx.text(method, "Description"),
                "a derivation is a scoring function here; the item is kept as "
                "entered data. Name a function of the scoring library by hand",
            )
        for tag in ("ExternalQuestion", "Alias"):
            for extra_node in self.ctx.all(node, tag):
                detail = " ".join(f"{k}={v}" for k, v in extra_node.attrib.items())
                self.ctx.skip(where, tag, detail, "no counterpart")

    def ranges(self, node: ET.Element, item: Item, form_id: str, codes: dict[str, str]) -> Item:
        update: dict[str, float] = {}
        for check in self.ctx.all(node, "RangeCheck"):
            where = f"{form_id}.{item.id}"
            comparator = check.get("Comparator", "")
            op = _COMPARATORS.get(comparator)
            raw = [v.text or "" for v in self.ctx.all(check, "CheckValue")]
            detail = f"{comparator} {', '.join(raw)} ({check.get('SoftHard', '')})"
            if op is None or not raw or check.find(self.ctx.q("FormalExpression")) is not None:
                self.ctx.skip(where, "RangeCheck", detail, "only comparisons with values map")
                continue
            try:
                values = [_typed(item.type, v, codes) for v in raw]
            except ValueError as exc:
                self.ctx.skip(where, "RangeCheck", detail, str(exc))
                continue
            hard = check.get("SoftHard") == "Hard"
            bound = _bound(item.type, op, values[0]) if hard and len(values) == 1 else None
            if bound is not None:
                update[bound[0]] = bound[1]
                continue
            value: Any = values if op in ("in", "not_in") else values[0]
            if op not in ("in", "not_in") and len(values) > 1:
                self.ctx.skip(where, "RangeCheck", detail, f"{comparator} takes one value")
                continue
            message = self.ctx.text(check, "ErrorMessage") or f"{item.label}: expected {detail}"
            try:
                rule = Condition(field=item.id, op=op, value=value)
            except ValidationError as exc:
                self.ctx.skip(where, "RangeCheck", detail, exc.errors()[0]["msg"])
                continue
            self.checks.append(
                EditCheck(
                    id=self.check_ids.new(f"{item.id}_{op}", "check"),
                    form=form_id,
                    item=item.id,
                    severity=Severity.HARD if hard else Severity.SOFT,
                    rule=rule,
                    message=message,
                )
            )
        if not update:
            return item
        try:
            return Item.model_validate({**item.model_dump(exclude_defaults=True), **update})
        except ValidationError as exc:
            self.ctx.skip(f"{form_id}.{item.id}", "RangeCheck", str(update), str(exc))
            return item

    def resolver(self, form_id: str) -> Resolve:
        def resolve(name: str, choice: str | None) -> Target:
            refs = self.refs.get(name) or [
                r for rs in self.refs.values() for r in rs if r.item.id == snake_id(name)
            ]
            if not refs or choice is not None:
                raise LogicError(f"'{name}' is not an item of the metadata")
            ref = next((r for r in refs if r.form == form_id), refs[0])
            item_name = ref.item.id if ref.form == form_id else f"{ref.form}.{ref.item.id}"
            return Target(item_name, ref.item.type, ref.codes)

        return resolve

    def shown_when(self, oid: str, form_id: str, item: Item) -> Condition | None:
        """When the item is asked: the negation of a collection exception, None if unmapped."""
        self.used_conditions.add(oid)
        where = f"{form_id}.{item.id}"
        node = self.conditions.get(oid)
        if node is None:
            self.ctx.skip(where, "CollectionExceptionConditionOID", oid, "no ConditionDef")
            return None
        expression = node.find(self.ctx.q("FormalExpression"))
        context = expression.get("Context", "") if expression is not None else ""
        text = (expression.text or "").strip() if expression is not None else ""
        try:
            if context == RULE_CONTEXT:
                exception = Condition.model_validate_json(text)
            elif text:
                exception = parse_logic(text, self.resolver(form_id), bare_names=True)
            else:
                raise LogicError("the ConditionDef has no FormalExpression")
        except (LogicError, ValidationError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            self.ctx.skip(
                where,
                "collection exception",
                f"{oid} ({context}): {text}",
                f"{reason}; asked whatever the condition says",
            )
            return None
        return negate(exception)

    def visible_when(self, oids: list[str], form_id: str, item: Item) -> Item:
        """The item asked only when none of its (and its group's) exceptions hold."""
        rules = [r for r in (self.shown_when(oid, form_id, item) for oid in oids) if r]
        if not rules:
            return item
        rule = rules[0] if len(rules) == 1 else Condition(all=rules)
        return item.model_copy(update={"visible_when": rule})

    def extra_attributes(self, node: ET.Element, known: set[str], where: str) -> None:
        """List attributes of an ODM element that have no counterpart."""
        extra = [f"{k}={v}" for k, v in node.attrib.items() if k not in known and k[0] != "{"]
        if extra:
            tag = _local(node.tag)
            self.ctx.skip(where, f"{tag} attributes", ", ".join(extra), "no counterpart")

    def form(self, node: ET.Element, form_ids: Ids) -> tuple[Form, dict[str, list[str]]] | None:
        form_id = form_ids.new(_id_from_oid(node.get("OID", ""), "F", "form"), "form")
        self.extra_attributes(node, {"OID", "Name", "Repeating"}, form_id)
        ids, group_ids = Ids(), Ids()
        groups: list[ItemGroup] = []
        exceptions: dict[str, list[str]] = {}
        repeating_groups = []
        for group_ref in _ordered(self.ctx.all(node, "ItemGroupRef")):
            group = self.groups.get(group_ref.get("ItemGroupOID", ""))
            if group is None:
                self.ctx.skip(
                    form_id,
                    "ItemGroupRef",
                    group_ref.get("ItemGroupOID", ""),
                    "no ItemGroupDef with this OID",
                )
                continue
            where = f"{form_id} {group.get('OID', '')}"
            self.extra_attributes(group, {"OID", "Name", "Repeating"}, where)
            self.extra_attributes(group_ref, _GROUP_REF_ATTRS, where)
            group_exception = group_ref.get("CollectionExceptionConditionOID")
            items = []
            for ref in _ordered(self.ctx.all(group, "ItemRef")):
                item = self.item(ref, form_id, ids)
                if item is None:
                    continue
                items.append(item)
                # A group's exception holds for each of its items, with the item's own.
                oids = [group_exception, ref.get("CollectionExceptionConditionOID")]
                exceptions[item.id] = [oid for oid in oids if oid]
            if not items:
                self.ctx.skip(form_id, "ItemGroupDef", group.get("OID", ""), "no item; left out")
                continue
            repeating_groups.append(group.get("Repeating") == "Yes")
            name = group.get("Name", "")
            group_id = group_ids.new(_id_from_oid(group.get("OID", ""), "IG", "group"), "group")
            label = self.ctx.text(group, "Description") or ("" if name == group_id else name)
            groups.append(ItemGroup(id=group_id, label=label, items=items))
        if not groups:
            self.ctx.skip(form_id, "FormDef", node.get("Name", ""), "no item; left out")
            return None
        repeating = node.get("Repeating") == "Yes"
        if not repeating and repeating_groups and all(repeating_groups):
            repeating = True
            self.ctx.skip(
                form_id,
                "repeating item group",
                "Repeating=Yes",
                "read as a repeating form (one record per repeat)",
            )
        elif any(repeating_groups):
            self.ctx.skip(
                form_id,
                "repeating item group",
                "Repeating=Yes",
                "a form here repeats as a whole; put the repeating group on a form of its own",
            )
        form = Form(
            id=form_id,
            label=node.get("Name") or form_id,
            description=self.ctx.text(node, "Description"),
            repeating=repeating,
            groups=groups,
        )
        return form, exceptions


def _ordered(nodes: list[ET.Element]) -> list[ET.Element]:
    return sorted(nodes, key=lambda n: int(n.get("OrderNumber") or 0))


def _typed(dtype: DataType, text: str, codes: dict[str, str]) -> Any:
    """A CheckValue as a value of the item's type; ValueError says why not."""
    text = text.strip()
    if dtype is DataType.INTEGER:
        return int(float(text)) if float(text).is_integer() else float(text)
    if dtype is DataType.DECIMAL:
        return float(text)
    if dtype is DataType.DATE:
        return dt.date.fromisoformat(text)
    if dtype is DataType.BOOLEAN:
        if text.lower() not in ("1", "0", "true", "false"):
            raise ValueError(f"'{text}' is not a boolean")
        return text.lower() in ("1", "true")
    if dtype is DataType.CODED:
        if text not in codes:
            raise ValueError(f"'{text}' is not a code of the item's code list")
        return codes[text]
    if dtype is DataType.DATETIME:
        raise ValueError("rules compare dates, not date-times")
    return text


def _bound(dtype: DataType, op: str, value: Any) -> tuple[str, float] | None:
    """The item min/max a hard comparison is, when it is one."""
    if dtype not in (DataType.INTEGER, DataType.DECIMAL) or isinstance(value, bool):
        return None
    step = 1 if dtype is DataType.INTEGER and isinstance(value, int) else None
    if op == "ge":
        return "min", float(value)
    if op == "le":
        return "max", float(value)
    if op == "gt" and step:
        return "min", float(value + step)
    if op == "lt" and step:
        return "max", float(value - step)
    return None


def _extensions(ctx: _Ctx, node: ET.Element, owner: str) -> Iterator[Unmapped]:
    """Elements and attributes of other namespaces (vendor extensions), once each."""
    here = node.get("OID", owner)
    for key, value in node.attrib.items():
        if key.startswith("{") and _namespace(key) not in (ctx.ns, "") and key != XML_LANG:
            why = f"an extension of {_namespace(key)}; not read"
            yield Unmapped(here, "vendor extension", f"{_local(key)}={value}", why)
    for child in node:
        if _namespace(child.tag) != ctx.ns:
            why = f"an extension of {_namespace(child.tag)}; not read"
            yield Unmapped(here, "vendor extension", _local(child.tag), why)
        else:
            yield from _extensions(ctx, child, here)


def read_odm_metadata(document: str | bytes, source: str = "ODM 1.3 metadata") -> ImportResult:
    """Forms, code lists and edit checks from an ODM 1.3 file's study metadata (text or bytes)."""
    root = _parse(document)
    ctx = _Ctx(_namespace(root.tag))
    studies = ctx.all(root, "Study")
    if not studies:
        raise InvalidValueError(
            "ODM file", "no <Study>", "study metadata", "export the metadata, not only data"
        )
    study = studies[0]
    for other in studies[1:]:
        ctx.skip(other.get("OID", ""), "Study", "another study", "import each study on its own")
    for tag in ("AdminData", "ReferenceData", "ClinicalData"):
        if ctx.all(root, tag):
            ctx.skip("ODM", tag, tag, "data is not definition; load it with `cairo6 import`")
    units = {}
    for basic in ctx.all(study, "BasicDefinitions"):
        for unit in ctx.all(basic, "MeasurementUnit"):
            units[unit.get("OID", "")] = ctx.text(unit, "Symbol") or unit.get("Name", "")
    versions = ctx.all(study, "MetaDataVersion")
    if not versions:
        raise InvalidValueError(
            "ODM file", "no <MetaDataVersion>", "study metadata", "export the study's metadata"
        )
    for other in versions[1:]:
        ctx.skip(
            other.get("OID", ""),
            "MetaDataVersion",
            other.get("Name", ""),
            "only the first metadata version is read",
        )
    mdv = versions[0]
    if not ctx.all(mdv, "FormDef"):
        raise InvalidValueError(
            "ODM file",
            "no <FormDef>",
            "case report form metadata (FormDef, ItemGroupDef, ItemDef)",
            "export the study's CRF metadata; Define-XML describes datasets, not forms",
        )
    reader = _Reader(ctx, mdv, units)
    form_ids = Ids()
    read = [reader.form(node, form_ids) for node in ctx.all(mdv, "FormDef")]
    forms: list[Form] = []
    for built in read:
        if built is None:
            continue
        form, exceptions = built
        by_id = {
            item.id: reader.visible_when(exceptions[item.id], form.id, item)
            for item in form.items()
            if exceptions.get(item.id)
        }
        forms.append(_with_items(form, by_id))
    for oid, node in reader.conditions.items():
        if oid not in reader.used_conditions:
            ctx.skip(oid, "ConditionDef", node.get("Name", ""), "not used by an item")
    for tag in ("StudyEventDef", "Presentation", "Include"):
        for node in ctx.all(mdv, tag):
            ctx.skip(
                node.get("OID", "") or tag,
                tag,
                node.get("Name", ""),
                "events and layout are written in schedule.toml by hand",
            )
    ctx.unmapped += _extensions(ctx, study, study.get("OID", "Study"))
    if not forms:
        raise InvalidValueError(
            "ODM file",
            "no form with an item",
            "at least one FormDef with items",
            "check the export",
        )
    globals_ = study.find(ctx.q("GlobalVariables"))
    names = {}
    if globals_ is not None:
        names = {_local(c.tag): (c.text or "").strip() for c in globals_}
    return ImportResult(
        source=source,
        forms=tuple(forms),
        codelists=tuple(c for c, _ in reader.codelists.values()),
        checks=tuple(reader.checks),
        unmapped=tuple(ctx.unmapped),
        study_id=names.get("ProtocolName") or study.get("OID"),
        title=names.get("StudyName") or names.get("StudyDescription"),
    )


def _with_items(form: Form, by_id: dict[str, Item]) -> Form:
    if not by_id:
        return form
    groups = [
        g.model_copy(update={"items": [by_id.get(i.id, i) for i in g.items]}) for g in form.groups
    ]
    return form.model_copy(update={"groups": groups})
