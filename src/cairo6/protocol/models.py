"""Typed models of a trial protocol: everything the system enforces, read from a TOML file.

Field-level checks live here (pydantic); checks that relate one part of the protocol to another
(a window naming an arm, a factor reading a field) live in `checks.py`, so that a broken file is
reported in full rather than stopping at the first layer that fails.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cairo6.errors import InvalidValueError
from cairo6.protocol.date_order import DateOrder
from cairo6.protocol.rules import Condition, CrfField

Id = str
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.+/-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trial(_Model):
    """Identity of the trial and the sources its protocol file was built from."""

    id: str = Field(pattern=_ID)
    title: str
    acronym: str
    registration: str = ""
    phase: str
    design: str
    centres_planned: int = Field(ge=1)
    sources: list[str] = []


class Arm(_Model):
    """A treatment arm and its share of the allocation ratio."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    ratio: int = Field(ge=1, le=20)
    description: str = ""
    is_control: bool = False


class FactorLevel(_Model):
    """A level of a minimisation factor and the rule that puts a patient in it."""

    id: Id = Field(pattern=_ID)
    label: str
    when: Condition


class Factor(_Model):
    """A minimisation (or stratification) factor derived from case-report fields."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    weight: float = Field(default=1.0, gt=0)
    levels: list[FactorLevel] = Field(min_length=2)


class ImbalanceMeasure(StrEnum):
    """How the spread of counts over arms within one factor level is measured."""

    RANGE = "range"
    VARIANCE = "variance"
    SD = "sd"


class RandomizationMethod(StrEnum):
    """The allocation method."""

    MINIMIZATION = "minimization"
    PERMUTED_BLOCKS = "permuted_blocks"
    SIMPLE = "simple"


class Randomization(_Model):
    """The allocation method and its settings."""

    method: RandomizationMethod
    imbalance: ImbalanceMeasure = ImbalanceMeasure.RANGE
    p: float = Field(default=0.8, ge=0.5, le=1.0)
    factors: list[Factor] = Field(min_length=0)
    centre_as_factor: bool = False
    centre_weight: float = Field(default=1.0, gt=0)
    initial_random: int = Field(default=0, ge=0)
    block_sizes: list[int] = []
    stratify_blocks_by_centre: bool = True


class Criterion(_Model):
    """An eligibility criterion: an inclusion rule must hold, an exclusion rule must not."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["inclusion", "exclusion"]
    text: str
    rule: Condition


class DoseUnit(StrEnum):
    """How a dose scales with the patient."""

    MG_M2 = "mg/m2"
    MG_KG = "mg/kg"
    FLAT = "mg"


class Drug(_Model):
    """One drug of a regimen cycle."""

    name: str
    dose: float = Field(gt=0)
    unit: DoseUnit
    route: Literal["IV", "IV bolus", "IV infusion", "oral"]
    days: list[int] = Field(min_length=1)
    frequency: str = "once"
    infusion_hours: float | None = Field(default=None, gt=0)
    cycles: list[int] | None = None
    antiangiogenic: bool = False
    note: str = ""


class Phase(StrEnum):
    """When a regimen is given relative to the index procedure."""

    NEOADJUVANT = "neoadjuvant"
    ADJUVANT = "adjuvant"


