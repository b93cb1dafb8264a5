"""A participant's casebook for site archiving, and a whole centre's, for any study.

Everything the site keeps of a participant, read in one transaction so that the parts agree:
the eligibility assessment, the allocation (for readers allowed to see an arm), every form of
the study with every item by its label and every value as people read it, each record's status
in the form lifecycle and the investigator's signatures, the data queries with their threads,
and the audit trail up to the last record the print includes. Who may print is decided by the
permission table (`PRINT_CASEBOOK`); a centre-bound user prints only their own centre.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from cairo6.errors import PermissionDeniedError
from cairo6.protocol import Protocol
from cairo6.report.casebook_model import (
    NOT_ENTERED,
    STAMP,
    Allocation,
    AuditLine,
    Casebook,
    CentreBooks,
    Change,
    Criterion,
    Eligibility,
    FormSection,
    ItemGroupLines,
    ItemLine,
    QueryStep,
    QueryThread,
    RecordPage,
    RecordStatus,
    Signature,
    Step,
)
from cairo6.service import lifecycle
from cairo6.service.concealment import audit_value
from cairo6.service.permissions import Action, allowed, require
from cairo6.service.trial import Trial, allocation, centre_by_code, participant
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.replay import MOVED_FROM
from cairo6.store.schema import (
    AuditRecord,
    Base,
    Centre,
    EligibilityAssessment,
    FormRecord,
    Participant,
    Query,
    Randomisation,
    Screening,
    User,
)
from cairo6.study.models import Form, Item
from cairo6.study.study import Study

NOT_LOCKED = "not locked: interim data"
IN_PROGRESS = "In progress"
VERDICT_WORDS = {
    ("inclusion", "met"): "meets",
    ("inclusion", "not_met"): "does not meet",
    ("exclusion", "met"): "not excluded",
    ("exclusion", "not_met"): "excluded",
}
"""A verdict as a clinician reads it: `met` of an exclusion criterion means not excluded."""


# --- the form lifecycle (status, signatures, database lock) ---------------------------------


@dataclass(frozen=True)
class Lifecycle:
    """What the form lifecycle says of a participant's records."""

    states: Mapping[int, RecordStatus]
    """Record id -> its status, the lifecycle's steps and the per-item SDV marks."""
    signatures: tuple[Signature, ...]
    database_state: str


def lifecycle_of(
    session: StoreSession, study: Study, person: Participant, record_ids: Sequence[int]
) -> Lifecycle:
    """The one place the form lifecycle feeds the casebook: every record's status with its
    steps and SDV marks, the participant's signatures and the database lock, read in the
    caller's transaction from `cairo6.service.lifecycle` (`record_states`, `signatures_of`,
    `database_lock`).
    """
    states = lifecycle.record_states(session, record_ids, study)
    signatures = lifecycle.signatures_of(session, person.id, study)
    lock = lifecycle.database_lock(session)
    by_id = {s.id: s for s in signatures}
    return Lifecycle(
        {rid: _status(state, by_id) for rid, state in states.items()},
        tuple(
            Signature(
                s.printed_name,
                s.username,
                s.meaning,
                when(s.signed_at),
                f"{s.scope}: {s.label}",
                s.valid,
                s.voided_because,
            )
            for s in signatures
        ),
        f"LOCKED {when(lock.at)} by {lock.username}: {lock.reason}" if lock else NOT_LOCKED,
    )


def _status(
    state: lifecycle.RecordState, signatures: Mapping[int, lifecycle.SignatureView]
) -> RecordStatus:
    """A lifecycle `RecordState` as printed, with the valid signatures that cover it."""
    steps = [
        Step("signed", f"{s.printed_name} ({s.username})", when(s.signed_at), s.meaning)
        for s in (signatures[i] for i in state.signatures if i in signatures)
    ]
    for name, done in (
        ("completed", state.completed),
        ("source verified", state.verified),
        ("frozen", state.frozen),
        ("locked", state.locked),
    ):
        if done is not None:
            steps.append(
                Step(name, _who(done.username, done.role), when(done.at), done.reason or "")
            )
    words = state.label
    if state.resign_needed:
        words += " (re-signing needed: a signed record was changed)"
    if state.verification_outdated:
        words += " (changed since verified: to verify again)"
    return RecordStatus(words, tuple(sorted(steps, key=lambda s: s.at)), frozenset(state.sdv))


