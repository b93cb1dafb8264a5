"""Typed models of a study definition: what a trial collects, checks, and reports.

A study is a folder of TOML files (see `loader.py`). The protocol part (arms, randomisation,
eligibility, regimens, windows, plan) keeps its own models in `cairo6.protocol`; this module
adds the parts that made every new trial a code change before: the case report forms in the
shape of CDISC ODM 1.3 metadata (form -> item groups -> items, code lists with labels), edit
checks, the schedule of events, populations, endpoints, comparisons and the flow diagram.

Field-level checks live here (pydantic); references between files (a rule naming an item, a
form requiring another, an endpoint on a missing item) are checked in `checks.py`, so that a
broken definition is reported in full.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cairo6.protocol.rules import Condition

_SNAKE = r"^[a-z][a-z0-9_]*$"
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.+/ -]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataType(StrEnum):
    """ODM 1.3 data types an item may hold (`coded` takes its values from a code list)."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    CODED = "coded"


class Code(_Model):
    """One allowed value of a code list: what is stored and what people read."""

    value: str = Field(pattern=_CODE)
    label: str = Field(min_length=1)
    retired: bool = False
    """Kept by an amendment for the records that hold it, no longer entered."""


class CodeList(_Model):
    """An ODM CodeList: the allowed values of coded items, each with its label."""

    id: str = Field(pattern=_SNAKE)
    label: str = ""
    codes: list[Code] = Field(min_length=1)
    source: str = ""
    """Where the list comes from (a standard, its version), when it is not the study's own."""

    @model_validator(mode="after")
    def _unique(self) -> CodeList:
        seen: set[str] = set()
        for code in self.codes:
            if code.value in seen:
                raise ValueError(f"code '{code.value}' appears twice")
            seen.add(code.value)
        return self

    def label_of(self, value: str) -> str:
        """The label people read for a stored code (the code itself if unknown)."""
        return next((c.label for c in self.codes if c.value == value), value)

    def values(self) -> tuple[str, ...]:
        """The stored codes, in list order."""
        return tuple(c.value for c in self.codes)

    def current(self) -> list[Code]:
        """The codes that may still be entered (not retired by an amendment)."""
        return [c for c in self.codes if not c.retired]


class Derivation(_Model):
    """A derived item: a validated function of the scoring library applied to other items."""

    function: str = Field(pattern=_SNAKE)
    inputs: dict[str, str] = {}
    """Function parameter -> item id (in the same form) or `form.item`."""


class Validation(_Model):
    """A value check that needs the clinical scoring library (a PCI grid, a Clavien-Dindo
    grade, RECIST lesions): a validator named in the scoring registry, with other items it reads.

    Written `validate = "clavien_dindo"` or `validate = {function = "cc_r_class", inputs =
    {procedure = "procedure"}}`; the item's own value is the validator's `value`.
    """

    function: str = Field(pattern=_SNAKE)
    inputs: dict[str, str] = {}
    """Validator parameter -> item id (in the same form), `form.item` or a fact (`@arm`)."""

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: object) -> object:
        return {"function": data} if isinstance(data, str) else data


class Widget(StrEnum):
    """Input widgets beyond the one a data type implies."""

    DEFAULT = "default"
    RADIO = "radio"
    TEXTAREA = "textarea"
    PCI_GRID = "pci_grid"
    DOSES = "doses"
    LIST = "list"


class Item(_Model):
    """An ODM ItemDef: one question of a form."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=_SNAKE)
    label: str = Field(min_length=1)
    type: DataType
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    codelist: str | None = None
    required: bool = False
    help: str = ""
    visible_when: Condition | None = None
    """Branching: the item is asked only when this rule holds (unknown counts as hidden)."""
    derived: Derivation | None = None
    validate_with: Validation | None = Field(default=None, alias="validate")
    """A scoring-library check of the value (`validate = "clavien_dindo"`)."""
    widget: Widget = Widget.DEFAULT
    repeated: bool = False
    """A list of values (one per biopsy, lesion, region ...), each of the item's type."""
    sdtm: str | None = None
    """The SDTM variable the item maps to, when there is one (for exports)."""
    retired: bool = False
    """Retired by an amendment: shown and exported on the records that hold it, no longer
    entered (a definition may not drop an item that holds data)."""

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.type is DataType.CODED and not self.codelist:
            raise ValueError("a coded item needs `codelist`, the id of its code list")
        if self.type is not DataType.CODED and self.codelist:
            raise ValueError("`codelist` is only for items of type 'coded'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        if (self.min is not None or self.max is not None) and self.type not in (
            DataType.INTEGER,
            DataType.DECIMAL,
        ):
            raise ValueError("min/max are only for integer and decimal items")
        if self.derived is not None and self.required:
            raise ValueError("a derived item is computed, so it cannot be required input")
        if self.retired and self.required:
            raise ValueError("a retired item is no longer entered, so it cannot be required")
        return self


