"""Data queries on items: the trial office (or a soft edit check) asks about one item of one
form record, the site answers, the office closes or re-opens.

A query names its record as people do: participant, form, record key, item. Every part is
checked before anything is written: the form is a form of the study, the item an item of that
form, the record a record of that participant, the participant one the caller may see (site
staff: their own centre only). States go open -> answered -> closed, and closed or answered ->
open again (re-open, with a reason); every step is a row of the query's thread
(`query_event`: who, role, when, text) written in the transaction that changes the query.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select

from cairo6.errors import InvalidValueError, NotFoundError, StateError
from cairo6.service.permissions import CENTRE_BOUND, Action, require
from cairo6.service.trial import Trial, participant
from cairo6.store.audit import Actor, now_iso
from cairo6.store.engine import StoreSession
from cairo6.store.schema import (
    QUERY_STATES,
    Centre,
    FormRecord,
    Participant,
    Query,
    QueryEvent,
)
from cairo6.study.models import Form
from cairo6.study.study import Study

CHECK_RAISER = "edit-check"
"""The `raised_by` of queries opened by soft edit checks."""
PAGE_SIZE = 25
STATE_FILTERS = ("unresolved", "open", "answered", "closed", "all")
"""What the list can show: `unresolved` (open or answered, the default) or one state, or all."""


# --- raising -----------------------------------------------------------------------------------


def _item_of(study: Study, form_id: str, item_id: str) -> Form:
    """The form, once `form_id` is a form of the study and `item_id` an item of it."""
    if not study.has_form(form_id):
        raise InvalidValueError(
            "form",
            form_id,
            "a form of the study: " + ", ".join(f.id for f in study.forms),
            "name the form of the item (`cairo6 study show` lists them)",
        )
    form = study.form(form_id)
    if form.item(item_id) is None:
        raise InvalidValueError(
            "item",
            item_id,
            f"an item of {form.label}: " + ", ".join(i.id for i in form.items()),
            "name an item of the form",
        )
    return form


def _record(
    session: StoreSession, study: Study, person: Participant, form: Form, key: str | None
) -> FormRecord:
    """The participant's record of the form with this key; the only one when no key is given."""
    rows = list(
        session.scalars(
            select(FormRecord)
            .where(FormRecord.participant_id == person.id, FormRecord.form == form.id)
            .order_by(FormRecord.id)
        )
    )
    if key is None and len(rows) == 1:
        return rows[0]
    found = [r for r in rows if r.record_key == (key or "")]
    if found:
        return found[0]
    keys = ", ".join(f"{r.record_key} ({study.key_label(form, r.record_key)})" for r in rows)
    if not rows:
        raise InvalidValueError(
            "record",
            key,
            f"a {form.label} record of {person.study_number}; it has none",
            "raise the query on a record that exists (`cairo6 participant show`)",
        )
    raise InvalidValueError(
        "record",
        key,
        f"a record key of {person.study_number}'s {form.label} records: {keys}",
        "give the record key (--key) of the record the question is about",
    )


def add_query(
    session: StoreSession,
    person: Participant,
    row: FormRecord,
    item: str,
    question: str,
    raised_by: Actor,
) -> Query:
    """Open a query on an item of a record already checked, with its first thread step, in the
    caller's transaction (the raise use case and the soft edit checks both come here)."""
    at = now_iso()
    query = Query(
        participant_id=person.id,
        form=row.form,
        record_id=row.id,
        record_key=row.record_key,
        field_name=item,
        question=question,
        status="open",
        raised_by=raised_by.username,
        raised_at=at,
    )
    session.add(query)
    session.flush()
    _step(session, query, raised_by, "raised", question, at)
    return query


def check_queries(
    session: StoreSession, person: Participant, row: FormRecord, checks: list[tuple[str, str]]
) -> None:
    """Queries of failed soft checks `(item, question)`, unless the same one is unresolved."""
    unresolved = {
        (item, question)
        for item, question in session.execute(
            select(Query.field_name, Query.question).where(
                Query.record_id == row.id,
                Query.raised_by == CHECK_RAISER,
                Query.status != "closed",
            )
        )
    }
    checker = Actor(username=CHECK_RAISER, role="system")
    for item, question in checks:
        if (item, question) not in unresolved:
            add_query(session, person, row, item, question, checker)


