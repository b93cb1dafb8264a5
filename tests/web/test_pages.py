"""The pages do what the trial needs: validation at the field, reasons for changes, the PCI grid,
eligibility explained, a single allocation, the calendar, worklists and the query cycle."""

from __future__ import annotations

import re

from fastapi import FastAPI
from sqlalchemy import func, select

from cairo6.scoring import Region
from cairo6.service.records import records_of
from cairo6.store.schema import AuditRecord, FormRecord
from tests.web.conftest import PASSWORD, World, login


def _count(world: World, form: str) -> int:
    with world.site.trial.db.read() as session:
        found = select(func.count()).select_from(FormRecord).where(FormRecord.form == form)
        return int(session.scalar(found) or 0)


def _error_at(html: str, field: str) -> str:
    found = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', html)
    assert found, f"no error shown at {field}"
    return found.group(1)


def test_a_refused_form_saves_nothing_and_says_why_at_each_field(
    app: FastAPI, world: World
) -> None:
    client, csrf = login(app, "inv1")
    before = _count(world, "toxicity")
    answer = client.post(
        f"/participants/{world.p1}/records/toxicity",
        data={"csrf_token": csrf, "term": "", "grade": "7", "phase": "sideways"},
    )
    assert answer.status_code == 422
    assert "required" in _error_at(answer.text, "term")
    assert "from 1 to 5" in _error_at(answer.text, "grade")
    assert "Neoadjuvant" in _error_at(answer.text, "phase")  # the allowed labels, not codes
    assert 'aria-invalid="true" aria-describedby="grade-error"' in answer.text
    assert 'value="7"' in answer.text  # what was typed stays in the form
    assert _count(world, "toxicity") == before


def test_a_correction_asks_for_its_reason_and_the_audit_keeps_it(
    app: FastAPI, world: World
) -> None:
    client, csrf = login(app, "inv1")
    base = f"/participants/{world.p1}/records/toxicity"
    form = {
        "csrf_token": csrf,
        "term": "Neuropathy",
        "ctcae_term": "Peripheral sensory neuropathy",
        "grade": "3",
        "phase": "neoadjuvant",
    }
    form["record_key"] = world.toxicity_id
    edit = client.get(f"{base}/edit?key={world.toxicity_id}")
    assert 'name="reason"' in edit.text
    refused = client.post(f"{base}/update", data=form)
    assert refused.status_code == 422
    assert "why it changed" in _error_at(refused.text, "reason")
    saved = client.post(
        f"{base}/update",
        data={**form, "reason": "grade corrected from the chart"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with world.site.trial.db.read() as session:
        record = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.table_name == "form_record")
            .order_by(AuditRecord.seq.desc())
        ).first()
    assert record is not None
    assert record.reason == "grade corrected from the chart"
    assert '"data.grade":[2,3]' in record.changes


def test_the_pci_grid_is_totalled_by_the_server(app: FastAPI, world: World) -> None:
    client, csrf = login(app, "inv1")
    study = world.participant()
    page = client.get(f"/participants/{study}/records/surgery/new")
    assert page.text.count("data-pci-region") == 13
    assert '<script src="/static/pci.js" defer></script>' in page.text
    grid = {f"pci_{r.id}": "1" for r in Region} | {"pci_pelvis": "3"}
    form = {
        "csrf_token": csrf,
        "surgery_date": "2018-05-01",
        "procedure": "crs_hipec",
        "cc_score": "0",
        "primary_tumour_resection": "false",
        "anastomosis": "true",
        "ostomy": "false",
        "hipec_drug": "mitomycin_c",
        "pci_total": "99",  # a total sent by the page is ignored: only the 13 scores count
    }
    before = _count(world, "surgery")
    partial = client.post(
        f"/participants/{study}/records/surgery", data={**form, "pci_central": "2"}
    )
    assert partial.status_code == 422
    assert "missing: Right upper" in _error_at(partial.text, "pci_regions")
    saved = client.post(
        f"/participants/{study}/records/surgery", data={**form, **grid}, follow_redirects=False
    )
    assert saved.status_code == 303
    [(_, surgery)] = records_of(world.site.trial, world.site.inv1, study)["surgery"]
    assert surgery["pci_total"] == 15
    participant = client.get(f"/participants/{study}")
    assert "<dt>PCI total (computed)</dt><dd>15</dd>" in participant.text
    # Labels, never codes: the procedure and drug as people read them.
    assert "<dd>CRS-HIPEC</dd>" in participant.text
    assert "<dd>Mitomycin C</dd>" in participant.text
    assert "crs_hipec" not in participant.text.split('id="forms-h"')[1].split('id="q-h"')[0]
    assert _count(world, "surgery") == before + 1


def test_eligibility_explains_each_failed_criterion(app: FastAPI, world: World) -> None:
    client, csrf = login(app, "inv1")
    number = world.screened(assessed=False)
    page = client.get(f"/screening/{number}")
    assert 'for="c-age_years"' in page.text  # the checklist comes from the protocol's fields
    answer = client.post(
        f"/screening/{number}/eligibility",
        data={"csrf_token": csrf, "assessed_on": "2018-01-10", "age_years": "17"},
    )
    assert "not eligible" in answer.text
    assert "not assessable" in answer.text  # criteria whose fields were left blank
    rows = re.findall(r'<tr class="bad"[^>]*>(.*?)</tr>', answer.text, flags=re.S)
    # In the protocol's words for clinicians, never the variable name.
    assert any("Age 18 years or older" in r and "Age at enrolment: 17 years" in r for r in rows)
    assert "age_years" not in "".join(rows)
    assert "Randomise…" not in answer.text
    bad = client.post(
        f"/screening/{number}/eligibility",
        data={"csrf_token": csrf, "assessed_on": "2018-01-10", "age_years": "old"},
    )
    assert bad.status_code == 422
    assert "an integer" in _error_at(bad.text, "age_years")


