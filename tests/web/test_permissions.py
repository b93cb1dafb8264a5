"""Every route, every role: generated from the one permission table.

For each route the web declares the action it stands for (`web.access.ROUTE_ACCESS`); the
expected answer for each user follows from `PERMISSIONS` alone. Allowed users get a 2xx (or the
303 of a saved form, whose next page then loads); refused users get 403 (404 for another
centre's records), see none of the record's data, and nothing is written. Every target lives at
centre C01, so the investigator of C02 tests cross-centre reads and writes by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cairo6.service import admin, lifecycle, queries
from cairo6.service.permissions import Action, allowed
from cairo6.service.records import RECORD_ACTION
from cairo6.store.schema import AuditRecord
from cairo6.study.loader import bundled_study_folder, read_study
from cairo6.web import create_app
from cairo6.web.access import ROUTE_ACCESS
from tests.service.conftest import PATIENT
from tests.web.conftest import PASSWORD, SECRET_QUESTION, SECRET_TERM, USERS, World, login

Build = Callable[[World], tuple[str, dict[str, Any] | None]]
CHECKLIST = {
    k: ("true" if v is True else "false" if v is False else str(v)) for k, v in PATIENT.items()
}
PG_SUBSET = ("inv1", "inv2", "dm", "monitor", "anonymous")
API_RECORDS = {
    "study_definition", "form_schema", "participant_records", "enter_record", "correct_record"
}  # fmt: skip
"""The JSON API's routes of the study's forms (named without the `api_` prefix)."""
CAIRO6 = read_study(bundled_study_folder())


@dataclass(frozen=True)
class Case:
    """One request to one route."""

    route: str
    method: str
    build: Build
    target_c01: bool = False
    form: str | None = None

    @property
    def api(self) -> bool:
        return self.route.startswith("api_") or self.route in API_RECORDS

    @property
    def action(self) -> Action | None:
        access = ROUTE_ACCESS[self.route]
        if access == "form":
            assert self.form is not None
            return RECORD_ACTION[CAIRO6.form(self.form).recorded_by]
        return None if access == "signed_in" else Action(access)


def _completed(w: World) -> str:
    """A new toxicity record of P1, marked complete; returns its key."""
    key = w.toxicity()
    lifecycle.take_step(w.site.trial, w.site.dm, w.p1, "toxicity", "complete", record_key=key)
    return key


def _all_queries_closed(w: World) -> str:
    """Close every open query (CAIRO6's plan locks only then); returns the lock's reason."""
    for row in queries.query_list(w.site.trial, w.site.dm):
        queries.close_query(w.site.trial, w.site.dm, row.id, "resolved for the lock")
    return "final analysis"


def _closed(w: World) -> int:
    """A new query on P1, closed by the data manager (to be re-opened)."""
    query_id = w.query()
    queries.close_query(w.site.trial, w.site.dm, query_id, "settled")
    return query_id


def _get(path: str) -> Build:
    return lambda w: (path.format(w=w), None)


def _tox_form(grade: int = 2) -> dict[str, Any]:
    return {
        "term": SECRET_TERM,
        "ctcae_term": "Diarrhea",
        "grade": str(grade),
        "phase": "neoadjuvant",
        "onset_date": "",
    }


def _path_form() -> dict[str, Any]:
    return {"site": "peritoneal", "evaluable": "true", "trg": "3", "prgs": "2, 3"}


CASES: list[Case] = [
    # pages, reads
    Case("dashboard", "GET", _get("/")),
    Case("reports_page", "GET", _get("/reports")),
    Case("report_html", "GET", _get("/reports/report.html")),
    Case("report_generate", "POST", lambda _w: ("/reports/generate", {})),
    Case("query_fields", "GET", _get("/fragments/query-fields?form=surgery")),
    Case("account", "GET", _get("/account")),
    Case("screening_list", "GET", _get("/screening")),
    Case("screening_detail", "GET", _get("/screening/{w.screening}"), True),
    Case("randomise_confirm", "GET", _get("/screening/{w.screening}/randomise"), True),
    Case("participant_list", "GET", _get("/participants")),
    Case("participant_page", "GET", _get("/participants/{w.p1}?on=2018-03-01"), True),
    Case("participant_audit", "GET", _get("/participants/{w.p1}/audit"), True),
    Case("record_new", "GET", _get("/participants/{w.p1}/records/toxicity/new"), True, "toxicity"),
    Case(
        "record_new", "GET", _get("/participants/{w.p1}/records/radiology/new"), True, "radiology"
    ),
    Case(
        "record_new", "GET", _get("/participants/{w.p1}/records/pathology/new"), True, "pathology"
    ),
    Case(
        "record_edit",
        "GET",
        _get("/participants/{w.p1}/records/toxicity/edit?key={w.toxicity_id}"),
        True,
        "toxicity",
    ),
    Case("record_edit", "GET", _get("/participants/{w.p1}/records/surgery/edit"), True, "surgery"),
    Case(
        "record_edit",
        "GET",
        _get("/participants/{w.p1}/records/radiology/edit?key={w.radiology_id}"),
        True,
        "radiology",
    ),
    Case(
        "record_edit",
        "GET",
        _get("/participants/{w.p1}/records/pathology/edit?key={w.pathology_id}"),
        True,
        "pathology",
    ),
    Case("query_list", "GET", _get("/queries")),
    # P3 safety: each case acts on a serious adverse event of P1 (C01) of its own
    Case("safety_list", "GET", _get("/safety")),
    Case("safety_csv", "GET", _get("/safety.csv")),
    Case("safety_event", "GET", lambda w: (f"/safety/{w.sae()}", None), True),
    Case("safety_pdf", "GET", lambda w: (f"/safety/{w.sae()}/report.pdf", None), True),
    Case(
        "safety_report",
        "POST",
        lambda w: (f"/safety/{w.sae()}/report", {"narrative": "Admitted; rehydrated."}),
        True,
    ),
    Case("radiology_worklist", "GET", _get("/review/radiology")),
    Case("pathology_worklist", "GET", _get("/review/pathology")),
    Case("admin_users", "GET", _get("/admin/users")),
    Case("admin_centres", "GET", _get("/admin/centres")),
    # P6 casebook + print
    Case("casebook_list", "GET", _get("/casebooks")),
    Case("casebook_participant", "GET", _get("/participants/{w.p1}/casebook.pdf"), True),
    Case("casebook_centre", "GET", _get("/centres/C01/casebooks.zip"), True),
    Case("admin_versions", "GET", _get("/admin/versions")),  # P5 amendments
    # pages, writes
    Case(
        "screening_add",
        "POST",
        lambda _w: (
            "/screening",
            {
                "centre": "C01",
                "screened_on": "2018-02-01",
                "approached": "true",
                "refused": "false",
            },
        ),
        True,
    ),
    Case(
        "eligibility_save",
        "POST",
        lambda w: (
            f"/screening/{w.screened(assessed=False)}/eligibility",
            {"assessed_on": "2018-01-10", **CHECKLIST},
        ),
        True,
    ),
    Case(
        "randomise",
        "POST",
        lambda w: (
            f"/screening/{w.screened()}/randomise",
            {"enrolled_on": "2018-01-12", "confirm": "yes"},
        ),
        True,
    ),
    Case(
        "record_save",
        "POST",
        lambda w: (f"/participants/{w.p1}/records/toxicity", _tox_form()),
        True,
        "toxicity",
    ),
    Case(
        "record_save",
        "POST",
        lambda w: (
            f"/participants/{w.participant()}/records/radiology",
            {
                "timepoint": "baseline",
                "scan_date": "2018-01-05",
                "radiologic_pci": "6",
                "lesion1_organ": "liver",
                "lesion1_diameter": "14",
            },
        ),
        True,
        "radiology",
    ),
    Case(
        "record_save",
        "POST",
        lambda w: (f"/participants/{w.p1}/records/pathology", _path_form()),
        True,
        "pathology",
    ),
    Case(
        "record_update",
        "POST",
        lambda w: (
            f"/participants/{w.p1}/records/toxicity/update",
            {**_tox_form(3), "record_key": w.toxicity(), "reason": "grade corrected"},
        ),
        True,
        "toxicity",
    ),
    Case(
        "query_raise",
        "POST",
        lambda w: (
            f"/participants/{w.p1}/queries",
            {"form": "surgery", "field_name": "cc_score", "question": "CC-0 or CC-1?"},
        ),
        True,
    ),
    Case(
        "query_answer", "POST", lambda w: (f"/queries/{w.query()}/answer", {"answer": "CC-0"}), True
    ),
    Case("query_close", "POST", lambda w: (f"/queries/{w.query()}/close", {"note": "ok"}), True),
    Case(
        "query_reopen",
        "POST",
        lambda w: (f"/queries/{_closed(w)}/reopen", {"reason": "not settled"}),
        True,
    ),
    Case("expected_list", "GET", _get("/expected?on=2019-01-01")),
    Case("expected_csv", "GET", _get("/expected.csv?on=2019-01-01")),
    Case(
        "query_new",
        "GET",
        lambda w: (f"/participants/{w.p1}/queries/new?form=surgery&item=cc_score&key=", None),
        True,
    ),
    Case(
        "admin_user_add",
        "POST",
        lambda w: (
            "/admin/users",
            {"username": w.fresh("user"), "role": "monitor", "full_name": "", "password": ""},
        ),
    ),
    Case(
        "admin_user_password",
        "POST",
        lambda _w: ("/admin/users/target/password", {"password": "another long password"}),
    ),
    Case(
        "admin_user_active",
        "POST",
        lambda _w: ("/admin/users/target/active", {"active": "false", "reason": "left"}),
    ),
    Case(
        "admin_centre_add",
        "POST",
        lambda w: ("/admin/centres", {"code": w.fresh("X"), "name": "New", "started": ""}),
    ),
    Case(
        "admin_centre_start",
        "POST",
        lambda _w: ("/admin/centres/C02/start", {"started": "2018-03-02", "reason": "contract"}),
    ),
    Case(  # P5 amendments: a check records nothing, so every role can be walked over it
        "admin_version_add",
        "POST",
        lambda _w: (
            "/admin/versions",
            {"shipped": "cairo6/phase3", "effective": "2020-01-01", "reason": "x", "do": "check"},
        ),
    ),
    Case(
        "account_password",
        "POST",
        lambda _w: (
            "/account/password",
            {"current": PASSWORD, "password": PASSWORD, "password2": PASSWORD},
        ),
    ),
    # JSON API, reads
    Case("api_session", "GET", _get("/api/session")),
    Case("api_dashboard", "GET", _get("/api/dashboard?on=2018-03-01")),
    Case("api_screening_list", "GET", _get("/api/screening")),
    Case("api_participant_list", "GET", _get("/api/participants")),
    Case("api_participant", "GET", _get("/api/participants/{w.p1}?on=2018-03-01"), True),
    Case("api_participant_audit", "GET", _get("/api/participants/{w.p1}/audit"), True),
    Case("api_query_list", "GET", _get("/api/queries")),
    Case("api_radiology_worklist", "GET", _get("/api/worklists/radiology")),
    Case("study_definition", "GET", _get("/api/study")),
    Case("form_schema", "GET", _get("/api/study/forms/surgery/schema")),
    Case("participant_records", "GET", _get("/api/participants/{w.p1}/records"), True),
    Case("api_pathology_worklist", "GET", _get("/api/worklists/pathology")),
    Case("api_centres", "GET", _get("/api/centres")),
    Case("api_users", "GET", _get("/api/users")),
    # JSON API, writes
    Case(
        "api_screening_add",
        "POST",
        lambda _w: (
            "/api/screening",
            {"centre": "C01", "screened_on": "2018-02-01", "approached": True, "refused": False},
        ),
        True,
    ),
    Case(
        "api_eligibility",
        "POST",
        lambda w: (
            f"/api/screening/{w.screened(assessed=False)}/eligibility",
            {"assessed_on": "2018-01-10", "data": PATIENT},
        ),
        True,
    ),
    Case(
        "api_randomise",
        "POST",
        lambda w: (f"/api/screening/{w.screened()}/randomise", {"enrolled_on": "2018-01-12"}),
        True,
    ),
    Case(
        "enter_record",
        "POST",
        lambda w: (
            f"/api/participants/{w.p1}/records/toxicity",
            {"term": SECRET_TERM, "ctcae_term": "Diarrhea", "grade": 1, "phase": "neoadjuvant"},
        ),
        True,
        "toxicity",
    ),
    Case(
        "enter_record",
        "POST",
        lambda w: (
            f"/api/participants/{w.participant()}/records/radiology",
            {"timepoint": "baseline", "scan_date": "2018-01-05", "radiologic_pci": 4},
        ),
        True,
        "radiology",
    ),
    Case(
        "enter_record",
        "POST",
        lambda w: (
            f"/api/participants/{w.p1}/records/pathology",
            {"site": "primary_tumour", "evaluable": True, "trg": 1, "prgs": [1, 2]},
        ),
        True,
        "pathology",
    ),
    Case(
        "correct_record",
        "PATCH",
        lambda w: (
            f"/api/participants/{w.p1}/records/toxicity?key={w.toxicity()}",
            {"changes": {"grade": 3}, "reason": "grade corrected"},
        ),
        True,
        "toxicity",
    ),
    Case(
        "api_query_raise",
        "POST",
        lambda w: (
            "/api/queries",
            {"study_number": w.p1, "form": "surgery", "item": "cc_score", "question": "CC?"},
        ),
        True,
    ),
    Case(
        "api_query_answer",
        "POST",
        lambda w: (f"/api/queries/{w.query()}/answer", {"answer": "CC-0"}),
        True,
    ),
    Case("api_query", "GET", lambda w: (f"/api/queries/{w.query_id}", None), True),
    Case("api_expected", "GET", _get("/api/expected?on=2019-01-01")),
    Case(
        "api_query_reopen",
        "POST",
        lambda w: (f"/api/queries/{_closed(w)}/reopen", {"reason": "not settled"}),
        True,
    ),
    Case(
        "api_query_close",
        "POST",
        lambda w: (f"/api/queries/{w.query()}/close", {"note": "ok"}),
        True,
    ),
    Case(
        "api_centre_add",
        "POST",
        lambda w: ("/api/centres", {"code": w.fresh("Y"), "name": "New centre"}),
    ),
    Case(
        "api_user_add",
        "POST",
        lambda w: ("/api/users", {"username": w.fresh("apiuser"), "role": "statistician"}),
    ),
    # P1 form lifecycle (the database lock last: after it nothing of the trial can be written)
    Case(
        "record_lifecycle",
        "GET",
        # Surgery, not toxicity: the blinded reviewers may read this page, but never of a
        # form that reveals the arm (tests/web/test_blinded.py).
        _get("/participants/{w.p1}/records/surgery/lifecycle?key="),
        True,
    ),
    Case(
        "record_sdv",
        "GET",
        _get("/participants/{w.p1}/records/toxicity/sdv?key={w.toxicity_id}"),
        True,
    ),
    Case("record_sign_page", "GET", _get("/participants/{w.p1}/sign"), True),
    Case("database_lock_page", "GET", _get("/database-lock")),
    Case("api_participant_lifecycle", "GET", _get("/api/participants/{w.p1}/lifecycle"), True),
    Case(
        "record_complete",
        "POST",
        lambda w: (f"/participants/{w.p1}/records/toxicity/complete", {"key": w.toxicity()}),
        True,
        "toxicity",
    ),
    Case(
        "record_sdv_save",
        "POST",
        lambda w: (
            f"/participants/{w.p1}/records/toxicity/sdv",
            {"key": _completed(w), "mark_term": "on", "mark_grade": "on"},
        ),
        True,
    ),
    Case(
        "record_sign",
        "POST",
        lambda w: (
            f"/participants/{w.p1}/sign",
            {"form": "toxicity", "key": _completed(w), "password": PASSWORD},
        ),
        True,
    ),
    Case(
        "record_freeze",
        "POST",
        lambda w: (
            f"/participants/{w.p1}/records/toxicity/freeze",
            {"key": _completed(w), "step": "freeze"},
        ),
        True,
    ),
    Case(
        "record_lock",
        "POST",
        lambda w: (
            f"/participants/{w.p1}/records/toxicity/lock",
            {"key": _completed(w), "step": "lock"},
        ),
        True,
    ),
    Case(
        "database_lock_change",
        "POST",
        lambda w: ("/database-lock", {"action": "lock", "reason": _all_queries_closed(w)}),
    ),
]
SESSION_ENDERS = (
    Case("logout", "POST", lambda _w: ("/logout", {})),
    Case("api_logout", "POST", lambda _w: ("/api/logout", {})),
)
NOT_IN_MATRIX = {"login_page", "login", "setup_page", "setup", "api_login"}
"""Public routes, tested in test_security.py."""


def _audit_count(world: World) -> int:
    with world.site.trial.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def _send(client: TestClient, csrf: str, case: Case, path: str, body: dict[str, Any] | None) -> Any:
    if case.method == "GET":
        return client.get(path, follow_redirects=False)
    if case.api:
        return client.request(
            case.method, path, json=body, headers={"X-CSRF-Token": csrf}, follow_redirects=False
        )
    return client.request(
        case.method, path, data={**(body or {}), "csrf_token": csrf}, follow_redirects=False
    )


def _expect(case: Case, user: str, world: World) -> str:
    if user == "anonymous":
        return "anonymous"
    role = getattr(world.site, user).role
    action = case.action
    if action is None:
        return "ok"
    if not allowed(role, action):
        return "denied"
    if case.target_c01 and user == "inv2":
        return "other_centre"
    return "ok"


def _check(case: Case, user: str, client: TestClient, csrf: str, world: World) -> str | None:
    path, body = case.build(world)
    before = _audit_count(world)
    answer = _send(client, csrf, case, path, body)
    expected = _expect(case, user, world)
    label = f"{case.method} {path} as {user}"
    if expected == "anonymous":
        want = 401 if case.api else 303
        if answer.status_code != want or (
            not case.api and "/login" not in answer.headers["location"]
        ):
            return f"{label}: expected {want} to sign in, got {answer.status_code}"
    elif expected == "ok":
        if answer.status_code == 303:
            answer = client.get(answer.headers["location"])
        if not 200 <= answer.status_code < 300:
            return f"{label}: expected success, got {answer.status_code}: {answer.text[:300]}"
        if user == "inv2" and "C01-" in answer.text:
            return f"{label}: the investigator of C02 was shown C01 data"
        return None
    else:
        allowed_codes = (403,) if expected == "denied" else (403, 404)
        if answer.status_code not in allowed_codes:
            return (
                f"{label}: expected {allowed_codes}, got {answer.status_code}: {answer.text[:200]}"
            )
    for secret in (SECRET_TERM, SECRET_QUESTION, '"arm"', "data-arm"):
        if secret in answer.text:
            return f"{label}: refused, yet the answer holds {secret!r}"
    if _audit_count(world) != before:
        return f"{label}: refused, yet something was written"
    return None


def _run_matrix(app: FastAPI, world: World, user: str) -> None:
    admin.add_user(world.site.trial, world.site.admin, "target", "monitor")
    if user == "anonymous":
        client, csrf = TestClient(app, raise_server_exceptions=False), ""
    else:
        client, csrf = login(app, user)
    failures = [f for case in CASES if (f := _check(case, user, client, csrf, world))]
    for case in SESSION_ENDERS:
        if user == "anonymous":
            fresh, token = client, ""
        else:
            fresh, token = login(app, user)
        failure = _check(case, user, fresh, token, world)
        if failure:
            failures.append(failure)
        if not case.api and user != "anonymous":
            # the session is gone: the same cookie now leads back to the sign-in page
            assert fresh.get("/", follow_redirects=False).status_code == 303
    assert not failures, "\n".join(failures)


def route_names(routes: Iterable[Any]) -> set[str]:
    """Names of every endpoint, including those of included routers."""
    names: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            names.add(route.name)
        elif hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
            names |= route_names(route.original_router.routes)
    return names


def test_every_route_is_in_the_matrix(tmp_path: Path) -> None:
    app = create_app(tmp_path / "never-opened.db")
    names = route_names(app.routes)
    assert names == set(ROUTE_ACCESS), names ^ set(ROUTE_ACCESS)
    covered = {c.route for c in (*CASES, *SESSION_ENDERS)} | NOT_IN_MATRIX
    assert covered == set(ROUTE_ACCESS), covered ^ set(ROUTE_ACCESS)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("user", [*USERS, "anonymous"])
def test_permission_matrix_sqlite(app: FastAPI, world: World, user: str) -> None:
    _run_matrix(app, world, user)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("user", PG_SUBSET)
def test_permission_matrix_postgresql(app: FastAPI, world: World, user: str) -> None:
    _run_matrix(app, world, user)