def raise_query(
    trial: Trial,
    actor: Actor,
    study_number: str,
    form: str,
    item: str,
    question: str,
    *,
    record_key: str | None = None,
) -> int:
    """Open a query on one item of one record of a participant; returns its number."""
    require(actor, Action.RAISE_QUERY)
    found = _item_of(trial.definition(), form, item)
    if not question.strip():
        raise InvalidValueError("question", question, "the question in words", "write it")
    with trial.db.write(actor, reason="query raised") as session:
        person = participant(session, actor, study_number, Action.RAISE_QUERY)
        row = _record(session, trial.definition(), person, found, record_key)
        return add_query(session, person, row, item, question.strip(), actor).id


@dataclass(frozen=True)
class Target:
    """What a query is about, as people read it, before it is raised."""

    study_number: str
    form: str
    record_key: str
    item: str
    form_label: str
    record_label: str
    item_label: str
    value: str


def query_target(
    trial: Trial, actor: Actor, study_number: str, form: str, item: str, record_key: str | None
) -> Target:
    """The item a query would be raised on, checked exactly as `raise_query` checks it."""
    require(actor, Action.RAISE_QUERY)
    study = trial.definition()
    found = _item_of(study, form, item)
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.RAISE_QUERY)
        row = _record(session, study, person, found, record_key)
        shown = dict(
            zip(
                [i.id for i in found.items() if row.data.get(i.id) is not None],
                [text for _, text in study.shown(found, row.data)],
                strict=True,
            )
        )
    label = found.item(item).label  # type: ignore[union-attr]
    return Target(
        study_number,
        form,
        row.record_key,
        item,
        found.label,
        study.key_label(found, row.record_key),
        label,
        shown.get(item, "(empty)"),
    )


# --- answering, closing, re-opening ------------------------------------------------------------


def _step(
    session: StoreSession, query: Query, actor: Actor, step: str, text: str | None, at: str
) -> None:
    session.add(
        QueryEvent(
            query_id=query.id,
            participant_id=query.participant_id,
            step=step,
            username=actor.username,
            role=actor.role,
            at=at,
            text=text,
        )
    )


def _visible(session: StoreSession, actor: Actor, query_id: int, action: Action) -> Query:
    query = session.get(Query, query_id)
    if query is not None and actor.role in CENTRE_BOUND:
        person = session.get_one(Participant, query.participant_id)
        if person.centre_id != actor.centre_id:
            query = None
    if query is None:
        raise NotFoundError("query", str(query_id), "check the query number")
    require(actor, action, session.get_one(Participant, query.participant_id).centre_id)
    return query


def _words(name: str, text: str) -> str:
    if not text.strip():
        raise InvalidValueError(name, text, f"the {name} in words", "write it")
    return text.strip()


def answer_query(trial: Trial, actor: Actor, query_id: int, answer: str) -> None:
    """The site's answer; the query waits for the trial office to close or re-open it."""
    require(actor, Action.ANSWER_QUERY)
    answer = _words("answer", answer)
    with trial.db.write(actor, reason="query answered") as session:
        query = _visible(session, actor, query_id, Action.ANSWER_QUERY)
        if query.status == "answered":
            raise StateError(
                f"query {query_id} is already answered (by {query.answered_by})",
                "wait for the trial office to close it or re-open it with a question",
            )
        if query.status == "closed":
            raise StateError(f"query {query_id} is closed", "ask the trial office to re-open it")
        at = now_iso()
        query.answer = answer
        query.status = "answered"
        query.answered_by = actor.username
        query.answered_at = at
        _step(session, query, actor, "answered", answer, at)


def close_query(trial: Trial, actor: Actor, query_id: int, note: str = "resolved") -> None:
    """Close a query once the answer (or a data correction) settles it; the note is kept."""
    require(actor, Action.CLOSE_QUERY)
    note = _words("note", note)
    with trial.db.write(actor, reason=f"query closed: {note}") as session:
        query = _visible(session, actor, query_id, Action.CLOSE_QUERY)
        if query.status == "closed":
            raise StateError(f"query {query_id} is already closed", "nothing to do")
        at = now_iso()
        query.status = "closed"
        query.closed_by = actor.username
        query.closed_at = at
        query.close_note = note
        _step(session, query, actor, "closed", note, at)


