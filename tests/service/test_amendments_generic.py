"""Amendments are generic: the SYNTHETIC toy study (not CAIRO6), on SQLite and PostgreSQL. A form
retired by an amendment takes no new record, a retired item no new value, while the records
entered before keep their version and are corrected against it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cairo6.errors import FormError, StateError
from cairo6.service import admin, amendments, enrolment, records
from cairo6.service.audit_view import replay_trail
from cairo6.service.setup import initialise_study
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import FormRecord
from cairo6.study.loader import resolve_study

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"
ON = dt.date(2024, 1, 10)


def test_retired_form_and_item_of_another_study(db: Database) -> None:
    study, files = resolve_study(str(TOY))
    trial = initialise_study(db, study, files)
    admin.bootstrap_admin(trial, "admin")
    boss = Actor("admin", "administrator", user_id=1)
    admin.add_centre(trial, boss, "H01", "Hospital one", dt.date(2024, 1, 1))
    admin.add_user(trial, boss, "dm", "data_manager")
    dm = Actor("dm", "data_manager", user_id=2)
    number = enrolment.add_screening(
        trial, dm, "H01", {"screened_on": ON, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(trial, dm, number, {"age_years": 60, "systolic_mmhg": 165}, ON)
    person = enrolment.randomise(trial, dm, number, ON).study_number
    baseline = {"visit_date": ON.isoformat(), "systolic": 165, "smoking": "current"}
    records.record_form(trial, dm, person, "baseline", {**baseline, "cigarettes_per_day": 10})

    forms = files["forms.toml"]
    item = 'visible_when = { field = "smoking", op = "eq", value = "current" }\nrequired = true\n'
    stroke = 'id = "stroke"\nlabel = "Stroke"\n'
    assert item in forms
    assert stroke in forms
    amended = forms.replace(item, item.replace("required = true", "retired = true")).replace(
        stroke, stroke + "retired = true\n"
    )
    version = amendments.amend(
        trial, Actor("admin", "administrator"), {"forms.toml": amended}, dt.date.today(), "v2"
    )
    assert version.number == 2

    with pytest.raises(StateError, match="retired"):
        records.record_form(trial, dm, person, "stroke", {"stroke_date": ON.isoformat()})
    second = enrolment.add_screening(
        trial, dm, "H01", {"screened_on": ON, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(trial, dm, second, {"age_years": 70, "systolic_mmhg": 150}, ON)
    other = enrolment.randomise(trial, dm, second, ON).study_number
    with pytest.raises(FormError) as refused:
        records.record_form(trial, dm, other, "baseline", {**baseline, "cigarettes_per_day": 5})
    assert [p.field for p in refused.value.problems] == ["cigarettes_per_day"]
    saved = records.record_form(trial, dm, other, "baseline", baseline)

    # The first record keeps version 1 and its retired item, and is corrected against version 1.
    fixed = records.update_form(
        trial, dm, person, "baseline", {"cigarettes_per_day": 12}, reason="source document"
    )
    with trial.db.read() as session:
        old = session.get_one(FormRecord, fixed.record_id)
        new = session.get_one(FormRecord, saved.record_id)
        assert (old.study_version, old.data["cigarettes_per_day"]) == (1, 12)
        assert new.study_version == 2
        assert "cigarettes_per_day" not in new.data
    assert replay_trail(trial.db) == []
