"""The form lifecycle pages over HTTP, on the real app and a SQLite file of the SYNTHETIC toy
study: complete, sign (password), verify (per item), a change voiding the signature, the
database lock and the report then FINAL. Refused steps say why and change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cairo6.service import web_support
from cairo6.service.trial import actor_for
from cairo6.store.schema import AuditRecord
from cairo6.study.loader import read_study_texts
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.service.test_lifecycle import TOY, Toy, _build
from tests.web.conftest import PASSWORD, login, password_hash


@pytest.fixture
def lifecycle_app(tmp_path: Path) -> tuple[FastAPI, Toy]:
    """The toy trial (a research nurse, an investigator, a monitor, a data manager at work on
    one participant with a baseline and a week-12 visit), every account with PASSWORD."""
    toy = _build(tmp_path / "toy.db", read_study_texts(TOY))
    with toy.trial.db.read() as session:
        boss = actor_for(session, "admin")
    for name in ("nurse", "inv", "inv2", "monitor", "dm"):
        web_support.set_password(toy.trial, boss, name, password_hash())
    return create_app(toy.trial.db, WebSettings()), toy


def _post(client: Any, csrf: str, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf}, follow_redirects=True)


def _writes(toy: Toy) -> int:
    with toy.trial.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_complete_sign_verify_void_and_lock_over_http(lifecycle_app: tuple[FastAPI, Toy]) -> None:
    app, toy = lifecycle_app
    n = toy.number
    visit = f"/participants/{n}/records/visit"
    nurse, nurse_csrf = login(app, "nurse")
    page = nurse.get(f"/participants/{n}").text
    assert page.count('data-record-status="in_progress"') == 2
    done = _post(nurse, nurse_csrf, f"{visit}/complete", {"key": "12"})
    assert done.status_code == 200
    assert 'data-record-status="complete"' in done.text
    assert "Marked complete." in done.text
    # The nurse holds no step beyond completing: no other button, and a forged post is refused.
    assert "Verify against the source" not in done.text
    assert ">Lock<" not in done.text
    before = _writes(toy)
    refused = _post(nurse, nurse_csrf, f"{visit}/lock", {"key": "12", "step": "lock"})
    assert refused.status_code == 403
    assert _writes(toy) == before

    inv, inv_csrf = login(app, "inv")
    sign = inv.get(f"/participants/{n}/sign?form=visit&key=12").text
    assert "Meaning of this signature:" in sign
    assert "You sign as <strong>Dr inv</strong> (inv)" in sign
    casebook = inv.get(f"/participants/{n}/sign").text
    assert "cannot be signed until the site marks it complete: Baseline" in casebook
    assert toy.trial.definition().manifest.data_management.signature_meaning in sign
    before = _writes(toy)
    wrong = _post(inv, inv_csrf, f"/participants/{n}/sign", {"form": "visit", "key": "12",
                                                               "password": "not it"})  # fmt: skip
    assert wrong.status_code == 400
    assert "password of inv" in wrong.text
    assert "not it" not in wrong.text
    assert _writes(toy) == before + 1  # the failed attempt, and no signature
    signed = _post(inv, inv_csrf, f"/participants/{n}/sign", {"form": "visit", "key": "12",
                                                                "password": PASSWORD})  # fmt: skip
    assert 'data-record-status="signed"' in signed.text
    assert "Dr inv" in signed.text

    monitor, monitor_csrf = login(app, "monitor")
    sdv = monitor.get(f"{visit}/sdv?key=12").text
    for item in ("mark_week", "mark_visit_date", "mark_systolic", "mark_adherence"):
        assert f'name="{item}"' in sdv
    assert 'name="mark_days_since_baseline"' not in sdv  # derived: nothing to check at source
    partial = _post(monitor, monitor_csrf, f"{visit}/sdv",
                    {"key": "12", "mark_week": "on", "verify": "1"})  # fmt: skip
    assert partial.status_code == 400
    assert "Systolic blood pressure" in partial.text
    ticks = {f"mark_{i}": "on" for i in ("week", "visit_date", "systolic", "adherence")}
    verified = _post(monitor, monitor_csrf, f"{visit}/sdv", {"key": "12", **ticks, "verify": "1"})
    assert "Verified against the source." in verified.text
    assert "Source verified" in verified.text  # the step, with who and when

    corrected = _post(nurse, nurse_csrf, f"{visit}/update", {
        "record_key": "12", "week": "12", "visit_date": "2024-04-05", "systolic": "139",
        "adherence": "good", "reason": "transcription error",
    })  # fmt: skip
    assert corrected.status_code == 200
    api = inv.get(f"/api/participants/{n}/lifecycle").json()
    assert api["resign_needed"] is True
    assert [s["valid"] for s in api["signatures"]] == [False]
    assert "transcription error" in api["signatures"][0]["voided_because"]
    visit_state = next(r for r in api["records"] if r["form"] == "visit")
    assert visit_state["status"] == "complete"
    assert visit_state["verification_outdated"] is True
    assert set(visit_state["sdv"]) == {"week", "visit_date", "adherence"}  # systolic changed
    participant = inv.get(f"/participants/{n}").text
    assert "Re-signing needed" in participant
    assert 'data-signature="voided"' in participant
    assert "transcription error" in participant

    dm, dm_csrf = login(app, "dm")
    assert "INTERIM" in dm.get("/reports").text
    lock_page = dm.get("/database-lock").text
    assert 'data-db-lock="open"' in lock_page
    locked = _post(dm, dm_csrf, "/database-lock", {"action": "lock", "reason": "final analysis"})
    assert 'data-db-lock="locked"' in locked.text
    reports = dm.get("/reports").text
    assert "data-report-status>FINAL<" in reports
    assert "FINAL: database locked on" in reports
    before = _writes(toy)
    blocked = _post(nurse, nurse_csrf, f"/participants/{n}/records/visit", {
        "week": "24", "visit_date": "2024-06-20", "systolic": "131",
    })  # fmt: skip
    assert blocked.status_code == 400
    assert "database is locked" in blocked.text
    assert _writes(toy) == before
    unlocked = _post(dm, dm_csrf, "/database-lock", {"action": "unlock", "reason": ""})
    assert unlocked.status_code == 400  # a reason is needed
    assert 'data-db-lock="locked"' in unlocked.text


def test_a_locked_record_offers_no_correction(lifecycle_app: tuple[FastAPI, Toy]) -> None:
    app, toy = lifecycle_app
    n = toy.number
    nurse, nurse_csrf = login(app, "nurse")
    _post(nurse, nurse_csrf, f"/participants/{n}/records/visit/complete", {"key": "12"})
    dm, dm_csrf = login(app, "dm")
    page = _post(dm, dm_csrf, f"/participants/{n}/records/visit/lock", {"key": "12"})
    assert 'data-record-status="locked"' in page.text
    assert "Correct this record" not in page.text
    edit = nurse.get(f"/participants/{n}/records/visit/edit?key=12").text
    assert "a correction will be refused" in edit
    participant = nurse.get(f"/participants/{n}").text
    assert "Correct follow-up visit" not in participant.lower().replace("12", "")
    refused = _post(nurse, nurse_csrf, f"/participants/{n}/records/visit/update", {
        "record_key": "12", "week": "12", "visit_date": "2024-04-05", "systolic": "139",
        "adherence": "good", "reason": "typo",
    })  # fmt: skip
    assert refused.status_code == 400
    assert "is locked" in refused.text
    unlock = _post(
        dm, dm_csrf, f"/participants/{n}/records/visit/lock", {"key": "12", "step": "unlock"}
    )
    assert unlock.status_code == 400
    assert "reason" in unlock.text