def test_randomise_confirms_then_shows_the_allocation_once(app: FastAPI, world: World) -> None:
    client, csrf = login(app, "inv1")
    number = world.screened()
    confirm = client.get(f"/screening/{number}/randomise")
    assert "cannot be changed or undone" in confirm.text
    unconfirmed = client.post(
        f"/screening/{number}/randomise", data={"csrf_token": csrf, "enrolled_on": "2018-01-12"}
    )
    assert unconfirmed.status_code == 422
    done = client.post(
        f"/screening/{number}/randomise",
        data={"csrf_token": csrf, "enrolled_on": "2018-01-12", "confirm": "yes"},
    )
    assert done.status_code == 200
    assert done.headers["cache-control"] == "no-store"
    study = re.search(r"data-study-number>([^<]+)<", done.text)
    assert study
    assert "Allocation diagnostic" not in done.text
    again = client.post(
        f"/screening/{number}/randomise",
        data={"csrf_token": csrf, "enrolled_on": "2018-01-12", "confirm": "yes"},
    )
    assert again.status_code == 400
    assert "already randomised" in again.text
    page = client.get(f"/participants/{study.group(1)}")
    assert "Allocation diagnostic" not in page.text
    statistician, _ = login(app, "stat")
    assert "Allocation diagnostic" in statistician.get(f"/participants/{study.group(1)}").text


def test_participant_page_shows_the_calendar_planned_against_actual(
    app: FastAPI, world: World
) -> None:
    client, _ = login(app, "inv1")
    page = client.get(f"/participants/{world.p1}?on=2018-09-01")
    assert "Treatment calendar on 2018-09-01" in page.text
    assert "data-window-status=" in page.text
    assert re.search(r"<caption>(Neoadjuvant cycles|Events)", page.text)
    dashboard = client.get("/?on=2018-09-01")
    assert "Windows due or overdue on 2018-09-01" in dashboard.text
    assert "of the target of <strong>80</strong>" in dashboard.text


def test_review_worklists_lead_to_the_review_forms(app: FastAPI, world: World) -> None:
    pathologist, csrf = login(app, "pathologist")
    worklist = pathologist.get("/review/pathology")
    assert f"/participants/{world.p1}/records/pathology/new?site=peritoneal" in worklist.text
    form = pathologist.get(f"/participants/{world.p1}/records/pathology/new?site=peritoneal")
    assert '<option value="peritoneal" selected>' in form.text
    saved = pathologist.post(
        f"/participants/{world.p1}/records/pathology",
        data={
            "csrf_token": csrf,
            "site": "peritoneal",
            "evaluable": "true",
            "trg": "2",
            "prgs": "2, 3",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    radiologist, _ = login(app, "radiologist")
    review = radiologist.get("/review/radiology").text
    assert f"/participants/{world.p1}/records/radiology/edit?key={world.radiology_id}" in review


def test_query_raised_answered_and_closed(app: FastAPI, world: World) -> None:
    dm, dm_csrf = login(app, "dm")
    options = dm.get("/fragments/query-fields?form=surgery")
    assert '<option value="cc_score">Completeness of cytoreduction' in options.text
    raised = dm.post(
        f"/participants/{world.p1}/queries",
        data={
            "csrf_token": dm_csrf,
            "form": "surgery",
            "field_name": "cc_score",
            "question": "Was it CC-0?",
        },
        follow_redirects=False,
    )
    assert raised.status_code == 303
    site, site_csrf = login(app, "inv1")
    listing = site.get("/queries")
    query_id = int(re.findall(r'<tr id="query-(\d+)">', listing.text)[-1])
    answered = site.post(
        f"/queries/{query_id}/answer",
        data={"csrf_token": site_csrf, "answer": "Yes, CC-0"},
        headers={"HX-Request": "true"},
    )
    assert answered.status_code == 200
    assert answered.text.lstrip().startswith(f'<tr id="query-{query_id}">')  # an htmx fragment
    assert "answered" in answered.text
    empty = site.post(
        f"/queries/{query_id}/answer",
        data={"csrf_token": site_csrf, "answer": " "},
        headers={"HX-Request": "true"},
    )
    assert "the answer in words" in empty.text
    closed = dm.post(
        f"/queries/{query_id}/close",
        data={"csrf_token": dm_csrf, "note": "confirmed"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    assert f'id="query-{query_id}"' not in dm.get("/queries").text
    assert "closed" in dm.get("/queries?all=1").text


def test_administration_of_users_and_centres(app: FastAPI, world: World) -> None:
    del world
    boss, csrf = login(app, "admin")
    short = boss.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "nurse2",
            "role": "investigator",
            "centre": "C02",
            "password": "short",
        },
    )
    assert short.status_code == 422
    assert "12 to 1024 characters" in _error_at(short.text, "password")
    added = boss.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "nurse2",
            "role": "investigator",
            "centre": "C02",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    nurse, _ = login(app, "nurse2")
    assert nurse.get("/api/session").json()["centre"] == "C02"
    boss.post(
        "/admin/users/nurse2/active",
        data={"csrf_token": csrf, "active": "false", "reason": "left the site"},
    )
    assert nurse.get("/api/session").status_code == 401  # switched off: sessions end at once
    centre = boss.post(
        "/admin/centres",
        data={"csrf_token": csrf, "code": "C03", "name": "Centre three", "started": "2019-01-01"},
        follow_redirects=False,
    )
    assert centre.status_code == 303
    assert "Centre three" in boss.get("/admin/centres").text
