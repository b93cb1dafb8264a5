"""Expected forms per participant and per centre: missing, overdue (by how many days) or due.

Read from the study's schedule and forms (`schedule.expected`) for every participant the actor
may see (site staff: their own centre). The reference date is a parameter: the web page and the
command line read the clock once, at their edge, and pass it in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import null, select

from cairo6.errors import InvalidValueError
from cairo6.schedule.expected import Expected, ExpectedStatus, expected_forms
from cairo6.service.permissions import CENTRE_BOUND, Action, allowed, require
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.store.schema import Centre, FormRecord, Participant, Randomisation
from cairo6.study.models import Form
from cairo6.study.study import Study

STATUSES = tuple(s.value for s in ExpectedStatus)
DASHBOARD_ROWS = 10


@dataclass(frozen=True)
class ExpectedRow:
    """One record a participant should have and has not, with where to enter it."""

    study_number: str
    centre: str
    form: str
    form_label: str
    what: str
    status: str
    earliest: dt.date | None
    latest: dt.date | None
    days_overdue: int
    since: dt.date | None

    @property
    def link(self) -> str:
        """The participant's form, where the record is entered."""
        return f"/participants/{self.study_number}#form-{self.form}"


@dataclass(frozen=True)
class CentreCount:
    """How many records a centre owes, by status."""

    centre: str
    overdue: int
    due: int
    missing: int


def _needed(study: Study) -> set[str]:
    """The forms whose records decide what is expected: the visits' forms, the forms that end
    a participant's time in the trial, the expected forms and the forms they follow."""
    forms = {f.id for f in study.forms if f.ends or f.expected}
    forms |= {e.form for e in study.schedule if e.form}
    forms |= {need for f in study.forms if f.expected for need in f.requires}
    return {f for f in forms if study.has_form(f)}


def _dated(form: Form, day: str | None) -> dict[str, object]:
    """A record as the schedule reads it: its date item, as a date, when it has one."""
    if form.date_item is None or not day:
        return {}
    try:
        return {form.date_item: dt.date.fromisoformat(day)}
    except ValueError:
        return {}  # a date the definition would refuse is history: the record still counts


def expected_rows(
    trial: Trial,
    actor: Actor,
    on: dt.date,
    *,
    centre: str = "",
    status: str = "",
    study_number: str = "",
) -> list[ExpectedRow]:
    """Every expected record not yet entered, of the participants the actor may see, on `on`:
    most overdue first. Optionally one centre, one status, one participant."""
    require(actor, Action.VIEW_EXPECTED_FORMS)
    if status and status not in STATUSES:
        raise InvalidValueError("status", status, ", ".join(STATUSES), "pick a status")
    study = trial.definition()
    forms = {f.id: f for f in study.forms}
    with trial.db.read() as session:
        stmt = (
            select(
                Participant.id,
                Participant.study_number,
                Participant.enrolled_on,
                Centre.code,
                Randomisation.arm,
            )
            .join(Centre, Centre.id == Participant.centre_id)
            .join(Randomisation, Randomisation.participant_id == Participant.id)
            .order_by(Participant.study_number)
        )
        if actor.role in CENTRE_BOUND:
            stmt = stmt.where(Participant.centre_id == actor.centre_id)
        if centre:
            stmt = stmt.where(Centre.code == centre)
        if study_number:
            stmt = stmt.where(Participant.study_number == study_number)
        people = session.execute(stmt).all()
        records: dict[int, dict[str, list[dict[str, object]]]] = {p.id: {} for p in people}
        chosen = stmt.with_only_columns(Participant.id).order_by(None).scalar_subquery()
        # Only the forms the answer depends on are read, and of each record only its date
        # (taken out of the document by the database: no document is decoded here).
        for form_id in sorted(_needed(study)):
            form = forms[form_id]
            date = FormRecord.data[form.date_item].as_string() if form.date_item else null()
            rows = session.execute(
                select(FormRecord.participant_id, date)
                .where(FormRecord.form == form_id, FormRecord.participant_id.in_(chosen))
                .order_by(FormRecord.id)
            )
            for pid, day in rows:
                records[pid].setdefault(form_id, []).append(_dated(form, day))
    out: list[tuple[Expected, str, str]] = []
    for pid, number, enrolled_on, code, arm in people:
        # The clinical date of randomisation is the enrolment date the site gives (as rules
        # read it: `@randomised_on`).
        found = expected_forms(study.forms, study.schedule, arm, enrolled_on, records[pid], on)
        out += [(e, number, code) for e in found if not status or e.status == status]
    order = {ExpectedStatus.OVERDUE: 0, ExpectedStatus.DUE: 1, ExpectedStatus.MISSING: 2}
    out.sort(key=lambda t: (order[t[0].status], -t[0].days_overdue, t[1]))
    return [
        ExpectedRow(
            sn,
            code,
            e.form,
            forms[e.form].label,
            e.what,
            e.status.value,
            e.earliest,
            e.latest,
            e.days_overdue,
            e.since,
        )
        for e, sn, code in out
    ]


def per_centre(rows: list[ExpectedRow]) -> list[CentreCount]:
    """The rows counted per centre and status."""
    counts = Counter((r.centre, r.status) for r in rows)
    centres = sorted({r.centre for r in rows})
    return [
        CentreCount(c, counts[(c, "overdue")], counts[(c, "due")], counts[(c, "missing")])
        for c in centres
    ]


CSV_COLUMNS = (
    "study_number",
    "centre",
    "form",
    "form_label",
    "what",
    "status",
    "earliest",
    "latest",
    "days_overdue",
    "since",
)


def as_csv(rows: list[ExpectedRow], on: dt.date) -> str:
    """The rows as CSV text for the data manager, with the reference date in every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "as_of"])
    for r in rows:
        values = [getattr(r, c) for c in CSV_COLUMNS]
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in values]
            + [on.isoformat()]
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class Panel:
    """The dashboard's view of expected forms: counts per centre and the most overdue."""

    on: dt.date
    centres: list[CentreCount]
    top: list[ExpectedRow]
    total: int


def dashboard_panel(trial: Trial, actor: Actor, on: dt.date) -> Panel | None:
    """The panel for roles that see expected forms (site staff: their centre), else None."""
    if not allowed(actor.role, Action.VIEW_EXPECTED_FORMS):
        return None
    rows = expected_rows(trial, actor, on)
    return Panel(on, per_centre(rows), rows[:DASHBOARD_ROWS], len(rows))
