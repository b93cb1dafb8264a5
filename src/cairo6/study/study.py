"""The validated study: protocol, forms, checks, schedule, analysis and flow, and look-ups."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairo6.errors import InvalidValueError
from cairo6.protocol.models import Protocol
from cairo6.scoring.ctcae_terms import CTCAE_VERSION, ctcae_terms
from cairo6.study.models import (
    Code,
    CodeList,
    ComparisonPlan,
    CourseMap,
    DataType,
    EditCheck,
    EndpointDef,
    FlowStage,
    Form,
    Item,
    Manifest,
    PopulationDef,
    ScheduledEvent,
)

FACTS: dict[str, DataType] = {
    "@arm": DataType.TEXT,
    "@centre": DataType.TEXT,
    "@randomised": DataType.BOOLEAN,
    "@randomised_on": DataType.DATE,
    "@enrolled_on": DataType.DATE,
    "@today": DataType.DATE,
    "@regimen_arm": DataType.TEXT,
    "@regimen_phase": DataType.TEXT,
}
"""Facts about a participant that every rule may read, whatever the study."""

REGIMENS = "protocol_regimens"
"""The code list of the protocol's regimens (id, label), which every study with regimens has;
a record naming one gets the facts `@regimen_arm` and `@regimen_phase` for its checks."""


def regimen_codelist(protocol: Protocol) -> CodeList | None:
    """The protocol's regimens as a code list, or None when it has none."""
    if not protocol.regimens:
        return None
    return CodeList(
        id=REGIMENS,
        label="Regimens of the protocol",
        codes=[Code(value=r.id, label=r.label) for r in protocol.regimens],
        source="protocol",
    )


CTCAE_TERMS = "ctcae_v5"
"""The code list of the CTCAE v5.0 terms (MedDRA code, term) from the scoring library, which
any study may name without declaring it."""


def terminology_codelists(named: set[str]) -> tuple[CodeList, ...]:
    """The standard terminologies among the code lists a study's items name."""
    if CTCAE_TERMS not in named:
        return ()
    return (
        CodeList(
            id=CTCAE_TERMS,
            label=CTCAE_VERSION + " terms",
            codes=[Code(value=t.code, label=t.term) for t in ctcae_terms()],
            source=f"NCI {CTCAE_VERSION} (public domain); scoring/data/SOURCE.md",
        ),
    )


SYSTEM_ITEMS: dict[str, DataType] = {
    "screening.screened_on": DataType.DATE,
    "screening.approached": DataType.BOOLEAN,
    "screening.refused": DataType.BOOLEAN,
    "screening.refusal_reason": DataType.TEXT,
    "eligibility.eligible": DataType.BOOLEAN,
    "eligibility.assessed_on": DataType.DATE,
}
"""Items of the screening log and eligibility check, which every trial keeps."""