def _who(username: str, role: str) -> str:
    return f"{username} ({role.replace('_', ' ')})"


# --- reading -------------------------------------------------------------------------------


def when(iso: str | None) -> str:
    """A stored UTC timestamp as people read it: `2026-12-03 15:02:11 UTC`."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _plain(value: Any) -> str:
    if value is None or value == "":
        return NOT_ENTERED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _item_text(study: Study, form: Form, item: Item, value: Any) -> str:
    """One stored value as the record page shows it (labels, yes/no, unit)."""
    if value is None:
        return NOT_ENTERED
    shown = study.shown(form, {item.id: value})
    return shown[0][1] if shown else _plain(value)


def _column_label(table: str, column: str) -> str:
    found = Base.metadata.tables.get(table)
    if found is not None and column in found.c:
        label = found.c[column].info.get("label")
        if label:
            return str(label)
    return column.replace("_", " ")


@dataclass
class _Names:
    """How the audit trail's tables, records and fields read in this casebook."""

    study: Study
    protocol: Protocol
    records: dict[str, tuple[Form, str]]
    """form_record id (as the trail writes it) -> (form, record title)."""

    def form_of(self, table: str, record_id: str) -> Form | None:
        if table == FormRecord.__tablename__:
            found = self.records.get(record_id)
            return found[0] if found else None
        # History from before the form store (migration 0006) names the form's own table.
        return self.study.form(table) if self.study.has_form(table) else None

    def record(self, table: str, record_id: str) -> str:
        if table == FormRecord.__tablename__ and record_id in self.records:
            return self.records[record_id][1]
        if table == Query.__tablename__:
            return f"Query Q{record_id}"
        form = self.form_of(table, record_id)
        if form is not None:
            return f"{form.label} (before the form store, row {record_id})"
        return f"{table.replace('_', ' ')} {record_id}"

    def field(self, table: str, record_id: str, name: str) -> tuple[str, Form | None, Item | None]:
        form = self.form_of(table, record_id)
        item_id = name.removeprefix("data.") if table == FormRecord.__tablename__ else name
        item = form.item(item_id) if form is not None else None
        if item is not None and form is not None:
            return item.label, form, item
        return _column_label(table, name), None, None

    def value(self, table: str, column: str, form: Form | None, item: Item | None, v: Any) -> str:
        if form is not None and item is not None:
            return _item_text(self.study, form, item, v)
        if (table, column) == (Randomisation.__tablename__, "arm") and isinstance(v, str):
            return next((a.label for a in self.protocol.arms if a.id == v), v)
        return _plain(v)


def _audit_lines(actor: Actor, names: _Names, trail: Sequence[AuditRecord]) -> list[AuditLine]:
    lines = []
    for rec in trail:
        found: dict[str, list[Any]] = json.loads(rec.changes)
        changes = []
        for name, (old, new) in sorted(found.items()):
            if old in (None, {}, []) and new in (None, {}, []):
                continue  # a document created empty, then filled item by item (store.audit)
            label, form, item = names.field(rec.table_name, rec.record_id, name)
            shown = [
                names.value(
                    rec.table_name, name, form, item, audit_value(actor, rec.table_name, name, v)
                )
                for v in (old, new)
            ]
            changes.append(Change(label, *shown))
        lines.append(
            AuditLine(
                rec.seq,
                when(rec.at),
                _who(rec.username, rec.role),
                rec.action,
                names.record(rec.table_name, rec.record_id),
                tuple(changes),
                rec.reason or "",
            )
        )
    return lines


