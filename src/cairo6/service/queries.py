"""Data queries: the trial office asks about a field, the site answers, the office closes."""

from __future__ import annotations

from sqlalchemy import select

from cairo6.errors import InvalidValueError, NotFoundError, StateError
from cairo6.service.permissions import CENTRE_BOUND, Action, require
from cairo6.service.trial import Trial, participant
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Participant, Query


def raise_query(
    trial: Trial,
    actor: Actor,
    study_number: str,
    form: str,
    field_name: str,
    question: str,
    record_id: int | None = None,
) -> int:
    """Open a query on one field of one participant's form."""
    require(actor, Action.RAISE_QUERY)
    fields = [item.id for item in trial.definition().form(form).items()]
    if field_name not in fields:
        raise InvalidValueError("field", field_name, ", ".join(fields), "name a field of the form")
    if not question.strip():
        raise InvalidValueError("question", question, "the question in words", "write it")
    with trial.db.write(actor) as session:
        person = participant(session, actor, study_number, Action.RAISE_QUERY)
        query = Query(
            participant_id=person.id,
            form=form,
            record_id=record_id,
            field_name=field_name,
            question=question.strip(),
            status="open",
            raised_by=actor.username,
        )
        session.add(query)
        session.flush()
        return query.id


def answer_query(trial: Trial, actor: Actor, query_id: int, answer: str) -> None:
    """The site's answer; the query waits for the trial office to close it."""
    require(actor, Action.ANSWER_QUERY)
    if not answer.strip():
        raise InvalidValueError("answer", answer, "the answer in words", "write it")
    with trial.db.write(actor, reason="query answered") as session:
        query = _visible(session, actor, query_id)
        if query.status == "closed":
            raise StateError(f"query {query_id} is closed", "raise a new query if needed")
        query.answer = answer.strip()
        query.status = "answered"


def close_query(trial: Trial, actor: Actor, query_id: int, note: str = "resolved") -> None:
    """Close a query once the answer (or a data correction) settles it."""
    require(actor, Action.CLOSE_QUERY)
    with trial.db.write(actor, reason=f"query closed: {note}") as session:
        query = _visible(session, actor, query_id)
        if query.status == "closed":
            raise StateError(f"query {query_id} is already closed", "nothing to do")
        query.status = "closed"


def _visible(session: StoreSession, actor: Actor, query_id: int) -> Query:
    query = session.get(Query, query_id)
    if query is not None and actor.role in CENTRE_BOUND:
        person = session.get_one(Participant, query.participant_id)
        if person.centre_id != actor.centre_id:
            query = None
    if query is None:
        raise NotFoundError("query", str(query_id), "check the query number")
    return query


def open_queries(trial: Trial, actor: Actor) -> list[tuple[Query, str]]:
    """Queries not yet closed, with the participant's study number, that the actor may see."""
    with trial.db.read() as session:
        stmt = (
            select(Query, Participant.study_number, Participant.centre_id)
            .join(Participant, Participant.id == Query.participant_id)
            .where(Query.status != "closed")
            .order_by(Query.id)
        )
        rows = session.execute(stmt).all()
    return [
        (q, sn)
        for q, sn, centre in rows
        if actor.role not in CENTRE_BOUND or centre == actor.centre_id
    ]
