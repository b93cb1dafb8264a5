"""Data queries on items: a query names participant, form, record key and item, each checked;
open -> answered -> closed -> re-opened with a thread of who and when; filters and ageing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from cairo6.errors import InvalidValueError, NotFoundError, PermissionDeniedError, StateError
from cairo6.service import queries
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.service.queries import QueryFilter, query_list, query_page, query_row
from cairo6.service.records import record_form, update_form
from cairo6.store.schema import Query, QueryEvent
from tests.service.conftest import Site, enrol
from tests.service.test_forms import _surgery

TODAY = dt.date(2019, 1, 1)


def _with_records(site: Site, centre: str = "C01") -> str:
    who = site.inv1 if centre == "C01" else site.inv2
    sn = enrol(site, who, centre).study_number
    record_form(site.trial, who, sn, "surgery", _surgery(dt.date(2018, 2, 5)), today=TODAY)
    for k, day in ((1, "2018-02-08"), (2, "2018-02-10")):
        record_form(
            site.trial,
            who,
            sn,
            "complication",
            {"term": f"Ileus {k}", "ctcae_term": "Ileus", "grade": "II", "onset_date": day},
            today=TODAY,
        )
    return sn


def test_a_query_names_its_record_by_form_key_and_item(site: Site) -> None:
    sn = _with_records(site)
    qid = queries.raise_query(site.trial, site.dm, sn, "surgery", "cc_score", "CC-0 or CC-1?")
    [row] = query_list(site.trial, site.inv1)
    assert (row.id, row.form, row.record_key, row.field_name) == (qid, "surgery", "", "cc_score")
    assert row.item_label != "cc_score"  # labels, not codes
    assert row.form_label != "surgery"
    assert row.centre == "C01"
    assert row.link == (f"/participants/{sn}#form-surgery")
    # A repeating form needs its key when it has more than one record.
    with pytest.raises(InvalidValueError, match="record key") as many:
        queries.raise_query(site.trial, site.dm, sn, "complication", "grade", "II?")
    assert "--key" in str(many.value)
    keyed = queries.raise_query(
        site.trial, site.dm, sn, "complication", "grade", "II?", record_key="2"
    )
    assert query_row(site.trial, site.dm, keyed).record_key == "2"


@pytest.mark.parametrize(
    ("form", "item", "key", "field"),
    [
        ("user", "username", None, "form"),  # not a form of the study: never a table
        ("participant", "centre_id", None, "form"),
        ("surgery", "password_hash", None, "item"),
        ("surgery", "cc", None, "item"),
        ("complication", "grade", "9", "record"),
        ("discharge", "discharge_date", None, "record"),  # no such record yet
    ],
)
def test_a_query_on_anything_but_an_item_of_a_record_is_refused(
    site: Site, form: str, item: str, key: str | None, field: str
) -> None:
    sn = _with_records(site)
    with pytest.raises(InvalidValueError) as refused:
        queries.raise_query(site.trial, site.dm, sn, form, item, "?", record_key=key)
    assert refused.value.field == field
    assert repr(form if field == "form" else item if field == "item" else key) in str(refused.value)
    with site.trial.db.read() as session:
        assert session.scalars(select(Query)).all() == []


def test_another_participants_record_or_another_centre_is_refused(site: Site) -> None:
    mine = _with_records(site, "C01")
    theirs = _with_records(site, "C02")
    # The record key of another participant's record never reaches it: records are looked up
    # within the named participant only.
    qid = queries.raise_query(
        site.trial, site.dm, mine, "complication", "grade", "?", record_key="2"
    )
    with site.trial.db.read() as session:
        query = session.get_one(Query, qid)
        from cairo6.store.schema import FormRecord, Participant

        owner = session.get_one(FormRecord, query.record_id).participant_id
        assert session.get_one(Participant, owner).study_number == mine
    # Site staff see, answer and list only their own centre's queries.
    other = queries.raise_query(site.trial, site.dm, theirs, "surgery", "cc_score", "?")
    with pytest.raises(NotFoundError):
        queries.answer_query(site.trial, site.inv1, other, "CC-0")
    with pytest.raises(NotFoundError):
        query_row(site.trial, site.inv1, other)
    with pytest.raises(NotFoundError):
        query_list(site.trial, site.inv1, study_number=theirs)
    assert {r.study_number for r in query_list(site.trial, site.inv1)} == {mine}


def test_states_thread_and_one_answer_only(site: Site) -> None:
    sn = _with_records(site)
    qid = queries.raise_query(site.trial, site.dm, sn, "surgery", "cc_score", "CC-0 or CC-1?")
    with pytest.raises(PermissionDeniedError):
        queries.close_query(site.trial, site.inv1, qid)
    with pytest.raises(PermissionDeniedError):
        queries.raise_query(site.trial, site.inv1, sn, "surgery", "cc_score", "?")
    queries.answer_query(site.trial, site.inv1, qid, "CC-0 per operative report")
    with pytest.raises(StateError, match="already answered"):
        queries.answer_query(site.trial, site.inv1, qid, "again")
    with pytest.raises(StateError, match="open already"):
        queries.reopen_query(
            site.trial,
            site.dm,
            queries.raise_query(site.trial, site.dm, sn, "surgery", "operating_time_min", "?"),
            "why",
        )
    queries.close_query(site.trial, site.monitor, qid, "agrees with the operative report")
    with pytest.raises(StateError):
        queries.answer_query(site.trial, site.inv1, qid, "late")
    with pytest.raises(InvalidValueError, match="reason"):
        queries.reopen_query(site.trial, site.dm, qid, " ")
    queries.reopen_query(site.trial, site.dm, qid, "the pathology report says CC-1")
    queries.answer_query(site.trial, site.inv1, qid, "CC-1, corrected")
    queries.close_query(site.trial, site.dm, qid, "corrected")
    row = query_row(site.trial, site.dm, qid, on=TODAY)
    assert (row.status, row.close_note, row.closed_by, row.answered_by) == (
        "closed",
        "corrected",
        "dm",
        "inv1",
    )
    assert [(s.step, s.username, s.text) for s in row.thread] == [
        ("raised", "dm", "CC-0 or CC-1?"),
        ("answered", "inv1", "CC-0 per operative report"),
        ("closed", "monitor", "agrees with the operative report"),
        ("reopened", "dm", "the pathology report says CC-1"),
        ("answered", "inv1", "CC-1, corrected"),
        ("closed", "dm", "corrected"),
    ]
    assert all(s.at for s in row.thread)
    assert verify_trail(site.trial.db).ok
    assert replay_trail(site.trial.db) == []


def test_a_soft_check_opens_an_item_query_once_while_unresolved(site: Site) -> None:
    sn = enrol(site).study_number
    long = _surgery(dt.date(2018, 2, 5), operating_time_min=1000)
    saved = record_form(site.trial, site.inv1, sn, "surgery", long, today=TODAY)
    assert saved.queries
    update_form(
        site.trial, site.inv1, sn, "surgery", {"cc_score": 1}, reason="typo", today=TODAY
    )  # the check still fails: no second query while the first is unresolved
    [row] = query_list(site.trial, site.dm)
    assert (row.by_check, row.record_id, row.record_key) == (True, saved.record_id, "")
    assert (row.field_name, row.question.count("15 hours")) == ("operating_time_min", 1)
    assert [s.step for s in row.thread] == ["raised"]
    with site.trial.db.read() as session:
        assert len(session.scalars(select(QueryEvent)).all()) == 1


def test_filters_search_ageing_and_pages(site: Site) -> None:
    mine = _with_records(site, "C01")
    theirs = _with_records(site, "C02")
    ids = [
        queries.raise_query(site.trial, site.dm, mine, "surgery", "cc_score", "CC?"),
        queries.raise_query(site.trial, site.dm, theirs, "surgery", "cc_score", "PCI pelvis?"),
        queries.raise_query(
            site.trial, site.dm, theirs, "complication", "grade", "II?", record_key="1"
        ),
    ]
    queries.answer_query(site.trial, site.inv2, ids[2], "yes")
    dm = site.dm
    today = dt.date.today()

    def found(on: dt.date = today, **wanted: object) -> list[int]:
        return [r.id for r in query_page(site.trial, dm, QueryFilter(**wanted), on).rows]  # type: ignore[arg-type]

    assert found() == ids
    assert found(centre="C02") == ids[1:]
    assert found(state="answered") == [ids[2]]
    assert found(state="open") == ids[:2]
    assert found(form="complication") == [ids[2]]
    assert found(search="pelvis") == [ids[1]]
    assert found(search=theirs.lower()) == ids[1:]
    assert found(min_age_days=1) == []
    assert found(on=today + dt.timedelta(days=10), min_age_days=10) == ids
    assert query_row(site.trial, dm, ids[0], on=today + dt.timedelta(days=10)).age_days == 10
    first = query_page(site.trial, dm, QueryFilter(per_page=2), today)
    second = query_page(site.trial, dm, QueryFilter(per_page=2, page=2), today)
    assert (first.total, first.pages, [r.id for r in first.rows + second.rows]) == (3, 2, ids)
    with pytest.raises(InvalidValueError, match="state"):
        found(state="pending")
    with pytest.raises(InvalidValueError, match="form"):
        found(form="user")