def _query_step(rec: AuditRecord) -> QueryStep:
    changes: dict[str, list[Any]] = json.loads(rec.changes)
    status = changes.get("status", [None, None])
    if rec.action == "insert":
        what, text = "raised", str(changes.get("question", [None, ""])[1] or "")
    elif status[1] == "answered":
        what, text = "answered", str(changes.get("answer", [None, ""])[1] or "")
    elif status[1] == "closed":
        # The closing note is kept on the query itself where the store has a column for it.
        what, text = "closed", str(changes.get("close_note", [None, rec.reason])[1] or "")
    elif status[1] == "open":
        what, text = "re-opened", rec.reason or ""
    else:
        what = "changed"
        text = "; ".join(f"{k}: {_plain(v[1])}" for k, v in sorted(changes.items()))
    return QueryStep(when(rec.at), _who(rec.username, rec.role), what, text)


def _record_steps(trail: Sequence[AuditRecord], earlier: Mapping[str, AuditRecord]) -> list[Step]:
    """Entered and changed, from the audit trail of one record (with its pre-store entry)."""
    steps = []
    for rec in trail:
        who = _who(rec.username, rec.role)
        if rec.action == "migrate":
            moved = json.loads(rec.changes).get(MOVED_FROM)
            first = earlier.get(str(moved[0])) if moved else None
            if first is not None:
                steps.append(Step("entered", first.username, when(first.at)))
            continue
        name = "entered" if rec.action == "insert" else "changed"
        steps.append(
            Step(name, who if name == "changed" else rec.username, when(rec.at), rec.reason or "")
        )
    return steps


def _eligibility(
    session: StoreSession, protocol: Protocol, person: Participant
) -> Eligibility | None:
    screening = session.get(Screening, person.screening_id)
    if screening is None:
        return None
    assessed = session.scalars(
        select(EligibilityAssessment)
        .where(EligibilityAssessment.screening_id == screening.id)
        .order_by(EligibilityAssessment.id.desc())
        .limit(1)
    ).first()
    criteria = []
    verdicts = assessed.verdicts if assessed is not None else {}
    for crit in protocol.eligibility:
        found = verdicts.get(crit.id) or {}
        verdict = str(found.get("verdict", "unknown"))
        criteria.append(
            Criterion(
                crit.kind,
                crit.text,
                VERDICT_WORDS.get((crit.kind, verdict), "not assessable"),
                str(found.get("explanation", "")),
            )
        )
    return Eligibility(
        screening.screening_number,
        screening.screened_on.isoformat(),
        assessed.assessed_on.isoformat() if assessed is not None else NOT_ENTERED,
        ("Yes" if assessed.eligible else "No") if assessed is not None else NOT_ENTERED,
        tuple(criteria),
    )


def _allocation(
    session: StoreSession, protocol: Protocol, actor: Actor, person: Participant
) -> Allocation | None:
    if not allowed(actor.role, Action.VIEW_ALLOCATION):
        return None
    alloc = allocation(session, person.id)
    if alloc is None:
        return None
    arm = next((a.label for a in protocol.arms if a.id == alloc.arm), alloc.arm)
    factors = {f.id: f for f in protocol.randomization.factors}
    levels = []
    for key, value in alloc.levels.items():
        factor = factors.get(key)
        level = next((lv.label for lv in factor.levels if lv.id == value), None) if factor else None
        levels.append((factor.label if factor else key.replace("_", " "), level or _plain(value)))
    return Allocation(
        arm,
        alloc.sequence_number,
        when(alloc.allocated_at),
        alloc.allocated_by,
        tuple(levels),
        alloc.deviation or "",
    )