class ItemGroup(_Model):
    """An ODM ItemGroupDef: items asked together."""

    id: str = Field(pattern=_SNAKE)
    label: str = ""
    items: list[Item] = Field(min_length=1)


class AdverseEventItems(_Model):
    """Which items of a form record an adverse event (`[forms.adverse_event]`): the safety
    pages, the serious-adverse-event clock and the sponsor's reports read them, whatever the
    study calls them. Only `term` is needed; the others are named when the form has them."""

    term: str = Field(pattern=_SNAKE)
    """The coded event term (e.g. an item coded with the `ctcae_v5` term list)."""
    grade: str | None = Field(default=None, pattern=_SNAKE)
    onset: str | None = Field(default=None, pattern=_SNAKE)
    end: str | None = Field(default=None, pattern=_SNAKE)
    serious: str | None = Field(default=None, pattern=_SNAKE)
    """A yes/no item: the event is serious (ICH E2A)."""
    criteria: list[str] = []
    """Yes/no items, one per ICH E2A seriousness criterion met (death, life-threatening,
    hospitalisation, disability, congenital anomaly, other important medical event), as SDTM's
    AESDTH ... AESMIE; each item's label names its criterion."""
    aware: str | None = Field(default=None, pattern=_SNAKE)
    """A date-time item: when the site became aware the event is serious; the reporting
    clock starts here."""
    attribution: str | None = Field(default=None, pattern=_SNAKE)
    expectedness: str | None = Field(default=None, pattern=_SNAKE)
    action: str | None = Field(default=None, pattern=_SNAKE)
    outcome: str | None = Field(default=None, pattern=_SNAKE)
    description: str | None = Field(default=None, pattern=_SNAKE)
    """Free-text narrative or verbatim term, shown in listings and reports."""

    def roles(self) -> dict[str, str]:
        """Role -> item id, for the roles the form names."""
        return {k: v for k, v in self.model_dump().items() if isinstance(v, str)}

    def items(self) -> list[str]:
        """Every item the form names, criteria included."""
        return [*self.roles().values(), *self.criteria]


class Form(_Model):
    """An ODM FormDef: a case report form."""

    id: str = Field(pattern=_SNAKE)
    label: str = Field(min_length=1)
    description: str = ""
    repeating: bool = False
    """Many records per participant (cycles, adverse events) or at most one."""
    date_item: str | None = None
    """The date item that places a record in the participant's time line."""
    key_items: list[str] = []
    """Items that identify one record of a repeating form (e.g. phase + cycle number)."""
    requires: list[str] = []
    """Forms that must exist for the participant before this one can be entered."""
    recorded_by: Literal["clinical", "radiology", "pathology"] = "clinical"
    """Which permission records this form (see the service's permission table)."""
    ends: bool = False
    """A record of this form ends the participant's time in the trial (off study, withdrawn):
    nothing more is due for them."""
    expected: bool = False
    """A record is expected once the forms it `requires` exist (a discharge after the
    operation), though no visit of the schedule names the form; an event-driven form (an
    adverse event, a stroke) leaves it false."""
    retired: bool = False
    """Retired by an amendment: its records are kept, shown and exported; no new ones."""
    reveals_allocation: bool = False
    """The form's records (or their very existence) tell which arm a participant is in (e.g.
    the treatment only one arm gets): blinded roles see neither the records nor their audit."""
    groups: list[ItemGroup] = Field(min_length=1)
    adverse_event: AdverseEventItems | None = None
    """The form records adverse events; which items say what (see `AdverseEventItems`)."""

    def items(self) -> list[Item]:
        """Every item of the form, in order."""
        return [item for group in self.groups for item in group.items]

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return next((i for i in self.items() if i.id == item_id), None)


class Severity(StrEnum):
    """What a failed edit check does."""

    HARD = "hard"
    SOFT = "soft"


