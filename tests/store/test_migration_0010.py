"""Migration 0010 on a trial made before versions were kept (SQLite and PostgreSQL): the bound
definition becomes version 1, effective from the accrual start, with its audit record; the
trail still accounts for every stored value."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cairo6.service import admin
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.service.setup import open_trial
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.meta import bind_protocol, bind_study, study_files
from cairo6.store.migrate import current_revision, upgrade
from cairo6.store.schema import AuditRecord, StudyVersion
from cairo6.store.versions import files_sha256
from cairo6.study.loader import resolve_study


def test_the_bound_definition_becomes_version_1(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db, "0006")
    study, files = resolve_study("cairo6")
    bind_protocol(db, files[study.manifest.protocol])
    bind_study(db, files)
    trial = open_trial(db)
    admin.bootstrap_admin(trial, "admin")
    boss = Actor("admin", "administrator", user_id=1)
    admin.add_centre(trial, boss, "C01", "Centre one", dt.date(2017, 6, 1))

    upgrade(db)
    assert current_revision(db) not in (None, "0006")
    with db.read() as session:
        versions = session.scalars(select(StudyVersion)).all()
        assert [(v.number, v.effective_on, v.created_by) for v in versions] == [
            (1, study.trial_protocol.accrual.start, "migration-0010")
        ]
        assert versions[0].files == study_files(db)
        assert versions[0].sha256 == files_sha256(files)
        trail = session.scalars(
            select(AuditRecord).where(AuditRecord.table_name == "study_version")
        ).all()
        assert [(r.action, r.record_id, r.username) for r in trail] == [
            ("insert", "1", "migration-0010")
        ]
    assert verify_trail(db).ok
    assert replay_trail(db) == []
    reopened = open_trial(db)
    assert reopened.definition().version == 1
    assert reopened.definition_on(dt.date(2000, 1, 1)).version == 1
    # Upgrading again changes nothing (the version is written once).
    upgrade(db)
    with db.read() as session:
        assert len(session.scalars(select(StudyVersion)).all()) == 1
    db.dispose()