def _form_sections(
    study: Study,
    rows: Sequence[FormRecord],
    lifecycle: Lifecycle,
    steps: Mapping[int, list[Step]],
    item_queries: Mapping[tuple[int, str], list[str]],
) -> tuple[FormSection, ...]:
    by_form: dict[str, list[FormRecord]] = defaultdict(list)
    for row in rows:
        by_form[row.form].append(row)
    sections = []
    for form in study.forms:
        pages = []
        for row in by_form.get(form.id, []):
            state = lifecycle.states.get(row.id, RecordStatus(IN_PROGRESS))
            history = sorted([*steps.get(row.id, []), *state.steps], key=lambda s: s.at)
            groups = tuple(
                ItemGroupLines(
                    group.label,
                    tuple(
                        ItemLine(
                            item.id,
                            item.label + (" (computed)" if item.derived is not None else ""),
                            _item_text(study, form, item, row.data.get(item.id)),
                            tuple(item_queries.get((row.id, item.id), [])),
                        )
                        for item in group.items
                    ),
                )
                for group in form.groups
            )
            pages.append(
                RecordPage(
                    row.id,
                    _record_title(study, form, row.record_key),
                    row.study_version,
                    replace(state, steps=tuple(history)),
                    groups,
                )
            )
        sections.append(
            FormSection(form.id, form.label, form.description, form.repeating, tuple(pages))
        )
    return tuple(sections)


def _record_title(study: Study, form: Form, key: str) -> str:
    return f"{form.label} {study.key_label(form, key)}".strip()


def _casebook(
    session: StoreSession,
    trial: Trial,
    actor: Actor,
    person: Participant,
    head: AuditRecord | None,
    printed_at: dt.datetime,
) -> Casebook:
    study = trial.definition()
    protocol = trial.protocol
    centre = session.get_one(Centre, person.centre_id)
    stored = session.scalars(
        select(FormRecord).where(FormRecord.participant_id == person.id).order_by(FormRecord.id)
    ).all()
    rows = [r for r in stored if study.has_form(r.form)]
    undeclared = sorted({r.form for r in stored} - {r.form for r in rows})
    seq = head.seq if head is not None else 0
    trail = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.participant == person.study_number, AuditRecord.seq <= seq)
        .order_by(AuditRecord.seq)
    ).all()
    if not allowed(actor.role, Action.VIEW_ALLOCATION):
        # A blinded reader sees no allocation anywhere, the trail included.
        trail = [r for r in trail if r.table_name != Randomisation.__tablename__]
    by_record: dict[tuple[str, str], list[AuditRecord]] = defaultdict(list)
    for rec in trail:
        by_record[(rec.table_name, rec.record_id)].append(rec)
    # Records moved into the form store keep their first entry under the old table's row.
    earlier = {f"{t},{r}": recs[0] for (t, r), recs in by_record.items() if study.has_form(t)}
    names = _Names(
        study,
        protocol,
        {
            str(r.id): (study.form(r.form), _record_title(study, study.form(r.form), r.record_key))
            for r in rows
        },
    )
    queries = session.scalars(
        select(Query).where(Query.participant_id == person.id).order_by(Query.id)
    ).all()
    item_queries: dict[tuple[int, str], list[str]] = defaultdict(list)
    # A query raised on a once-only form without naming the record is on its one record.
    only = {r.form: r.id for r in rows if not study.form(r.form).repeating}
    threads = []
    for q in queries:
        form = study.form(q.form) if study.has_form(q.form) else None
        item = form.item(q.field_name) if form is not None else None
        record_id = q.record_id if q.record_id is not None else only.get(q.form)
        if record_id is not None:
            item_queries[(record_id, q.field_name)].append(f"Q{q.id} {q.status}")
        threads.append(
            QueryThread(
                q.id,
                form.label if form is not None else q.form,
                names.record(FormRecord.__tablename__, str(record_id)) if record_id else "",
                item.label if item is not None else q.field_name,
                q.status,
                q.question,
                q.answer or "",
                tuple(_query_step(r) for r in by_record.get((Query.__tablename__, str(q.id)), [])),
            )
        )
    lifecycle = lifecycle_of(session, study, person, [r.id for r in rows])
    steps = {
        r.id: _record_steps(by_record.get((FormRecord.__tablename__, str(r.id)), []), earlier)
        for r in rows
    }
    user = session.scalars(select(User).where(User.username == actor.username)).first()
    printer = f"{user.full_name} ({actor.username})" if user and user.full_name else actor.username
    return Casebook(
        study_id=study.id,
        study_title=study.manifest.title,
        study_number=person.study_number,
        centre_code=centre.code,
        centre_name=centre.name,
        enrolled_on=person.enrolled_on.isoformat(),
        printed_at=_stamp(printed_at),
        printed_by=f"{printer}, {actor.role.replace('_', ' ')}",
        database_state=lifecycle.database_state,
        audit_head=f"record {head.seq}, hash {head.hash[:16]}" if head is not None else "empty",
        allocation=_allocation(session, protocol, actor, person),
        eligibility=_eligibility(session, protocol, person),
        signatures=lifecycle.signatures,
        forms=_form_sections(study, rows, lifecycle, steps, item_queries),
        queries=tuple(threads),
        audit=tuple(_audit_lines(actor, names, trail)),
        notes=tuple(
            f"Records of {form} are kept but not printed as a form: the study definition no "
            "longer declares it; their values are in the audit trail."
            for form in undeclared
        ),
    )


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(STAMP)