class EditCheck(_Model):
    """A rule a saved record must satisfy.

    `rule` is written in the protocol's rule language over the form's items (`item`), items of
    other forms (`form.item`) and the participant's facts (`@randomised_on`, `@today`). A hard
    check refuses the save naming `item`; a soft one saves and opens a query on `item`.
    A rule that cannot be decided (an item missing) passes: required items catch absence.
    """

    id: str = Field(pattern=_SNAKE)
    form: str = Field(pattern=_SNAKE)
    item: str = Field(pattern=_SNAKE)
    severity: Severity
    rule: Condition
    message: str = Field(min_length=1)


class ScheduledEvent(_Model):
    """A visit or event of the schedule, and the form that records it."""

    id: str = Field(pattern=_SNAKE)
    label: str
    form: str | None = None
    anchor: str | None = None
    """`randomisation`, or another event id the day count is measured from."""
    day: int | None = None
    before_days: int = Field(default=0, ge=0)
    after_days: int = Field(default=0, ge=0)
    repeat_every_days: int | None = Field(default=None, ge=1)
    repeat_count: int | None = Field(default=None, ge=1)
    arms: list[str] = []
    """Arms the event applies to; empty means every arm."""


class PopulationDef(_Model):
    """An analysis population as a rule over what the participant's records show."""

    id: str = Field(pattern=_SNAKE)
    label: str
    definition: str
    rule: Condition | None = None
    """None means every randomised participant (intention to treat)."""
    grouping: Literal["allocated", "treatment_started"] = "allocated"
    """Analysed as allocated, or by the treatment started: the arm whose regimen the first
    treatment record names, or the control arm when the participant went to treatment of the
    control arm's kind without one (the protocol's regimens map to arms)."""


class EndpointType(StrEnum):
    """The kinds of endpoint the engine analyses."""

    BINARY = "binary"
    CONTINUOUS = "continuous"
    ORDINAL = "ordinal"
    COUNT = "count"
    TIME_TO_EVENT = "time_to_event"


class EventSource(_Model):
    """Where a time-to-event endpoint finds an event or a censoring date (admiral style)."""

    form: str = Field(pattern=_SNAKE)
    date: str = Field(pattern=_SNAKE)
    when: Condition | None = None
    label: str = ""


class EndpointDef(_Model):
    """An endpoint: its population, how it is derived, summarised and compared."""

    id: str = Field(pattern=_SNAKE)
    label: str
    kind: Literal["primary", "secondary", "exploratory"] = "secondary"
    type: EndpointType
    population: str
    rule: Condition | None = None
    """Binary: the participant has the outcome when this holds."""
    item: str | None = None
    """Continuous, ordinal or count: the `form.item` measured."""
    start: str | None = None
    """Time to event: `@randomised_on` or a `form.item` date the clock starts at."""
    events: list[EventSource] = []
    censor: list[EventSource] = []
    horizon_months: list[float] = []
    """Landmark times for survival rates."""
    test: Literal["plan", "chi2", "fisher", "t_test", "mann_whitney", "logrank", "cmh", "none"] = (
        "plan"
    )
    measures: list[
        Literal["risk_ratio", "risk_difference", "odds_ratio", "hazard_ratio", "mean_difference"]
    ] = []

    @model_validator(mode="after")
    def _complete(self) -> EndpointDef:
        if self.type is EndpointType.BINARY and self.rule is None:
            raise ValueError("a binary endpoint needs `rule`")
        if (
            self.type in (EndpointType.CONTINUOUS, EndpointType.ORDINAL, EndpointType.COUNT)
            and self.item is None
        ):
            raise ValueError(f"a {self.type.value} endpoint needs `item` (form.item)")
        if self.type is EndpointType.TIME_TO_EVENT and (self.start is None or not self.events):
            raise ValueError("a time-to-event endpoint needs `start` and at least one `events`")
        return self


class ComparisonPlan(_Model):
    """Which arms are compared, for studies with any number of arms."""

    mode: Literal["vs_control", "all_pairs"] = "vs_control"
    ci_level: float = Field(default=0.95, gt=0, lt=1)


class FlowStage(_Model):
    """A box of the flow (CONSORT) diagram: participants for whom `rule` holds."""

    id: str = Field(pattern=_SNAKE)
    label: str
    parent: str | None = None
    per_arm: bool = False
    rule: Condition | None = None
    """None counts every participant of the parent stage."""
    source: Literal["screening", "participants"] = "participants"


