"""A study's forms written as CDISC ODM 1.3 study metadata, the file other EDCs import.

FormDef `F.<form>`, ItemGroupDef `IG.<form>.<group>`, ItemDef `I.<form>.<item>` (Name = the
item id), CodeList `CL.<codelist>`; min/max as hard RangeChecks, `visible_when` as the
ConditionDef of a CollectionExceptionConditionOID whose FormalExpression (context
`cairo6:rule`) is the negated rule as JSON, so `odm.read_odm_metadata` reads it back exactly.
A derived item names its scoring function in a MethodDef. The creation time is passed in.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cairo6 import __version__
from cairo6.study.logic import negate
from cairo6.study.models import CodeList, DataType, Form, Item
from cairo6.study.odm import ODM_NS, RULE_CONTEXT, XML_LANG
from cairo6.study.study import Study

ET.register_namespace("", ODM_NS)

_DATA_TYPES = {
    DataType.TEXT: "text",
    DataType.INTEGER: "integer",
    DataType.DECIMAL: "float",
    DataType.DATE: "date",
    DataType.DATETIME: "datetime",
    DataType.BOOLEAN: "boolean",
    DataType.CODED: "text",
}


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{ODM_NS}}}{tag}", attrs)


def _translated(parent: ET.Element, tag: str, text: str) -> None:
    element = _sub(parent, tag)
    _sub(element, "TranslatedText", **{XML_LANG: "en"}).text = text


def _number(value: float, dtype: DataType) -> str:
    return str(int(value)) if dtype is DataType.INTEGER else f"{value:g}"


def _item_def(mdv: ET.Element, form: Form, item: Item, unit_oids: dict[str, str]) -> None:
    attrs = {"OID": f"I.{form.id}.{item.id}", "Name": item.id, "DataType": _DATA_TYPES[item.type]}
    if item.sdtm:
        attrs["SDSVarName"] = item.sdtm
    node = _sub(mdv, "ItemDef", **attrs)
    if item.help:
        _translated(node, "Description", item.help)
    _translated(node, "Question", item.label)
    if item.unit:
        _sub(node, "MeasurementUnitRef", MeasurementUnitOID=unit_oids[item.unit])
    for comparator, bound in (("GE", item.min), ("LE", item.max)):
        if bound is not None:
            check = _sub(node, "RangeCheck", Comparator=comparator, SoftHard="Hard")
            _sub(check, "CheckValue").text = _number(bound, item.type)
    if item.codelist:
        _sub(node, "CodeListRef", CodeListOID=f"CL.{item.codelist}")


def _conditions_and_methods(mdv: ET.Element, forms: Iterable[Form]) -> None:
    for form in forms:
        for item in form.items():
            if item.visible_when is not None:
                node = _sub(mdv, "ConditionDef", OID=f"C.{form.id}.{item.id}", Name=item.id)
                _translated(node, "Description", f"Not asked unless {item.visible_when.describe()}")
                exception = negate(item.visible_when)
                expression = _sub(node, "FormalExpression", Context=RULE_CONTEXT)
                expression.text = exception.model_dump_json(by_alias=True, exclude_none=True)
            if item.derived is not None:
                node = _sub(
                    mdv,
                    "MethodDef",
                    OID=f"MT.{form.id}.{item.id}",
                    Name=item.id,
                    Type="Computation",
                )
                inputs = ", ".join(f"{k}={v}" for k, v in item.derived.inputs.items())
                _translated(node, "Description", f"{item.derived.function}({inputs})")


def forms_to_odm(
    study_id: str,
    title: str,
    forms: Iterable[Form],
    codelists: Iterable[CodeList],
    created: dt.datetime,
) -> str:
    """ODM 1.3.2 XML holding the study metadata of these forms."""
    return _text(_metadata_root(study_id, title, list(forms), codelists, created))


def _text(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


SubjectRecords = Mapping[str, Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]]]
"""Study number -> form id -> [(record key, items as stored)]."""


def study_to_odm(study: Study, subjects: SubjectRecords, created: dt.datetime) -> str:
    """A snapshot of a study: its metadata and every subject's records as ClinicalData."""
    forms = list(study.forms)
    root = _metadata_root(
        study.id, study.manifest.title, forms, study.codelists, created, file_type="Snapshot"
    )
    data = _sub(root, "ClinicalData", StudyOID=study.id, MetaDataVersionOID="MDV.1")
    for subject, by_form in subjects.items():
        subject_node = _sub(data, "SubjectData", SubjectKey=subject)
        event = _sub(subject_node, "StudyEventData", StudyEventOID="SE.STUDY")
        for form in forms:
            for key, values in by_form.get(form.id, ()):
                attrs = {"FormOID": f"F.{form.id}"}
                if form.repeating:
                    attrs["FormRepeatKey"] = key
                form_node = _sub(event, "FormData", **attrs)
                for group in form.groups:
                    group_node = _sub(
                        form_node, "ItemGroupData", ItemGroupOID=f"IG.{form.id}.{group.id}"
                    )
                    for item in group.items:
                        value = values.get(item.id)
                        if value is None:
                            continue
                        text = (
                            json.dumps(value, sort_keys=True)
                            if isinstance(value, dict | list)
                            else (
                                ("true" if value else "false")
                                if isinstance(value, bool)
                                else str(value)
                            )
                        )
                        _sub(group_node, "ItemData", ItemOID=f"I.{form.id}.{item.id}", Value=text)
    return _text(root)