class Regimen(_Model):
    """A systemic therapy regimen: cycles, cycle length, drugs, switches."""

    id: Id = Field(pattern=_ID)
    label: str
    phase: Phase
    arm: Id
    cycles: int = Field(ge=1, le=24)
    cycle_length_days: int = Field(ge=1, le=56)
    drugs: list[Drug] = Field(min_length=1)
    assessment_after_cycle: int | None = Field(default=None, ge=1)
    switch_to: list[Id] = []
    switch_why: str = ""
    adjuvant_options: list[Id] = []

    @model_validator(mode="after")
    def _days_and_cycles_fit(self) -> Regimen:
        problems = []
        for i, drug in enumerate(self.drugs):
            bad_days = [d for d in drug.days if not 1 <= d <= self.cycle_length_days]
            if bad_days:
                problems.append(
                    f"drugs[{i}] ({drug.name}) days {bad_days} fall outside the "
                    f"{self.cycle_length_days}-day cycle"
                )
            bad_cycles = [c for c in drug.cycles or [] if not 1 <= c <= self.cycles]
            if bad_cycles:
                problems.append(
                    f"drugs[{i}] ({drug.name}) cycles {bad_cycles} outside 1..{self.cycles}"
                )
        if self.assessment_after_cycle is not None and self.assessment_after_cycle > self.cycles:
            problems.append(
                f"assessment_after_cycle {self.assessment_after_cycle} is after the last cycle "
                f"({self.cycles})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def antiangiogenic_cycles(self) -> list[int]:
        """Cycles (1-based) in which an antiangiogenic drug is planned."""
        planned: set[int] = set()
        for drug in self.drugs:
            if drug.antiangiogenic:
                planned |= set(drug.cycles or range(1, self.cycles + 1))
        return sorted(planned)

    def drugs_in_cycle(self, cycle: int) -> list[Drug]:
        """The drugs planned for a given cycle."""
        return [d for d in self.drugs if d.cycles is None or cycle in d.cycles]


class Hipec(_Model):
    """A HIPEC regimen."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    drug: str
    dose: float = Field(gt=0)
    unit: DoseUnit
    duration_min: int = Field(gt=0)
    temperature_c: str = ""
    fractions: list[float] = []
    with_systemic: str = ""


class IndexProcedure(_Model):
    """The procedure a perioperative schedule is planned around: neoadjuvant regimens come
    before it, adjuvant ones after it. The study names it; the engine calls it the index
    procedure."""

    label: str = Field(default="index procedure", min_length=1)
    """How messages and calendars name it (e.g. "operation")."""
    complete: str = Field(default="complete", min_length=1)
    """How messages say the procedure achieved its aim (e.g. "macroscopically complete")."""
    variant_field: Id = ""
    """A case-report field whose levels are the `[[hipec]]` ids (the variant of the procedure
    planned at randomisation); checked when given."""


class Assessment(_Model):
    """The response assessment a neoadjuvant regimen plans after one of its cycles
    (`assessment_after_cycle`)."""

    label: str = Field(default="response assessment", min_length=1)
    """How messages and calendars name it (e.g. "response CT")."""
    cycle_label: str = Field(default="assessment cycle", min_length=1)
    """How they name the cycle it follows."""


class DeviationRecord(_Model):
    """How a randomisation against a failed eligibility criterion is recorded: a record of
    `form` dated by its date item, the deviation text in `text_item`, plus fixed `values`."""

    form: Id
    text_item: Id
    values: dict[str, str | int | bool] = {}


class Event(StrEnum):
    """The dated events of a participant's course that windows are measured between."""

    RANDOMISATION = "randomisation"
    FIRST_NEOADJUVANT_CYCLE = "first_neoadjuvant_cycle"
    LAST_NEOADJUVANT_CYCLE = "last_neoadjuvant_cycle"
    LAST_ANTIANGIOGENIC_DOSE = "last_antiangiogenic_dose"
    ASSESSMENT_CYCLE = "assessment_cycle"
    ASSESSMENT = "assessment"
    INDEX_PROCEDURE = "index_procedure"
    FIRST_ADJUVANT_CYCLE = "first_adjuvant_cycle"


_EVENT_WORDS = {event: event.value.replace("_", " ") for event in Event}


class Requirement(StrEnum):
    """A condition a window applies under (`requires`)."""

    NEOADJUVANT_GIVEN = "neoadjuvant_given"
    """At least one neoadjuvant cycle was given."""
    INDEX_COMPLETE = "index_complete"
    """The index procedure was done and complete."""


class Window(_Model):
    """A time frame: `event` must fall between min_days and max_days after `anchor`."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    arm: Id
    event: Event
    anchor: Event
    min_days: int | None = Field(default=None, ge=0)
    max_days: int | None = Field(default=None, ge=0)
    requires: list[Requirement] = []
    reported: bool = True

    @model_validator(mode="after")
    def _bounded(self) -> Window:
        if self.min_days is None and self.max_days is None:
            raise ValueError("a window needs min_days, max_days or both")
        if (
            self.min_days is not None
            and self.max_days is not None
            and self.min_days > self.max_days
        ):
            raise ValueError(f"min_days {self.min_days} is greater than max_days {self.max_days}")
        if self.event == self.anchor:
            raise ValueError("event and anchor must differ")
        return self


class Population(_Model):
    """An analysis population."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    definition: str


class Test(StrEnum):
    """Statistical tests the analysis plan may name."""

    AUTO_CATEGORICAL = "auto_categorical"
    CHI2 = "chi2"
    FISHER = "fisher"
    T_TEST = "t_test"
    MANN_WHITNEY = "mann_whitney"
    LOGRANK = "logrank"
    NONE = "none"


class Endpoint(_Model):
    """An outcome, its population, how it is summarised and which test compares the arms."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Literal["primary", "secondary", "exploratory"]
    trial_phase: Literal["2", "3"]
    type: Literal["binary", "continuous", "count", "ordinal", "time_to_event", "rate"]
    population: Id
    definition: str
    summary: Literal["n_pct", "mean_sd", "median_range", "median_iqr", "km", "rate_ci"]
    test: Test = Test.AUTO_CATEGORICAL
    effect: Literal["risk_ratio", "hazard_ratio", "none"] = "none"


class CategoricalRule(_Model):
    """The default choice of test for a categorical comparison."""

    expected_below: float = Field(default=5, gt=0)
    small: Literal["fisher"] = "fisher"
    otherwise: Literal["chi2"] = "chi2"
    chi2_correction: bool = False


class Methods(_Model):
    """Conventions of the estimators, defaulting to R's and SAS's; the report's methods note
    prints them."""

    cox_ties: Literal["efron", "breslow"] = "efron"
    """R coxph's default; SAS PHREG's default is Breslow (TIES=BRESLOW)."""
    cox_tolerance: float = Field(default=1e-9, gt=0, lt=1e-3)
    """Relative change of the log partial likelihood that ends the fit (R coxph.control eps)."""
    cox_max_iterations: int = Field(default=20, ge=1, le=1000)
    """R coxph.control iter.max."""
    km_ci_transform: Literal["log-log", "log", "plain"] = "log-log"
    """Pointwise Kaplan-Meier band: SAS LIFETEST CONFTYPE=LOGLOG (R survfit conf.type)."""
    median_rule: Literal["midpoint", "first"] = "midpoint"
    """Midpoint where S(t) = 0.5 over an interval (R survfit, SAS LIFETEST)."""
    mann_whitney: Literal["normal", "exact"] = "normal"
    """Normal approximation with continuity correction (SAS NPAR1WAY's default) or the exact
    permutation distribution (SAS EXACT WILCOXON)."""
    small_arm: int = Field(default=20, ge=1)
    """Below this many values in an arm a normal-approximation Mann-Whitney P is flagged."""


class AnalysisPlan(_Model):
    """Populations, significance level, confidence intervals and rounding."""

    alpha: float = Field(gt=0, lt=1)
    sided: Literal[1, 2] = 2
    ci_level: float = Field(default=0.95, gt=0, lt=1)
    risk_ratio_ci: Literal["log"] = "log"
    proportion_ci: Literal["clopper_pearson"] = "clopper_pearson"
    categorical_rule: CategoricalRule = CategoricalRule()
    methods: Methods = Methods()
    rounding: Literal["jama"] = "jama"
    missing_data: Literal["not_imputed"] = "not_imputed"
    populations: list[Population] = Field(min_length=1)


class StoppingRule(_Model):
    """A pre-specified stopping criterion evaluated by the monitoring committee."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Literal["min_proportion", "max_difference", "accrual"]
    endpoint: Id | None = None
    arm: Id | None = None
    comparator_arm: Id | None = None
    threshold: float | None = None
    scale: Literal["absolute", "relative"] = "absolute"
    target: int | None = Field(default=None, ge=1)
    within_days: int | None = Field(default=None, ge=1)
    anchor: Literal["last_centre_start", "first_enrolment"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> StoppingRule:
        needed: dict[str, tuple[str, ...]] = {
            "min_proportion": ("endpoint", "arm", "threshold"),
            "max_difference": ("endpoint", "arm", "comparator_arm", "threshold"),
            "accrual": ("target", "within_days", "anchor"),
        }
        missing = [name for name in needed[self.kind] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a '{self.kind}' rule needs {', '.join(missing)}")
        return self


class SampleSize(_Model):
    """The phase 3 sample-size parameters."""

    endpoint: Id
    method: Literal["two_proportions_normal"]
    control_rate: float = Field(gt=0, lt=1)
    experimental_rate: float = Field(gt=0, lt=1)
    alpha: float = Field(gt=0, lt=1)
    sided: Literal[1, 2] = 2
    power: float = Field(gt=0, lt=1)
    dropout: float = Field(ge=0, lt=1)
    continuity_correction: bool = False
    target_total: int = Field(ge=2)
    horizon_years: float = Field(gt=0)
    interim_spending: Literal["obrien-fleming", "pocock"] = "obrien-fleming"
    """Lan-DeMets alpha-spending family for interim looks at the primary endpoint."""


class Accrual(_Model):
    """Recruitment targets of the current phase."""

    target: int = Field(ge=1)
    start: dt.date | None = None


class Assumption(_Model):
    """A protocol value that no public source fixes; shown wherever the value is shown."""

    key: str
    note: str


class Protocol(_Model):
    """A complete trial protocol."""

    trial: Trial
    arms: list[Arm] = Field(min_length=2)
    fields: list[CrfField] = []
    randomization: Randomization
    eligibility: list[Criterion] = Field(min_length=1)
    index_procedure: IndexProcedure = IndexProcedure()
    assessment: Assessment = Assessment()
    deviation_record: DeviationRecord | None = None
    regimens: list[Regimen] = []
    hipec: list[Hipec] = []
    windows: list[Window] = []
    endpoints: list[Endpoint] = Field(min_length=1)
    analysis: AnalysisPlan
    stopping_rules: list[StoppingRule] = []
    accrual: Accrual
    sample_size: SampleSize | None = None
    assumptions: list[Assumption] = []
    date_order: list[DateOrder] = []

    def arm(self, arm_id: str) -> Arm:
        """The arm with this id."""
        return _by_id(self.arms, arm_id, "arm")

    def regimen(self, regimen_id: str) -> Regimen:
        """The regimen with this id (case-insensitive)."""
        for reg in self.regimens:
            if reg.id.lower() == regimen_id.lower():
                return reg
        raise InvalidValueError(
            "regimen",
            regimen_id,
            "one of " + ", ".join(r.id for r in self.regimens),
            "use a regimen id from `cairo6 protocol show`",
        )

    def field(self, field_id: str) -> CrfField:
        """The case-report field with this id."""
        return _by_id(self.fields, field_id, "field")

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """The endpoint with this id."""
        return _by_id(self.endpoints, endpoint_id, "endpoint")

    def windows_for(self, arm_id: str) -> list[Window]:
        """The time windows that apply to an arm."""
        return [w for w in self.windows if w.arm == arm_id]

    def event_labels(self) -> dict[Event, str]:
        """How users read each event: the study's own words for its procedure and assessment."""
        labels = dict(_EVENT_WORDS)
        labels[Event.INDEX_PROCEDURE] = self.index_procedure.label
        labels[Event.ASSESSMENT] = self.assessment.label
        labels[Event.ASSESSMENT_CYCLE] = self.assessment.cycle_label
        return labels

    def event_label(self, event: Event) -> str:
        """How users read one event."""
        return self.event_labels()[event]

    def form_references(self) -> list[tuple[str, str, str]]:
        """(TOML key, form, item) for every form and item the protocol names (item '' for the
        form itself), so a study check can report one that its forms do not declare."""
        record = self.deviation_record
        if record is None:
            return []
        refs = [("deviation_record.form", record.form, "")]
        refs.append(("deviation_record.text_item", record.form, record.text_item))
        return refs + [(f"deviation_record.values.{k}", record.form, k) for k in record.values]

    def requirement_label(self, requirement: Requirement) -> str:
        """A window's condition in the study's words (e.g. "operation complete")."""
        if requirement is Requirement.INDEX_COMPLETE:
            return f"{self.index_procedure.label} {self.index_procedure.complete}"
        return "neoadjuvant cycle given"

    def assumed(self, key: str) -> Assumption | None:
        """The assumption recorded for a protocol key, if the value is assumed."""
        return next((a for a in self.assumptions if a.key == key), None)


_T = TypeVar("_T", Arm, CrfField, Endpoint)


def _by_id(items: list[_T], wanted: str, what: str) -> _T:
    for item in items:
        if item.id == wanted:
            return item
    raise InvalidValueError(
        what, wanted, "one of " + ", ".join(i.id for i in items), f"use a known {what} id"
    )