def reopen_query(trial: Trial, actor: Actor, query_id: int, reason: str) -> None:
    """Open an answered or closed query again, saying why (the answer did not settle it)."""
    require(actor, Action.REOPEN_QUERY)
    reason = _words("reason", reason)
    with trial.db.write(actor, reason=f"query re-opened: {reason}") as session:
        query = _visible(session, actor, query_id, Action.REOPEN_QUERY)
        if query.status == "open":
            raise StateError(f"query {query_id} is open already", "wait for the site's answer")
        query.status = "open"
        query.closed_by = query.closed_at = query.close_note = None
        _step(session, query, actor, "reopened", reason, now_iso())


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a query's thread."""

    step: str
    username: str
    role: str
    at: str
    text: str | None


@dataclass(frozen=True)
class QueryRow:
    """A data query as listed: where it points, its state, who and when, its age in days."""

    id: int
    study_number: str
    form: str
    record_id: int | None
    field_name: str
    question: str
    status: str
    raised_by: str
    answer: str | None
    centre: str = ""
    record_key: str | None = None
    form_label: str = ""
    item_label: str = ""
    record_label: str = ""
    raised_at: str | None = None
    answered_by: str | None = None
    answered_at: str | None = None
    closed_by: str | None = None
    closed_at: str | None = None
    close_note: str | None = None
    age_days: int | None = None
    """Days from raising to closing, or to the reference date while unresolved."""
    thread: tuple[Step, ...] = ()

    @property
    def by_check(self) -> bool:
        """Opened by a soft edit check rather than a person."""
        return self.raised_by == CHECK_RAISER

    @property
    def link(self) -> str:
        """The form on the participant's page, where the record is shown and corrected."""
        return f"/participants/{self.study_number}#form-{self.form}"


@dataclass(frozen=True)
class QueryFilter:
    """What the query list shows; every part optional."""

    state: str = "unresolved"
    centre: str = ""
    form: str = ""
    min_age_days: int | None = None
    search: str = ""
    study_number: str | None = None
    page: int = 1
    per_page: int = PAGE_SIZE


@dataclass(frozen=True)
class QueryPage:
    """One page of the filtered list and how many match in all."""

    rows: list[QueryRow]
    total: int
    page: int
    pages: int
    filters: QueryFilter = field(default_factory=QueryFilter)


def _date(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso[:10]) if iso else None


def _age(query: Query, on: dt.date) -> int | None:
    raised = _date(query.raised_at)
    if raised is None:
        return None
    end = _date(query.closed_at) if query.status == "closed" else on
    return max(0, ((end or on) - raised).days)


def _check_filter(wanted: QueryFilter, study: Study) -> None:
    if wanted.state not in STATE_FILTERS:
        raise InvalidValueError("state", wanted.state, ", ".join(STATE_FILTERS), "pick a state")
    if wanted.form and not study.has_form(wanted.form):
        study.form(wanted.form)  # raises, naming the forms
    if wanted.min_age_days is not None and wanted.min_age_days < 0:
        raise InvalidValueError("age", wanted.min_age_days, "0 days or more", "give a number")
    if wanted.page < 1 or not 1 <= wanted.per_page <= 500:
        raise InvalidValueError("page", wanted.page, "1 or more, 1-500 a page", "fix the page")


def _filtered(
    session: StoreSession, actor: Actor, wanted: QueryFilter, on: dt.date
) -> Select[Query, str, str]:
    stmt = (
        select(Query, Participant.study_number, Centre.code)
        .join(Participant, Participant.id == Query.participant_id)
        .join(Centre, Centre.id == Participant.centre_id)
    )
    if wanted.study_number is not None:
        person = participant(session, actor, wanted.study_number, Action.VIEW_QUERIES)
        stmt = stmt.where(Query.participant_id == person.id)
    if actor.role in CENTRE_BOUND:
        stmt = stmt.where(Participant.centre_id == actor.centre_id)
    if wanted.state == "unresolved":
        stmt = stmt.where(Query.status != "closed")
    elif wanted.state in QUERY_STATES:
        stmt = stmt.where(Query.status == wanted.state)
    if wanted.centre:
        stmt = stmt.where(Centre.code == wanted.centre)
    if wanted.form:
        stmt = stmt.where(Query.form == wanted.form)
    if wanted.min_age_days:
        # ISO text sorts as time does; a query raised on or before this day is old enough.
        latest = (on - dt.timedelta(days=wanted.min_age_days)).isoformat() + "T99"
        stmt = stmt.where(Query.raised_at <= latest)
    if wanted.search.strip():
        like = f"%{wanted.search.strip().lower()}%"
        stmt = stmt.where(
            or_(
                *(
                    func.lower(column).like(like)
                    for column in (
                        Participant.study_number,
                        Query.question,
                        Query.answer,
                        Query.field_name,
                        Query.close_note,
                        Query.raised_by,
                    )
                )
            )
        )
    return stmt


