"""Study-form rows of an import, checked in memory and written in bulk.

`records.record_in` reads the participant's records from the database for every row it saves
and writes each row with its own flush and audit record: a few milliseconds a row. Here the
participants, their allocations and their form records are read once, kept in memory as the
import adds to them, and each row is checked exactly as `record_in` checks it (the same
context for the edit checks, the same `validate_record`, the same record key). A row that
passes every check and opens no query is kept and written with the others in one executemany
with its audit record built in bulk (the same content and hash chain as a flush per row). Any
other row (refused, or a soft check that opens a query) is left to the caller to save through
`record_in` itself, after the rows kept so far are written: it raises the very error it always
raised, or saves the record and its queries as it always did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from cairo6.service.exchange_csv import CsvRow
from cairo6.service.import_write import insert_audited
from cairo6.service.permissions import Action
from cairo6.service.records import RECORD_ACTION, _record_key
from cairo6.service.trial import participant
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import FormRecord, Participant, Randomisation
from cairo6.study.models import Form
from cairo6.study.study import Study
from cairo6.study.validate import stored, typed_record, validate_record


@dataclass
class _Record:
    """A participant's form record as the import knows it."""

    form: str
    key: str
    data: dict[str, Any]
    typed: dict[str, Any] | None = None


@dataclass
class FormBatch:
    """The participants' records in memory, and the rows checked and not yet written."""

    study: Study
    actor: Actor
    reason: str | None
    today: dt.date
    pending: list[dict[str, Any]] = field(default_factory=list)
    rows: list[CsvRow] = field(default_factory=list)
    _labels: list[str | None] = field(default_factory=list)
    _people: dict[tuple[str, Action], Participant] = field(default_factory=dict)
    _records: dict[int, list[_Record]] | None = None
    _arms: dict[int, str] = field(default_factory=dict)

    def _load(self, session: StoreSession) -> dict[int, list[_Record]]:
        records: dict[int, list[_Record]] = {}
        rows = session.execute(
            select(
                FormRecord.participant_id, FormRecord.form, FormRecord.record_key, FormRecord.data
            ).order_by(FormRecord.id)
        )
        for pid, form, key, data in rows:
            records.setdefault(pid, []).append(_Record(form, key, data))
        self._arms = {}
        for pid, arm in session.execute(
            select(Randomisation.participant_id, Randomisation.arm).order_by(Randomisation.id)
        ):
            self._arms.setdefault(pid, arm)
        self._records = records
        return records

    def _typed(self, record: _Record) -> dict[str, Any]:
        if record.typed is None:
            record.typed = typed_record(self.study, self.study.form(record.form), record.data)
        return record.typed

    def _context(self, person: Participant, form: Form, mine: list[_Record]) -> dict[str, Any]:
        """`records._context` of a new record, from memory."""
        study = self.study
        arm = self._arms.get(person.id)
        randomised = person.id in self._arms
        context: dict[str, Any] = {
            "@arm": arm,
            "@randomised": randomised,
            "@randomised_on": person.enrolled_on if randomised else None,
            "@enrolled_on": person.enrolled_on,
            "@today": self.today,
        }
        present = {r.form for r in mine}
        context.update(dict.fromkeys(present, True))
        named = {name for check in study.checks_for(form.id) for name in check.rule.forms_named()}
        for listed in study.forms:
            if listed.repeating and listed.id in present and listed.id in named:
                rows = [self._typed(r) for r in mine if r.form == listed.id]
                context[listed.id] = rows or None
        once = {f.id for f in study.forms if not f.repeating and f.id in present}
        for record in mine:
            if record.form in once:
                for key, value in self._typed(record).items():
                    context[f"{record.form}.{key}"] = value
        return context

    def add(self, session: StoreSession, row: CsvRow) -> bool:
        """Check one row as `record_in` would and keep it to write (True); or leave it to the
        caller to save through `record_in` (False): a row `record_in` would refuse, or one
        that opens a query. A participant the actor may not record for raises as before."""
        study = self.study
        form = study.form(row.form)
        number = row.key("study_number")
        action = RECORD_ACTION[form.recorded_by]
        person = self._people.get((number, action))
        if person is None:
            person = participant(session, self.actor, number, action)
            self._people[(number, action)] = person
        records = self._records if self._records is not None else self._load(session)
        mine = records.setdefault(person.id, [])
        taken = {r.key for r in mine if r.form == form.id}
        if form.retired or (taken and not form.repeating):
            return False
        context = self._context(person, form, mine)
        if any(not context.get(r) and study.has_form(r) for r in form.requires):
            return False
        verdict = validate_record(study, form, row.values, context)
        if verdict.problems or verdict.soft:
            return False
        key = _record_key(form, verdict.values, taken)
        if key in taken:
            return False
        data = {k: stored(v) for k, v in verdict.values.items()}
        self.pending.append(
            {
                "participant_id": person.id,
                "form": form.id,
                "record_key": key,
                "data": data,
                "study_version": study.version,
            }
        )
        self.rows.append(row)
        self._labels.append(person.study_number)
        mine.append(_Record(form.id, key, data))
        return True

    def saved(self, session: StoreSession, row: CsvRow) -> None:
        """Take in the record `record_in` has just saved for a row (read back from the store)."""
        if self._records is None:
            return
        person = session.scalars(
            select(Participant).where(Participant.study_number == row.key("study_number"))
        ).one()
        rows = session.execute(
            select(FormRecord.form, FormRecord.record_key, FormRecord.data)
            .where(FormRecord.participant_id == person.id)
            .order_by(FormRecord.id)
        )
        self._records[person.id] = [_Record(form, key, data) for form, key, data in rows]

    def flush(self, session: StoreSession) -> list[CsvRow]:
        """Write the rows kept so far, audited; return them."""
        if not self.pending:
            return []
        insert_audited(
            session,
            self.actor,
            FormRecord,
            self.pending,
            reason=self.reason,
            participants=self._labels,
        )
        return self.forget(keep=True)

    def forget(self, keep: bool = False) -> list[CsvRow]:
        """Drop the rows kept and return them; unless `keep` (they were written), also what is
        known of the store, to be read again (their write failed)."""
        written = self.rows
        self.pending, self._labels, self.rows = [], [], []
        if not keep:
            self._records = None
        return written