class DataManagement(_Model):
    """`[data_management]` of study.toml: the data management plan's rules the system applies."""

    lock_requires_no_open_queries: bool = True
    """The database may be locked only once every query is closed."""
    signature_meaning: str = (
        "I have reviewed the data of these records and confirm that they are complete and "
        "accurate to the best of my knowledge."
    )
    """What an investigator's signature of a visit or casebook means (21 CFR 11.50)."""


class SafetyPlan(_Model):
    """`[safety]` of study.toml: when serious-adverse-event reports are due (the protocol's
    safety reporting section; ICH E2A and GCP ask the site to report a serious event to the
    sponsor immediately, at most 24 hours after becoming aware of it)."""

    initial_report_hours: int = Field(default=24, ge=1, le=24 * 30)
    follow_up_days: int = Field(default=7, ge=1, le=365)
    """A follow-up report is due this many days after the last report, until one is final."""


class Manifest(_Model):
    """`study.toml`: the study's identity and which files hold which part."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    title: str
    description: str = ""
    protocol: str = "protocol.toml"
    forms: str = "forms.toml"
    checks: str | None = "checks.toml"
    schedule: str | None = "schedule.toml"
    analysis: str | None = "analysis.toml"
    flow: str | None = "flow.toml"
    layout: str | None = None
    """A table layout for the report (`tables.toml`); None gives a layout generated from the
    forms and endpoints."""
    published: str | None = None
    """A file of a paper's numbers, for the published-vs-reproduced appendix."""
    data: str | None = None
    """A folder of data in the import format (a reference cohort, a public data set)."""
    mapping: str | None = None
    """How the columns of a data file map onto the forms (`mapping.toml`)."""
    data_note: str = ""
    """Provenance and licence of `data`; shown wherever the data is used."""
    data_management: DataManagement = DataManagement()
    """Lock and signature rules of the data management plan (`[data_management]`)."""
    safety: SafetyPlan = SafetyPlan()
    """Serious-adverse-event reporting deadlines."""


class CourseMap(_Model):
    """Where the protocol's treatment calendar reads what was given (`[course]` of forms.toml),
    for a study whose protocol has regimens: the repeating form of treatment cycles and its
    items, and the `form.item` of the operation date, its completeness and the scan date.
    """

    cycles: str = Field(pattern=_SNAKE)
    phase: str = Field(pattern=_SNAKE)
    regimen: str = Field(pattern=_SNAKE)
    number: str = Field(pattern=_SNAKE)
    day1: str = Field(pattern=_SNAKE)
    antiangiogenic: str | None = None
    reduced: str | None = None
    switch_from: str | None = None
    switch_why: str | None = None
    stopped: str | None = None
    stop_why: str | None = None
    operation: str | None = None
    """`form.item`: the date of the operation between the phases."""
    operation_complete: str | None = None
    """`form.item`: whether the operation was complete (a boolean, often derived)."""
    scan: str | None = None
    """`form.item`: the date of the scan that decides on the operation."""

    def cycle_items(self) -> dict[str, str]:
        """Calendar role -> item id of the cycle form, for the roles the study names."""
        roles = (
            "phase", "regimen", "number", "day1", "antiangiogenic", "reduced", "switch_from",
            "switch_why", "stopped", "stop_why",
        )  # fmt: skip
        return {role: getattr(self, role) for role in roles if getattr(self, role) is not None}


class FormsFile(_Model):
    """`forms.toml`."""

    codelists: list[CodeList] = []
    forms: list[Form] = Field(min_length=1)
    course: CourseMap | None = None


class ChecksFile(_Model):
    """`checks.toml`."""

    checks: list[EditCheck] = []


class ScheduleFile(_Model):
    """`schedule.toml`."""

    events: list[ScheduledEvent] = []


class AnalysisFile(_Model):
    """`analysis.toml`."""

    populations: list[PopulationDef] = Field(min_length=1)
    endpoints: list[EndpointDef] = []
    comparisons: ComparisonPlan = ComparisonPlan()
    baseline_forms: list[str] = []
    """Forms whose items make the baseline table of a report without its own layout."""


class FlowFile(_Model):
    """`flow.toml`."""

    stages: list[FlowStage] = []
