"""Bring a study's data set into the trial database, and read every record back for analysis.

The import is one transaction: centres, screening entries, participants, their (historical)
allocations and every form record, each checked against the study definition exactly as a
form saved at a site is, with the audit trail written alongside. Any problem in any row refuses
the whole file and lists every problem; nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from cairo6.analysis.definition import Participant as RuleView
from cairo6.analysis.definition import flatten
from cairo6.errors import FieldProblem, FormError, StateError
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.service.trial_lock import report_status
from cairo6.store.audit import Actor
from cairo6.store.schema import Centre, FormRecord, Participant, Randomisation, Screening
from cairo6.study.mapping import ParticipantData
from cairo6.study.validate import stored, typed_record, validate_record

if TYPE_CHECKING:
    from cairo6.report.study_report import StudyReport

IMPORT_REASON = "imported from the study's data set"


def import_study_data(
    trial: Trial, actor: Actor, people: Sequence[ParticipantData], *, enrolled_on: dt.date
) -> int:
    """Write every participant and record of a mapped data set; returns the number imported."""
    require(actor, Action.IMPORT_HISTORY)
    study = trial.definition()
    problems: list[FieldProblem] = []
    with trial.db.write(actor, insert_reason=IMPORT_REASON) as session:
        if session.scalar(select(func.count()).select_from(Participant)):
            raise StateError(
                "this trial already has participants",
                "import a study's data set into a new database",
            )
        centres: dict[str, Centre] = {}
        facts = {"@randomised": True, "@randomised_on": enrolled_on, "@today": dt.date.today()}
        for sequence, person in enumerate(people, start=1):
            code = person.centre or "C01"
            if code not in centres:
                centres[code] = Centre(code=code, name=code, started_recruiting=enrolled_on)
                session.add(centres[code])
                session.flush()
            centre = centres[code]
            screening = Screening(
                screening_number=f"{code}-S{sequence:05d}",
                centre_id=centre.id,
                screened_on=enrolled_on,
                approached=True,
                refused=False,
            )
            session.add(screening)
            session.flush()
            row = Participant(
                study_number=f"{study.id}-{code}-{person.participant}",
                centre_id=centre.id,
                screening_id=screening.id,
                enrolled_on=enrolled_on,
            )
            session.add(row)
            session.flush()
            session.add(
                Randomisation(
                    participant_id=row.id,
                    sequence_number=sequence,
                    arm=person.arm,
                    allocated_at=dt.datetime.combine(enrolled_on, dt.time(), dt.UTC).isoformat(),
                    allocated_by=actor.username,
                    levels={},
                    diagnostic={"source": "imported data set"},
                    source="history",
                )
            )
            context = {**facts, "@arm": person.arm}
            for form_id, records in person.forms.items():
                form = study.form(form_id)
                for number, values in enumerate(records, start=1):
                    verdict = validate_record(study, form, values, context)
                    for problem in verdict.problems:
                        problems.append(
                            FieldProblem(
                                f"{person.participant}.{form_id}.{problem.field}",
                                problem.value,
                                problem.message,
                            )
                        )
                    session.add(
                        FormRecord(
                            participant_id=row.id,
                            form=form_id,
                            record_key=str(number) if form.repeating else "",
                            data={k: stored(v) for k, v in verdict.values.items()},
                            study_version=study.version,
                        )
                    )
            if len(problems) > 200:
                break
        if problems:
            # Raising inside the transaction rolls back everything written so far.
            raise FormError("data set", problems)
        session.flush()
    return len(people)


def analysis_people(trial: Trial) -> list[RuleView]:
    """Every randomised participant with their records, as the study's rules read them."""
    study = trial.definition()
    with trial.db.read() as session:
        people = session.execute(
            select(
                Participant.id,
                Participant.study_number,
                Centre.code,
                Randomisation.arm,
                Participant.enrolled_on,
            )
            .join(Centre, Centre.id == Participant.centre_id)
            .join(Randomisation, Randomisation.participant_id == Participant.id)
            .order_by(Randomisation.sequence_number)
        ).all()
        records: dict[int, dict[str, list[dict[str, object]]]] = {}
        for row in session.scalars(select(FormRecord).order_by(FormRecord.id)):
            if study.has_form(row.form):
                typed = typed_record(study, study.form(row.form), row.data)
                records.setdefault(row.participant_id, {}).setdefault(row.form, []).append(typed)
    # The clinical date of randomisation is the enrolment date, as the record service's facts
    # say; without it no endpoint starting "@randomised_on" has a time.
    return [
        flatten(
            number,
            arm,
            centre,
            records.get(pid, {}),
            {"@randomised_on": enrolled, "@enrolled_on": enrolled},
        )
        for pid, number, centre, arm, enrolled in people
    ]


def screened_count(trial: Trial) -> int:
    """How many entries the screening log holds."""
    with trial.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Screening)) or 0)


def study_report(trial: Trial) -> StudyReport:
    """The report generated from the study definition (for a study without a table layout):
    the one builder the CLI, the reports page and the HTML report all call."""
    from cairo6.report.study_report import build_report

    report = build_report(trial.definition(), analysis_people(trial), screened_count(trial))
    return dataclasses.replace(report, data_status=report_status(trial.db))