def _threads(session: StoreSession, ids: list[int]) -> dict[int, tuple[Step, ...]]:
    out: dict[int, list[Step]] = {i: [] for i in ids}
    if ids:
        for e in session.scalars(
            select(QueryEvent).where(QueryEvent.query_id.in_(ids)).order_by(QueryEvent.id)
        ):
            out[e.query_id].append(Step(e.step, e.username, e.role, e.at, e.text))
    return {k: tuple(v) for k, v in out.items()}


def _row(
    study: Study, q: Query, sn: str, code: str, on: dt.date, thread: tuple[Step, ...]
) -> QueryRow:
    form = study.form(q.form) if study.has_form(q.form) else None
    item = form.item(q.field_name) if form else None
    return QueryRow(
        id=q.id,
        study_number=sn,
        form=q.form,
        record_id=q.record_id,
        field_name=q.field_name,
        question=q.question,
        status=q.status,
        raised_by=q.raised_by,
        answer=q.answer,
        centre=code,
        record_key=q.record_key,
        form_label=form.label if form else q.form,
        item_label=item.label if item else q.field_name,
        record_label=study.key_label(form, q.record_key or "") if form else (q.record_key or ""),
        raised_at=q.raised_at,
        answered_by=q.answered_by,
        answered_at=q.answered_at,
        closed_by=q.closed_by,
        closed_at=q.closed_at,
        close_note=q.close_note,
        age_days=_age(q, on),
        thread=thread,
    )


def query_page(
    trial: Trial, actor: Actor, wanted: QueryFilter, on: dt.date | None = None
) -> QueryPage:
    """The queries the actor may see that match, oldest first, one page with their threads."""
    require(actor, Action.VIEW_QUERIES)
    study = trial.definition()
    _check_filter(wanted, study)
    on = on or dt.date.today()
    with trial.db.read() as session:
        stmt = _filtered(session, actor, wanted, on)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        pages = max(1, math.ceil(total / wanted.per_page))
        found = session.execute(
            stmt.order_by(Query.id)
            .offset((wanted.page - 1) * wanted.per_page)
            .limit(wanted.per_page)
        ).all()
        threads = _threads(session, [q.id for q, _, _ in found])
    rows = [_row(study, q, sn, code, on, threads[q.id]) for q, sn, code in found]
    return QueryPage(rows, total, wanted.page, pages, wanted)


def query_list(
    trial: Trial,
    actor: Actor,
    *,
    study_number: str | None = None,
    include_closed: bool = False,
    on: dt.date | None = None,
) -> list[QueryRow]:
    """Every query the actor may see (unresolved ones unless `include_closed`), optionally of
    one participant (checked like any other read)."""
    wanted = QueryFilter(
        state="all" if include_closed else "unresolved", study_number=study_number, per_page=500
    )
    first = query_page(trial, actor, wanted, on)
    rows = list(first.rows)
    for number in range(2, first.pages + 1):
        rows += query_page(trial, actor, QueryFilter(**{**vars(wanted), "page": number}), on).rows
    return rows


def query_row(trial: Trial, actor: Actor, query_id: int, on: dt.date | None = None) -> QueryRow:
    """One query the actor may see, with its thread."""
    require(actor, Action.VIEW_QUERIES)
    study = trial.definition()
    with trial.db.read() as session:
        found = session.execute(
            _filtered(session, actor, QueryFilter(state="all"), on or dt.date.today()).where(
                Query.id == query_id
            )
        ).first()
        if found is None:
            raise NotFoundError("query", str(query_id), "check the query number")
        q, sn, code = found
        thread = _threads(session, [q.id])[q.id]
    return _row(study, q, sn, code, on or dt.date.today(), thread)


def item_queries(rows: list[QueryRow]) -> dict[tuple[str, str, str], list[QueryRow]]:
    """Queries by (form, record key, item), to show each beside its item."""
    out: dict[tuple[str, str, str], list[QueryRow]] = {}
    for row in rows:
        out.setdefault((row.form, row.record_key or "", row.field_name), []).append(row)
    return out