def _head(session: StoreSession) -> AuditRecord | None:
    """The newest audit record: every part of the print is read up to it."""
    return session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).first()


def participant_casebook(
    trial: Trial, actor: Actor, study_number: str, *, printed_at: dt.datetime | None = None
) -> Casebook:
    """One participant's casebook, for a user who may print it at the participant's centre."""
    moment = printed_at or dt.datetime.now(dt.UTC)
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.PRINT_CASEBOOK)
        return _casebook(session, trial, actor, person, _head(session), moment)


def centre_casebooks(
    trial: Trial, actor: Actor, centre_code: str, *, printed_at: dt.datetime | None = None
) -> CentreBooks:
    """Every participant's casebook of one centre (a centre-bound user: their own only)."""
    require(actor, Action.PRINT_CASEBOOK)
    moment = printed_at or dt.datetime.now(dt.UTC)
    with trial.db.read() as session:
        centre = centre_by_code(session, centre_code)
        require(actor, Action.PRINT_CASEBOOK, centre.id)
        head = _head(session)
        people = session.scalars(
            select(Participant)
            .where(Participant.centre_id == centre.id)
            .order_by(Participant.study_number)
        ).all()
        books = tuple(_casebook(session, trial, actor, p, head, moment) for p in people)
    study = trial.definition()
    return CentreBooks(centre.code, centre.name, study.id, _stamp(moment), actor.username, books)


@dataclass(frozen=True)
class CentreCount:
    """A centre whose casebooks the user may print, and how many participants it has."""

    code: str
    name: str
    participants: int


def printable_centres(trial: Trial, actor: Actor) -> list[CentreCount]:
    """The centres the user may print casebooks of, with their participants."""
    require(actor, Action.PRINT_CASEBOOK)
    with trial.db.read() as session:
        counts = dict(
            session.execute(
                select(Participant.centre_id, func.count()).group_by(Participant.centre_id)
            ).all()
        )
        centres = session.scalars(select(Centre).order_by(Centre.code)).all()
    return [
        CentreCount(c.code, c.name, int(counts.get(c.id, 0)))
        for c in centres
        if allowed_centre(actor, c.id)
    ]


def allowed_centre(actor: Actor, centre_id: int) -> bool:
    """Whether the actor may print this centre's casebooks."""
    try:
        require(actor, Action.PRINT_CASEBOOK, centre_id)
    except PermissionDeniedError:
        return False
    return True
