"""The form lifecycle, signatures and the database lock, through the real service on SQLite files.

The study is the SYNTHETIC TOY-BP trial in tests/study/data/toy (not CAIRO6): the lifecycle is
the engine's, for every form of every study.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cairo6.errors import (
    DatabaseLockedError,
    InvalidValueError,
    PermissionDeniedError,
    StateError,
)
from cairo6.service import admin, lifecycle
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.exchange_export import export_csv
from cairo6.service.exchange_import import import_directory
from cairo6.service.lifecycle import Status
from cairo6.service.passwords import hash_password
from cairo6.service.records import record_form, update_form
from cairo6.service.setup import initialise_study, open_trial
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor, verify
from cairo6.store.engine import Database
from cairo6.store.replay import replay
from cairo6.store.schema import AuditRecord, DatabaseLock, Query, RecordStep, Signature
from cairo6.study.loader import read_study_texts, study_from_texts

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"
TODAY = dt.date(2024, 6, 1)
PASSWORD = "a long signing passphrase 42"
VISIT = {"week": 12, "visit_date": "2024-04-05", "systolic": 136, "adherence": "good"}


@functools.cache
def _hash() -> str:
    return hash_password(PASSWORD, "investigator")


class Toy:
    """The toy trial with one participant and a user of each role the lifecycle needs."""

    def __init__(self, trial: Trial, actors: dict[str, Actor], number: str) -> None:
        self.trial = trial
        self.number = number
        self.nurse = actors["nurse"]
        self.inv = actors["inv"]
        self.other_inv = actors["inv2"]
        self.monitor = actors["monitor"]
        self.dm = actors["dm"]
        self.stat = actors["stat"]


def _build(target: Path | Database, files: dict[str, str]) -> Toy:
    db = target if isinstance(target, Database) else Database(str(target))
    trial = initialise_study(db, study_from_texts(files, "toy"), files)
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_centre(trial, boss, "H01", "Hospital One", dt.date(2024, 1, 1))
    admin.add_centre(trial, boss, "H02", "Hospital Two", dt.date(2024, 1, 1))
    users = {
        "nurse": ("research_nurse", "H01"),
        "inv": ("investigator", "H01"),
        "inv2": ("investigator", "H02"),
        "monitor": ("monitor", None),
        "dm": ("data_manager", None),
        "stat": ("statistician", None),
    }
    for name, (role, centre) in users.items():
        admin.add_user(
            trial,
            boss,
            name,
            role,
            centre_code=centre,
            full_name=f"Dr {name}",
            password_hash=_hash() if role == "investigator" else None,
        )
    with db.read() as session:
        actors = {name: actor_for(session, name) for name in users}
    nurse = actors["nurse"]
    number = add_screening(trial, nurse, "H01", {"screened_on": "2024-01-10", "approached": True})
    assess_eligibility(
        trial, nurse, number, {"age_years": 61, "systolic_mmhg": 162}, dt.date(2024, 1, 11)
    )
    enrolment = randomise(trial, actors["inv"], number, dt.date(2024, 1, 12))
    trial = open_trial(db)
    base = {"visit_date": "2024-01-12", "systolic": 158, "smoking": "never"}
    record_form(trial, nurse, enrolment.study_number, "baseline", base, today=TODAY)
    record_form(trial, nurse, enrolment.study_number, "visit", VISIT, today=TODAY)
    return Toy(trial, actors, enrolment.study_number)


@pytest.fixture
def toy(tmp_path: Path) -> Toy:
    built = _build(tmp_path / "toy.db", read_study_texts(TOY))
    yield built
    built.trial.db.dispose()


def _state(t: Toy, form: str, key: str = "") -> lifecycle.RecordState:
    state = lifecycle.casebook(t.trial, t.dm, t.number).state(form, key)
    assert state is not None
    return state


def _counts(t: Toy) -> tuple[int, int, int, int]:
    with t.trial.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(RecordStep)) or 0,
            session.scalar(select(func.count()).select_from(Signature)) or 0,
            session.scalar(select(func.count()).select_from(DatabaseLock)) or 0,
            session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


def test_a_record_goes_through_every_step_and_each_is_audited(toy: Toy) -> None:
    t = toy
    assert _state(t, "visit", "12").status is Status.IN_PROGRESS
    state = lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    assert state.status is Status.COMPLETE
    assert state.completed is not None
    assert state.completed.username == "nurse"
    state = lifecycle.take_step(t.trial, t.monitor, t.number, "visit", "verify", record_key="12")
    assert state.status is Status.VERIFIED
    # Every entered item is marked with the value the monitor checked; derived items are not.
    assert set(state.sdv) == {"week", "visit_date", "systolic", "adherence"}
    assert state.sdv["systolic"].value == 136
    signed = lifecycle.sign(t.trial, t.inv, t.number, PASSWORD, form_id="visit", record_key="12")
    assert signed.valid
    assert signed.printed_name == "Dr inv"
    assert signed.scope == "visit"
    assert signed.label == "Follow-up visit 12"
    # Bound to the record's exact version: its content hash and its latest audit record.
    (covered,) = signed.records
    with t.trial.db.read() as session:
        latest = session.scalar(
            select(func.max(AuditRecord.seq)).where(
                AuditRecord.table_name == "form_record",
                AuditRecord.record_id == str(covered.record_id),
            )
        )
    assert covered.audit_seq == latest
    assert covered.data_hash == _state(t, "visit", "12").data_hash
    assert _state(t, "visit", "12").status is Status.SIGNED
    lifecycle.take_step(t.trial, t.dm, t.number, "visit", "freeze", record_key="12")
    assert _state(t, "visit", "12").status is Status.FROZEN
    lifecycle.take_step(t.trial, t.dm, t.number, "visit", "lock", record_key="12")
    assert _state(t, "visit", "12").status is Status.LOCKED
    lifecycle.take_step(
        t.trial, t.dm, t.number, "visit", "unlock", record_key="12", reason="query from DMC"
    )
    assert _state(t, "visit", "12").status is Status.FROZEN
    with t.trial.db.read() as session:
        trail = session.scalars(
            select(AuditRecord).where(AuditRecord.table_name == "record_step")
        ).all()
        assert [json.loads(r.changes)["step"][1] for r in trail] == [
            "complete", "verify", "freeze", "lock", "unlock",
        ]  # fmt: skip
        assert trail[-1].reason == "query from DMC"
        assert trail[-1].participant == t.number
        signature = session.scalars(
            select(AuditRecord).where(AuditRecord.table_name == "signature")
        ).one()
        assert signature.username == "inv"
        assert verify(session.connection()).ok
        # Every step and signature row follows from the trail (`audit verify --data`).
        assert replay(session.connection()) == []


def test_a_change_voids_the_signature_and_outdates_the_verification(toy: Toy) -> None:
    t = toy
    lifecycle.take_step(t.trial, t.nurse, t.number, "baseline", "complete")
    lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    lifecycle.take_step(t.trial, t.monitor, t.number, "visit", "verify", record_key="12")
    lifecycle.sign(t.trial, t.inv, t.number, PASSWORD)
    book = lifecycle.casebook(t.trial, t.dm, t.number)
    assert [s.scope for s in book.signatures] == ["casebook"]
    assert len(book.signatures[0].records) == 2
    assert not book.resign_needed
    update_form(
        t.trial, t.nurse, t.number, "visit", {"systolic": 138},
        reason="transcription error", record_key="12", today=TODAY,
    )  # fmt: skip
    book = lifecycle.casebook(t.trial, t.dm, t.number)
    signature = book.signatures[0]
    assert not signature.valid
    assert signature.voided_because.startswith("Follow-up visit 12 changed after signing")
    assert "by nurse" in signature.voided_because
    assert "transcription error" in (signature.voided_because)
    assert book.resign_needed
    state = book.state("visit", "12")
    assert state is not None
    assert state.resign_needed
    assert state.status is Status.COMPLETE
    assert state.verification_outdated
    assert state.verified is None
    # Only the changed item lost its mark; the others still hold.
    assert state.outdated_marks == ("systolic",)
    assert "week" in state.sdv
    lifecycle.sign(t.trial, t.inv, t.number, PASSWORD)
    book = lifecycle.casebook(t.trial, t.dm, t.number)
    assert not book.resign_needed
    assert [s.valid for s in book.signatures] == [False, True]


def test_steps_that_do_not_fit_are_refused_and_change_nothing(toy: Toy) -> None:
    t = toy
    before = _counts(t)
    with pytest.raises(StateError, match="in progress"):
        lifecycle.take_step(t.trial, t.monitor, t.number, "visit", "verify", record_key="12")
    with pytest.raises(StateError, match="only complete records can be signed"):
        lifecycle.sign(t.trial, t.inv, t.number, PASSWORD, form_id="visit", record_key="12")
    with pytest.raises(StateError, match="in progress"):
        lifecycle.take_step(t.trial, t.dm, t.number, "visit", "lock", record_key="12")
    with pytest.raises(StateError, match="not frozen"):
        lifecycle.take_step(
            t.trial, t.dm, t.number, "visit", "unfreeze", record_key="12", reason="x"
        )
    with pytest.raises(InvalidValueError, match="reason"):
        lifecycle.take_step(t.trial, t.dm, t.number, "visit", "unlock", record_key="12")
    assert _counts(t) == before
    lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    with pytest.raises(StateError, match="already complete"):
        lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    with pytest.raises(StateError, match="not checked against the source"):
        lifecycle.take_step(
            t.trial, t.monitor, t.number, "visit", "verify", record_key="12", items=["week"]
        )
    with pytest.raises(InvalidValueError, match="items"):
        lifecycle.take_step(
            t.trial, t.monitor, t.number, "visit", "sdv", record_key="12", items=["password"]
        )
    lifecycle.take_step(t.trial, t.dm, t.number, "visit", "lock", record_key="12")
    after_lock = _counts(t)
    with pytest.raises(StateError, match="locked"):
        update_form(
            t.trial, t.nurse, t.number, "visit", {"systolic": 140},
            reason="typo", record_key="12", today=TODAY,
        )  # fmt: skip
    with pytest.raises(StateError, match="locked"):
        lifecycle.take_step(t.trial, t.monitor, t.number, "visit", "verify", record_key="12")
    assert _counts(t) == after_lock
    assert (
        _state(t, "visit", "12").data_hash
        == lifecycle.casebook(t.trial, t.inv, t.number).states[("visit", "12")].data_hash
    )


def test_each_step_asks_the_permission_table(toy: Toy) -> None:
    t = toy
    lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    refused = [
        (t.nurse, "verify"),
        (t.inv, "freeze"),
        (t.monitor, "lock"),
        (t.stat, "complete"),
    ]
    for actor, step in refused:
        with pytest.raises(PermissionDeniedError):
            lifecycle.take_step(t.trial, actor, t.number, "visit", step, record_key="12")
    with pytest.raises(PermissionDeniedError):
        lifecycle.sign(t.trial, t.nurse, t.number, PASSWORD)
    with pytest.raises(PermissionDeniedError):
        lifecycle.lock_database(t.trial, t.monitor, "final analysis")
    # An investigator of another centre does not find the participant at all.
    with pytest.raises(Exception, match="does not exist"):
        lifecycle.sign(t.trial, t.other_inv, t.number, PASSWORD)


def test_a_wrong_password_signs_nothing_and_is_kept_in_the_trail(toy: Toy) -> None:
    t = toy
    lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    with pytest.raises(InvalidValueError, match="password") as caught:
        lifecycle.sign(t.trial, t.inv, t.number, "wrong", form_id="visit", record_key="12")
    assert "wrong" not in str(caught.value)
    with t.trial.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Signature)) == 0
        failed = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "sign_failed")
        ).one()
        assert failed.username == "inv"
        assert failed.participant == t.number


def test_the_locked_database_refuses_every_write_until_unlocked(toy: Toy, tmp_path: Path) -> None:
    t = toy
    with t.trial.db.read() as session:
        assert lifecycle.database_lock(session) is None
    assert lifecycle.report_status(t.trial.db).startswith("INTERIM")
    held = lifecycle.lock_database(t.trial, t.dm, "final analysis")
    assert held.username == "dm"
    assert lifecycle.report_status(t.trial.db).startswith("FINAL")
    before = _counts(t)
    with pytest.raises(DatabaseLockedError, match="database is locked"):
        record_form(t.trial, t.nurse, t.number, "visit", {**VISIT, "week": 24}, today=TODAY)
    with pytest.raises(DatabaseLockedError):
        add_screening(
            t.trial, t.nurse, "H01", {"screened_on": "2024-02-10", "approached": False,
                                      "not_approached_reason": "unknown"},
        )  # fmt: skip
    with pytest.raises(DatabaseLockedError):
        lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    with pytest.raises(StateError, match="already locked"):
        lifecycle.lock_database(t.trial, t.dm, "again")
    export_dir = tmp_path / "export"  # reading is still allowed; importing is not
    export_csv(t.trial, t.dm, export_dir)
    with pytest.raises(DatabaseLockedError):
        import_directory(t.trial, t.dm, export_dir)
    assert _counts(t) == before
    with pytest.raises(InvalidValueError, match="reason"):
        lifecycle.unlock_database(t.trial, t.dm, "  ")
    lifecycle.unlock_database(t.trial, t.dm, "late lab values")
    record_form(t.trial, t.nurse, t.number, "visit", {**VISIT, "week": 24}, today=TODAY)
    with t.trial.db.read() as session:
        reasons = session.scalars(
            select(AuditRecord.reason).where(AuditRecord.table_name == "database_lock")
        ).all()
    assert reasons == ["final analysis", "late lab values"]


def test_open_queries_forbid_the_lock_when_the_plan_says_so(toy: Toy, tmp_path: Path) -> None:
    t = toy
    with t.trial.db.write(t.dm) as session:
        session.add(
            Query(
                participant_id=1, form="visit", record_id=None, field_name="systolic",
                question="please check", status="open", raised_by="dm",
            )
        )  # fmt: skip
    before = _counts(t)
    with pytest.raises(StateError, match="1 query is not closed"):
        lifecycle.lock_database(t.trial, t.dm, "final analysis")
    assert _counts(t) == before
    # A study whose plan allows it locks with the query open.
    files = read_study_texts(TOY)
    files["study.toml"] += "\n[data_management]\nlock_requires_no_open_queries = false\n"
    other = _build(tmp_path / "other.db", files)
    try:
        with other.trial.db.write(other.dm) as session:
            session.add(
                Query(
                    participant_id=1, form="visit", record_id=None, field_name="systolic",
                    question="please check", status="open", raised_by="dm",
                )
            )  # fmt: skip
        assert lifecycle.lock_database(other.trial, other.dm, "final analysis").username == "dm"
    finally:
        other.trial.db.dispose()


def test_the_lifecycle_and_the_lock_on_each_backend(db: Database) -> None:
    """The same steps on SQLite and PostgreSQL: JSON marks, signatures, the lock at the flush."""
    t = _build(db, read_study_texts(TOY))
    lifecycle.take_step(t.trial, t.nurse, t.number, "visit", "complete", record_key="12")
    state = lifecycle.take_step(
        t.trial, t.monitor, t.number, "visit", "sdv", record_key="12", items=["systolic"]
    )
    assert state.sdv["systolic"].value == 136
    lifecycle.sign(t.trial, t.inv, t.number, PASSWORD, form_id="visit", record_key="12")
    update_form(
        t.trial, t.nurse, t.number, "visit", {"adherence": "poor"},
        reason="patient diary", record_key="12", today=TODAY,
    )  # fmt: skip
    book = lifecycle.casebook(t.trial, t.dm, t.number)
    assert book.resign_needed
    assert "systolic" in book.states[("visit", "12")].sdv  # an unchanged item keeps its mark
    screening = add_screening(
        t.trial, t.nurse, "H01", {"screened_on": "2024-02-10", "approached": True}
    )
    assess_eligibility(
        t.trial, t.nurse, screening, {"age_years": 55, "systolic_mmhg": 150}, dt.date(2024, 2, 11)
    )
    lifecycle.lock_database(t.trial, t.dm, "final analysis")
    before = _counts(t)
    with pytest.raises(DatabaseLockedError):
        randomise(t.trial, t.inv, screening, dt.date(2024, 2, 12))
    assert _counts(t) == before
    with t.trial.db.read() as session:
        assert verify(session.connection()).ok
        assert replay(session.connection()) == []
