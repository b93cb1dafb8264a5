"""The reports page on the reference cohort: the stopping-rule panel, the zip, the HTML report.

Allowed roles (statistician, DMC member, data manager) see the verdicts and download the report
the `cairo6 report` command writes; everyone else gets 403 and no numbers.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.service import admin, exchange
from cairo6.service.setup import initialise
from cairo6.service.trial import actor_for
from cairo6.store.engine import Database
from cairo6.studies.cairo6 import REFERENCE_DATA
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.web.conftest import USERS, World, login, password_hash
from tests.web.test_permissions import Case, _check, _get

REFERENCE = REFERENCE_DATA
ALLOWED = {"stat": "statistician", "dmc": "dmc_member", "dm": "data_manager"}
REFUSED = {"inv": "investigator", "monitor": "monitor", "radiologist": "radiology_reviewer"}
# The protocol's three phase 2 rules and the interim look at overall survival (follow-up exists).
STOPPING_RULES = 4
REPORT_CASES = (
    Case("reports_page", "GET", _get("/reports")),
    Case("report_html", "GET", _get("/reports/report.html")),
    Case("report_generate", "POST", lambda _w: ("/reports/generate", {})),
)
"""The reports routes as cases of the generated permission matrix (`test_permissions.py`)."""


@pytest.fixture(scope="module")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app on a SQLite trial holding the imported reference cohort."""
    db = Database(str(tmp_path_factory.mktemp("reports") / "trial.db"))
    trial = initialise(db, default_protocol(), default_protocol_text())
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_user(trial, boss, "dm", "data_manager", password_hash=password_hash())
    with db.read() as session:
        dm = actor_for(session, "dm")
    exchange.import_directory(trial, dm, REFERENCE)
    for name, role in {**ALLOWED, **REFUSED}.items():
        if name != "dm":
            centre = "C01" if role == "investigator" else None
            admin.add_user(
                trial, boss, name, role, centre_code=centre, password_hash=password_hash()
            )
    yield create_app(db, WebSettings())
    db.dispose()


@pytest.fixture(scope="module")
def signed_in(reference_app: FastAPI) -> Iterator[dict[str, tuple[TestClient, str]]]:
    """One signed-in client per account."""
    made = {name: login(reference_app, name) for name in (*ALLOWED, *REFUSED)}
    yield made
    for client, _ in made.values():
        client.close()


@pytest.mark.parametrize("user", list(ALLOWED))
def test_allowed_roles_see_the_stopping_panel(
    signed_in: dict[str, tuple[TestClient, str]], user: str
) -> None:
    client, _ = signed_in[user]
    answer = client.get("/reports")
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert len(re.findall(r'data-rule="[^"]+"', text)) == STOPPING_RULES
    assert text.count("<td>not met</td>") == STOPPING_RULES
    assert "consider stopping" not in text
    assert "Primary outcomes" in text
    assert "Risk ratio" in text
    assert "data-quality warning(s)" in text
    assert 'action="/reports/generate"' in text
    assert 'name="csrf_token"' in text
    assert 'href="/reports"' in text  # the navigation link


def test_generate_returns_the_report_as_a_zip(
    signed_in: dict[str, tuple[TestClient, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, csrf = signed_in["stat"]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    answer = client.post("/reports/generate", data={"csrf_token": csrf})
    assert not list(tmp_path.iterdir()), "the report run left files behind"
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="cairo6-report-\d{4}-\d{2}-\d{2}\.zip"',
        answer.headers["content-disposition"],
    )
    names = set(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())
    for wanted in ("report.html", "report.docx", "tables.xlsx", "ard.csv", "ard.json"):
        assert wanted in names, names
    assert any(n.startswith("tables/") for n in names)
    assert any(n.startswith("figures/") for n in names)


def test_the_html_report_is_shown_inline(signed_in: dict[str, tuple[TestClient, str]]) -> None:
    client, _ = signed_in["dmc"]
    answer = client.get("/reports/report.html")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "attachment" not in answer.headers.get("content-disposition", "")
    assert "Stopping rules" in answer.text


@pytest.mark.parametrize("user", list(REFUSED))
def test_other_roles_are_refused(signed_in: dict[str, tuple[TestClient, str]], user: str) -> None:
    client, csrf = signed_in[user]
    for answer in (
        client.get("/reports"),
        client.get("/reports/report.html"),
        client.post("/reports/generate", data={"csrf_token": csrf}),
    ):
        assert answer.status_code == 403, answer.text[:300]
        assert "not met" not in answer.text
        assert "Risk ratio" not in answer.text
        assert answer.headers["content-type"].startswith("text/html")
    assert 'href="/reports"' not in client.get("/").text


def test_generate_without_csrf_is_refused(signed_in: dict[str, tuple[TestClient, str]]) -> None:
    client, _ = signed_in["stat"]
    answer = client.post("/reports/generate", data={})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    wrong = client.post("/reports/generate", data={"csrf_token": "not-the-token"})
    assert wrong.status_code == 403


def test_signed_out_goes_to_sign_in(reference_app: FastAPI) -> None:
    with TestClient(reference_app) as client:
        answer = client.get("/reports", follow_redirects=False)
        assert answer.status_code == 303
        assert "/login" in answer.headers["location"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reports_routes_in_the_permission_matrix(app: FastAPI, world: World) -> None:
    """Every account of the small test site, through the matrix's own check."""
    failures = []
    for user in (*USERS, "anonymous"):
        if user == "anonymous":
            client, csrf = TestClient(app, raise_server_exceptions=False), ""
        else:
            client, csrf = login(app, user)
        failures += [f for case in REPORT_CASES if (f := _check(case, user, client, csrf, world))]
        client.close()
    assert not failures, "\n".join(failures)