@dataclass(frozen=True)
class Study:
    """A whole study definition. `protocol` is None only while a broken one is being checked."""

    manifest: Manifest
    protocol: Protocol | None
    codelists: tuple[CodeList, ...]
    forms: tuple[Form, ...]
    checks: tuple[EditCheck, ...]
    schedule: tuple[ScheduledEvent, ...]
    populations: tuple[PopulationDef, ...]
    endpoints: tuple[EndpointDef, ...]
    comparisons: ComparisonPlan | None
    baseline_forms: tuple[str, ...]
    flow: tuple[FlowStage, ...]
    layout_text: str | None
    published_text: str | None
    folder: Path | None = None
    course: CourseMap | None = None
    """Where the treatment calendar reads what was given (None: no calendar)."""
    version: int = 1
    """Which version of the trial's definition this is (1 until a protocol amendment)."""

    def with_folder(self, folder: Path) -> Study:
        """The same study, remembering the folder it was read from (for its data)."""
        return dataclasses.replace(self, folder=folder)

    def as_version(self, number: int) -> Study:
        """The same study, as version `number` of a trial's definition."""
        return dataclasses.replace(self, version=number)

    @property
    def id(self) -> str:
        """The study id (`CAIRO6`, `INDO-RCT`)."""
        return self.manifest.id

    @property
    def trial_protocol(self) -> Protocol:
        """The protocol of a valid study."""
        assert self.protocol is not None, "a loaded study always has its protocol"
        return self.protocol

    def form(self, form_id: str) -> Form:
        """The form with this id."""
        for form in self.forms:
            if form.id == form_id:
                return form
        raise InvalidValueError(
            "form",
            form_id,
            "one of " + ", ".join(f.id for f in self.forms),
            "use a form id from `cairo6 study show`",
        )

    def has_form(self, form_id: str) -> bool:
        """Whether the study declares this form."""
        return any(f.id == form_id for f in self.forms)

    def codelist(self, codelist_id: str) -> CodeList:
        """The code list with this id."""
        for codelist in self.codelists:
            if codelist.id == codelist_id:
                return codelist
        raise InvalidValueError(
            "codelist", codelist_id, ", ".join(c.id for c in self.codelists), "declare it"
        )

    def item(self, ref: str) -> tuple[Form, Item]:
        """The form and item a `form.item` reference names."""
        form_id, _, item_id = ref.partition(".")
        form = self.form(form_id)
        item = form.item(item_id)
        if item is None:
            raise InvalidValueError(
                "item",
                ref,
                "one of " + ", ".join(f"{form.id}.{i.id}" for i in form.items()),
                "use an item of the form",
            )
        return form, item

    def label_of(self, item: Item, value: Any) -> str:
        """What people read for a stored value: code labels, yes/no, the value otherwise."""
        if value is None:
            return ""
        if item.type is DataType.CODED and item.codelist:
            return self.codelist(item.codelist).label_of(str(value))
        if item.type is DataType.BOOLEAN:
            return "Yes" if value else "No"
        return str(value)

    def shown(self, form: Form, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(label, what people read) for every item of a record with a value: code labels,
        yes/no, units; a computed item says so."""
        out = []
        for item in form.items():
            value = values.get(item.id)
            if value is None:
                continue
            if isinstance(value, dict):
                text = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items())
            elif isinstance(value, list):
                parts = [
                    ", ".join(f"{k.replace('_', ' ')} {w}" for k, w in v.items())
                    if isinstance(v, dict)
                    else self.label_of(item, v)
                    for v in value
                ]
                text = ("; " if any(isinstance(v, dict) for v in value) else ", ").join(parts)
            else:
                text = self.label_of(item, value)
            unit = f" {item.unit}" if item.unit and text and not isinstance(value, list) else ""
            label = item.label + (" (computed)" if item.derived is not None else "")
            out.append((label, text + unit))
        return out

    def key_label(self, form: Form, record_key: str) -> str:
        """A record key as people read it: the labels of its key items (`Neoadjuvant / 2`)."""
        if not form.key_items:
            return record_key
        parts = record_key.split("/")
        if len(parts) != len(form.key_items):
            return record_key
        return " / ".join(
            self.label_of(item, part) if (item := form.item(key)) is not None else part
            for key, part in zip(form.key_items, parts, strict=True)
        )

    def adverse_event_forms(self) -> list[Form]:
        """The forms that record adverse events (`[forms.adverse_event]`)."""
        return [f for f in self.forms if f.adverse_event is not None]

    def endpoint(self, endpoint_id: str) -> EndpointDef:
        """The endpoint with this id."""
        for endpoint in self.endpoints:
            if endpoint.id == endpoint_id:
                return endpoint
        raise InvalidValueError(
            "endpoint", endpoint_id, ", ".join(e.id for e in self.endpoints), "use a known id"
        )

    def population(self, population_id: str) -> PopulationDef:
        """The population with this id."""
        for population in self.populations:
            if population.id == population_id:
                return population
        raise InvalidValueError(
            "population", population_id, ", ".join(p.id for p in self.populations), "use one"
        )

    def checks_for(self, form_id: str) -> list[EditCheck]:
        """The edit checks run when a record of this form is saved."""
        return [c for c in self.checks if c.form == form_id]