def _metadata_root(
    study_id: str,
    title: str,
    forms: list[Form],
    codelists: Iterable[CodeList],
    created: dt.datetime,
    file_type: str = "Snapshot",
) -> ET.Element:
    root = ET.Element(
        f"{{{ODM_NS}}}ODM",
        {
            "FileOID": f"{study_id}.metadata",
            "FileType": file_type,
            "CreationDateTime": created.isoformat(),
            "ODMVersion": "1.3.2",
            "SourceSystem": "cairo6",
            "SourceSystemVersion": __version__,
        },
    )
    study = _sub(root, "Study", OID=study_id)
    global_vars = _sub(study, "GlobalVariables")
    _sub(global_vars, "StudyName").text = title
    _sub(global_vars, "StudyDescription").text = title
    _sub(global_vars, "ProtocolName").text = study_id
    units = sorted({i.unit for f in forms for i in f.items() if i.unit})
    unit_oids = {unit: f"MU.{n}" for n, unit in enumerate(units, start=1)}
    if units:
        basic = _sub(study, "BasicDefinitions")
        for unit, oid in unit_oids.items():
            measurement = _sub(basic, "MeasurementUnit", OID=oid, Name=unit)
            _translated(measurement, "Symbol", unit)
    mdv = _sub(study, "MetaDataVersion", OID="MDV.1", Name=f"{study_id} forms")
    protocol = _sub(mdv, "Protocol")
    _sub(protocol, "StudyEventRef", StudyEventOID="SE.STUDY", OrderNumber="1", Mandatory="Yes")
    event = _sub(mdv, "StudyEventDef", OID="SE.STUDY", Name="Study", Repeating="No", Type="Common")
    for order, form in enumerate(forms, start=1):
        _sub(event, "FormRef", FormOID=f"F.{form.id}", OrderNumber=str(order), Mandatory="No")
    for form in forms:
        repeating = "Yes" if form.repeating else "No"
        node = _sub(mdv, "FormDef", OID=f"F.{form.id}", Name=form.label, Repeating=repeating)
        if form.description:
            _translated(node, "Description", form.description)
        for order, group in enumerate(form.groups, start=1):
            _sub(
                node,
                "ItemGroupRef",
                ItemGroupOID=f"IG.{form.id}.{group.id}",
                OrderNumber=str(order),
                Mandatory="Yes",
            )
    for form in forms:
        for group in form.groups:
            node = _sub(
                mdv, "ItemGroupDef", OID=f"IG.{form.id}.{group.id}", Name=group.id, Repeating="No"
            )
            if group.label:
                _translated(node, "Description", group.label)
            for order, item in enumerate(group.items, start=1):
                attrs = {
                    "ItemOID": f"I.{form.id}.{item.id}",
                    "OrderNumber": str(order),
                    "Mandatory": "Yes" if item.required else "No",
                }
                if item.visible_when is not None:
                    attrs["CollectionExceptionConditionOID"] = f"C.{form.id}.{item.id}"
                if item.derived is not None:
                    attrs["MethodOID"] = f"MT.{form.id}.{item.id}"
                _sub(node, "ItemRef", **attrs)
    for form in forms:
        for item in form.items():
            _item_def(mdv, form, item, unit_oids)
    for codelist in codelists:
        node = _sub(mdv, "CodeList", OID=f"CL.{codelist.id}", Name=codelist.id, DataType="text")
        if codelist.label:
            _translated(node, "Description", codelist.label)
        for code in codelist.codes:
            entry = _sub(node, "CodeListItem", CodedValue=code.value)
            _translated(entry, "Decode", code.label)
    _conditions_and_methods(mdv, forms)
    return root
