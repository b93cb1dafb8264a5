"""A participant's record as people read it: forms, derived values, calendar and windows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from cairo6.errors import Cairo6Error
from cairo6.schedule import (
    ActionItem,
    Calendar,
    Course,
    CycleGiven,
    EarlyStop,
    Procedure,
    Switch,
    Treatment,
    WindowCheck,
    build_calendar,
    check_compliance,
    due_or_overdue,
)
from cairo6.scoring.derived import macroscopic_complete, participant_values
from cairo6.service.concealment import diagnostic_for
from cairo6.service.permissions import Action
from cairo6.service.trial import Trial, allocation, participant
from cairo6.service.validation import input_columns
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import (
    FORM_TABLES,
    PARTICIPANT_FORMS,
    Centre,
    Complication,
    Discharge,
    Restaging,
    TreatmentCycle,
)
from cairo6.store.schema import Surgery as SurgeryRow


@dataclass
class ParticipantView:
    """Everything shown on a participant's page."""

    study_number: str
    centre: str
    enrolled_on: dt.date
    arm: str
    sequence_number: int
    levels: dict[str, Any]
    diagnostic: dict[str, Any] | None
    forms: dict[str, list[dict[str, Any]]]
    derived: dict[str, Any]
    calendar: Calendar | None = None
    compliance: tuple[WindowCheck, ...] = ()
    actions: tuple[ActionItem, ...] = ()
    problems: list[str] = field(default_factory=list)


def _rows(session: StoreSession, form: str, pid: int) -> list[dict[str, Any]]:
    table = FORM_TABLES[form]
    keys = ["id", *(c.key for c in input_columns(table))]
    found = session.scalars(
        select(table).where(table.participant_id == pid).order_by(table.id)  # type: ignore[attr-defined]
    ).all()
    return [{k: getattr(row, k) for k in keys} for row in found]


def _treatment(cycles: Sequence[TreatmentCycle]) -> Treatment | None:
    if not cycles:
        return None
    ordered = sorted(cycles, key=lambda c: c.cycle_number)
    first = ordered[0]
    start_regimen = first.switched_from or first.regimen
    switch = next(
        (
            Switch(c.cycle_number, c.regimen, c.switch_reason or "")
            for c in ordered
            if c.switched_from
        ),
        None,
    )
    stop = next(
        (
            EarlyStop(c.cycle_number, c.given_on, c.stop_reason or "")
            for c in ordered
            if c.stopped_after
        ),
        None,
    )
    return Treatment(
        regimen=start_regimen,
        cycles=tuple(
            CycleGiven(
                number=c.cycle_number,
                day1=c.given_on,
                regimen=c.regimen,
                antiangiogenic=c.bevacizumab_given,
                reduced_dose=c.dose_reduced,
            )
            for c in ordered
        ),
        switch=switch,
        stop=stop,
    )


def course_of(session: StoreSession, pid: int, arm: str, randomised: dt.date) -> Course:
    """The schedule's view of what happened, built from the recorded forms."""
    cycles = session.scalars(
        select(TreatmentCycle).where(TreatmentCycle.participant_id == pid)
    ).all()
    surgery = session.scalars(select(SurgeryRow).where(SurgeryRow.participant_id == pid)).first()
    restaging = session.scalars(select(Restaging).where(Restaging.participant_id == pid)).first()
    complete = (
        macroscopic_complete(surgery.procedure, surgery.cc_score, surgery.r_class)
        if surgery
        else None
    )
    return Course(
        arm=arm,
        randomised=randomised,
        neoadjuvant=_treatment([c for c in cycles if c.phase == "neoadjuvant"]),
        assessment=restaging.ct_date if restaging else None,
        procedure=Procedure(surgery.surgery_date, bool(complete)) if surgery else None,
        adjuvant=_treatment([c for c in cycles if c.phase == "adjuvant"]),
    )


def _derived(session: StoreSession, pid: int) -> dict[str, Any]:
    surgery = session.scalars(select(SurgeryRow).where(SurgeryRow.participant_id == pid)).first()
    discharge = session.scalar(
        select(Discharge.discharge_date).where(Discharge.participant_id == pid)
    )
    grades = session.scalars(
        select(Complication.grade).where(Complication.participant_id == pid)
    ).all()
    fields = (
        {c.key: getattr(surgery, c.key) for c in input_columns(SurgeryRow)} if surgery else None
    )
    return participant_values(fields, discharge, grades)


def view(trial: Trial, actor: Actor, study_number: str, on: dt.date) -> ParticipantView:
    """The participant's page on the reference date `on`."""
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.VIEW_PARTICIPANT)
        alloc = allocation(session, person.id)
        assert alloc is not None  # a participant exists only once randomised
        centre = session.get_one(Centre, person.centre_id)
        forms = {form: _rows(session, form, person.id) for form in PARTICIPANT_FORMS}
        result = ParticipantView(
            study_number=person.study_number,
            centre=centre.code,
            enrolled_on=person.enrolled_on,
            arm=alloc.arm,
            sequence_number=alloc.sequence_number,
            levels=dict(alloc.levels),
            diagnostic=diagnostic_for(actor, alloc.diagnostic),
            forms=forms,
            derived=_derived(session, person.id),
        )
        course = course_of(session, person.id, alloc.arm, person.enrolled_on)
    try:
        calendar = build_calendar(trial.protocol, course)
    except Cairo6Error as exc:
        result.problems.append(f"treatment calendar cannot be built: {exc}")
        return result
    result.calendar = calendar
    result.compliance = check_compliance(calendar, on)
    result.actions = due_or_overdue(calendar, on)
    return result
