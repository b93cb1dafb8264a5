"""The pages and JSON API of a study's forms, generated from its definition, over HTTP.

The trial is the SYNTHETIC three-arm TOY-BP study (tests/study/data/toy): no page, route or
schema of it is code, so what is shown and accepted here comes from its forms.toml.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cairo6.service import admin, web_support
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.setup import initialise_study
from cairo6.service.trial import actor_for
from cairo6.store.engine import Database
from cairo6.study.loader import read_study_texts, study_from_texts
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.web.conftest import login, password_hash

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"


@pytest.fixture
def toy_app(tmp_path: Path) -> tuple[FastAPI, str, str]:
    db = Database(tmp_path / "toy.db")
    files = read_study_texts(TOY)
    trial = initialise_study(db, study_from_texts(files, "toy"), files)
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    for code in ("H01", "H02"):
        admin.add_centre(trial, boss, code, f"Hospital {code}", dt.date(2024, 1, 1))
    admin.add_user(trial, boss, "nurse", "investigator", centre_code="H01")
    admin.add_user(trial, boss, "other", "investigator", centre_code="H02")
    admin.add_user(trial, boss, "monitor", "monitor")
    for name in ("nurse", "other", "monitor"):
        web_support.set_password(trial, boss, name, password_hash())
    with db.read() as session:
        nurse = actor_for(session, "nurse")
    number = add_screening(trial, nurse, "H01", {"screened_on": "2024-01-10", "approached": True})
    assess_eligibility(
        trial, nurse, number, {"age_years": 61, "systolic_mmhg": 162}, dt.date(2024, 1, 11)
    )
    study_number = randomise(trial, nurse, number, dt.date(2024, 1, 12)).study_number
    return create_app(db, WebSettings()), study_number, "H01"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_form_page_offers_labels_and_saves_codes(toy_app: tuple[FastAPI, str, str]) -> None:
    app, number, _ = toy_app
    client, _ = login(app, "nurse")
    listing = client.get(f"/participants/{number}")
    assert listing.status_code == 200
    assert "Not entered yet" in listing.text
    blank = client.get(f"/participants/{number}/records/baseline/new")
    assert '<option value="never">Never smoked</option>' in blank.text
    saved = client.post(
        f"/participants/{number}/records/baseline",
        data={
            "csrf_token": _csrf(blank.text),
            "visit_date": "2024-01-12",
            "systolic": "158",
            "smoking": "never",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    shown = client.get(f"/participants/{number}").text
    assert "<dd>Never smoked</dd>" in shown
    assert "<dd>never</dd>" not in shown
    assert "<dd>158 mmHg</dd>" in shown


def test_every_problem_is_shown_at_its_item_and_nothing_is_saved(
    toy_app: tuple[FastAPI, str, str],
) -> None:
    app, number, _ = toy_app
    client, _ = login(app, "nurse")
    blank = client.get(f"/participants/{number}/records/baseline/new")
    refused = client.post(
        f"/participants/{number}/records/baseline",
        data={
            "csrf_token": _csrf(blank.text),
            "visit_date": "2024-01-12",
            "systolic": "400",
            "smoking": "current",
        },
    )
    assert refused.status_code == 422
    assert "a whole number from 60 to 260 mmHg" in refused.text
    assert "is required" in refused.text  # cigarettes per day, asked for current smokers
    assert "Not entered yet" in client.get(f"/participants/{number}").text


def test_the_api_serves_the_definition_schemas_and_records(
    toy_app: tuple[FastAPI, str, str],
) -> None:
    app, number, _ = toy_app
    client, csrf = login(app, "nurse")
    headers = {"X-CSRF-Token": csrf}
    study = client.get("/api/study").json()
    assert [f["id"] for f in study["forms"]] == ["baseline", "visit", "stroke"]
    schema = client.get("/api/study/forms/visit/schema").json()
    assert schema["properties"]["adherence"]["enum"] == ["good", "poor"]
    assert schema["properties"]["days_since_baseline"]["readOnly"] is True
    answer = client.post(
        f"/api/participants/{number}/records/baseline",
        json={"visit_date": "2024-01-12", "systolic": 150, "smoking": "former"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    visit = client.post(
        f"/api/participants/{number}/records/visit",
        json={"week": 12, "visit_date": "2024-04-05", "systolic": 225},
        headers=headers,
    )
    assert visit.json()["queries"] == ["very_high_pressure"]
    refused = client.post(
        f"/api/participants/{number}/records/visit",
        json={"week": 4, "visit_date": "2023-12-01", "systolic": 150},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "visit_date" in refused.text
    fixed = client.patch(
        f"/api/participants/{number}/records/visit?key=12",
        json={"changes": {"systolic": 152}, "reason": "re-read from the chart"},
        headers=headers,
    )
    assert fixed.status_code == 200, fixed.text
    records = client.get(f"/api/participants/{number}/records").json()
    assert records["visit"][0]["values"]["systolic"] == 152
    assert records["visit"][0]["values"]["days_since_baseline"] == 84


def test_who_may_enter_records_is_the_services_decision(
    toy_app: tuple[FastAPI, str, str],
) -> None:
    app, number, _ = toy_app
    body = {"visit_date": "2024-01-12", "systolic": 150, "smoking": "never"}
    monitor, csrf = login(app, "monitor")
    assert (
        monitor.post(
            f"/api/participants/{number}/records/baseline",
            json=body,
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 403
    )
    other, csrf = login(app, "other")
    # Another centre's participant does not exist for a centre-bound user.
    assert other.get(f"/api/participants/{number}/records").status_code == 404
    assert (
        other.post(
            f"/api/participants/{number}/records/baseline",
            json=body,
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 404
    )


def test_a_client_without_a_session_gets_nothing(toy_app: tuple[FastAPI, str, str]) -> None:
    app, number, _ = toy_app
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get(f"/api/participants/{number}/records").status_code == 401


def test_the_reports_page_of_a_study_without_a_layout_is_its_own(
    toy_app: tuple[FastAPI, str, str], tmp_path: Path
) -> None:
    """No CAIRO6 table reaches another study: the page shows the primary endpoint's cells of
    the report generated from the toy study's definition, and the HTML report is that one."""
    from cairo6.report.study_report import build_report
    from cairo6.service.setup import open_trial
    from cairo6.service.study_data import analysis_people, screened_count

    app, _number, _ = toy_app
    db = Database(tmp_path / "toy.db")
    trial = open_trial(db)
    expected = build_report(trial.definition(), analysis_people(trial), screened_count(trial))
    table = next(t for t in expected.tables if t.id == "endpoints")
    label, cells = next(r for r in table.rows if r[0] == "Blood pressure controlled at 12 weeks")
    # The admin has no report role: a statistician is added through the service.
    with db.read() as session:
        admin.add_user(trial, actor_for(session, "admin"), "stats", "statistician")
        web_support.set_password(trial, actor_for(session, "admin"), "stats", password_hash())
    client, _ = login(app, "stats")
    page = client.get("/reports")
    assert page.status_code == 200
    row = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", page.text, re.S)
    assert row is not None, page.text
    assert re.findall(r"<td>(.*?)</td>", row.group(1)) == list(cells)
    assert "Macroscopic" not in page.text
    assert "CRS-HIPEC" not in page.text
    html = client.get("/reports/report.html")
    assert html.status_code == 200
    assert label in html.text
    assert "CRS-HIPEC" not in html.text
