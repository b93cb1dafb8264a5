"""Form records of a study definition, through the real service on SQLite and PostgreSQL.

The study is the SYNTHETIC three-arm TOY-BP trial in tests/study/data/toy: nothing of it is
code, so these tests show the engine running a trial it was not written for.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cairo6.errors import FormError, StateError
from cairo6.service import admin
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.records import CHECK_RAISER, record_form, records_of, update_form
from cairo6.service.setup import initialise_study, open_trial
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor, verify
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, FormRecord, Query
from cairo6.study.loader import read_study_texts, study_from_texts

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"
TODAY = dt.date(2024, 6, 1)


@pytest.fixture
def toy(db: Database) -> tuple[Trial, Actor, str]:
    files = read_study_texts(TOY)
    trial = initialise_study(db, study_from_texts(files, "toy"), files)
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_centre(trial, boss, "H01", "Hospital One", dt.date(2024, 1, 1))
    admin.add_user(trial, boss, "nurse", "investigator", centre_code="H01")
    with db.read() as session:
        nurse = actor_for(session, "nurse")
    number = add_screening(trial, nurse, "H01", {"screened_on": "2024-01-10", "approached": True})
    assess_eligibility(
        trial, nurse, number, {"age_years": 61, "systolic_mmhg": 162}, dt.date(2024, 1, 11)
    )
    enrolment = randomise(trial, nurse, number, dt.date(2024, 1, 12))
    return open_trial(db), nurse, enrolment.study_number


def _baseline(trial: Trial, nurse: Actor, number: str) -> None:
    record_form(
        trial, nurse, number, "baseline",
        {"visit_date": "2024-01-12", "systolic": 158, "smoking": "never"}, today=TODAY,
    )  # fmt: skip


def test_the_study_is_bound_to_the_database(toy: tuple[Trial, Actor, str]) -> None:
    trial, _, _ = toy
    assert trial.study is not None
    assert trial.study.id == "TOY-BP"
    assert [a.id for a in trial.protocol.arms] == ["usual_care", "low_dose", "high_dose"]


def test_a_record_is_saved_with_derived_items_and_an_item_level_audit(
    toy: tuple[Trial, Actor, str],
) -> None:
    trial, nurse, number = toy
    record_form(
        trial,
        nurse,
        number,
        "baseline",
        {"visit_date": "2024-01-12", "systolic": "158", "smoking": "Never smoked"},
        today=TODAY,
    )
    saved = record_form(
        trial,
        nurse,
        number,
        "visit",
        {"week": 12, "visit_date": "2024-04-05", "systolic": 136, "adherence": "good"},
        today=TODAY,
    )
    assert saved.record_key == "12"
    records = records_of(trial, nurse, number)
    # Codes are stored, whatever label was typed; the derived item is computed, not typed.
    assert records["baseline"][0][1]["smoking"] == "never"
    assert records["visit"][0][1]["days_since_baseline"] == 84
    with trial.db.read() as session:
        audit = session.scalars(
            select(AuditRecord).where(AuditRecord.table_name == "form_record")
        ).all()
        changes = json.loads(audit[-1].changes)
        assert changes["data.systolic"] == [None, 136]
        assert changes["data.days_since_baseline"] == [None, 84]
        assert verify(session.connection()).ok


def test_every_problem_of_a_record_is_reported_and_nothing_is_saved(
    toy: tuple[Trial, Actor, str],
) -> None:
    trial, nurse, number = toy
    with pytest.raises(FormError) as refused:
        record_form(
            trial,
            nurse,
            number,
            "baseline",
            {"visit_date": "2024-13-01", "systolic": 400, "smoking": "current", "colour": "red"},
            today=TODAY,
        )
    fields = {p.field for p in refused.value.problems}
    # The date, the range, the branch that became required, and the unknown item, at once.
    assert fields == {"visit_date", "systolic", "cigarettes_per_day", "colour"}
    with trial.db.read() as session:
        assert session.scalar(select(func.count()).select_from(FormRecord)) == 0


def test_a_hidden_item_is_refused_and_a_form_needs_the_forms_it_requires(
    toy: tuple[Trial, Actor, str],
) -> None:
    trial, nurse, number = toy
    with pytest.raises(StateError, match="needs Baseline first"):
        record_form(
            trial, nurse, number, "visit", {"week": 1, "visit_date": "2024-01-20", "systolic": 150}
        )
    with pytest.raises(FormError) as refused:
        record_form(
            trial,
            nurse,
            number,
            "baseline",
            {
                "visit_date": "2024-01-12",
                "systolic": 150,
                "smoking": "never",
                "cigarettes_per_day": 5,
            },
            today=TODAY,
        )
    assert "asked only when smoking = current" in str(refused.value)


def test_a_hard_check_refuses_naming_the_item_and_a_soft_check_opens_a_query(
    toy: tuple[Trial, Actor, str],
) -> None:
    trial, nurse, number = toy
    _baseline(trial, nurse, number)
    with pytest.raises(FormError) as refused:
        record_form(
            trial, nurse, number, "visit",
            {"week": 1, "visit_date": "2024-01-01", "systolic": 150}, today=TODAY,
        )  # fmt: skip
    assert refused.value.problems[0].field == "visit_date"
    assert "after the baseline visit" in refused.value.problems[0].message
    saved = record_form(
        trial, nurse, number, "visit",
        {"week": 2, "visit_date": "2024-01-26", "systolic": 231}, today=TODAY,
    )  # fmt: skip
    assert saved.queries == ("very_high_pressure",)
    with trial.db.read() as session:
        query = session.scalars(select(Query)).one()
    assert (query.field_name, query.raised_by, query.status) == ("systolic", CHECK_RAISER, "open")
    assert query.record_id == saved.record_id


def test_an_edit_runs_the_same_checks_as_first_entry_and_needs_a_reason(
    toy: tuple[Trial, Actor, str],
) -> None:
    trial, nurse, number = toy
    _baseline(trial, nurse, number)
    record_form(
        trial, nurse, number, "visit",
        {"week": 4, "visit_date": "2024-02-09", "systolic": 150}, today=TODAY,
    )  # fmt: skip
    with pytest.raises(FormError, match="cannot be in the future"):
        update_form(
            trial, nurse, number, "visit", {"visit_date": "2099-01-01"},
            reason="typo", record_key="4", today=TODAY,
        )  # fmt: skip
    update_form(
        trial, nurse, number, "visit", {"systolic": 149},
        reason="corrected from source", record_key="4", today=TODAY,
    )  # fmt: skip
    visit = records_of(trial, nurse, number)["visit"][0][1]
    assert (visit["systolic"], visit["visit_date"]) == (149, dt.date(2024, 2, 9))
    with trial.db.read() as session:
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert last is not None
    assert json.loads(last.changes) == {"data.systolic": [150, 149]}
    assert last.reason == "corrected from source"


def test_the_replay_check_rebuilds_form_records_item_by_item(
    toy: tuple[Trial, Actor, str],
) -> None:
    from sqlalchemy import text

    from cairo6.store.replay import replay

    trial, nurse, number = toy
    _baseline(trial, nurse, number)
    update_form(
        trial, nurse, number, "baseline", {"systolic": 157}, reason="re-measured", today=TODAY
    )
    with trial.db.read() as session:
        assert replay(session.connection()) == []
    # A value changed behind the trail's back is named, item and all.
    with trial.db.engine.begin() as conn:
        if trial.db.is_sqlite:
            conn.execute(text("UPDATE form_record SET data = json_set(data, '$.systolic', 99)"))
        else:
            conn.execute(
                text(
                    "UPDATE form_record SET data = jsonb_set(data::jsonb, '{systolic}', '99')::json"
                )
            )
    with trial.db.read() as session:
        found = replay(session.connection())
    assert [(d.table, d.field) for d in found] == [("form_record", "data")]
    assert found[0].in_table["systolic"] == 99
    assert found[0].by_trail["systolic"] == 157
