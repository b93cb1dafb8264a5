"""Queries and expected forms over HTTP, on the real app and a real SQLite/PostgreSQL file.

Every route that takes a record reference (the raise page, the raise form, the API) refuses a
record of another participant, a form that is not a form of the study and an item that is not
an item of the form, naming what was wrong and writing nothing. The item control, the list's
filters, pages, thread and closing note, and the expected-forms page, CSV and API are checked
against the data they show.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cairo6.service import expected, queries
from cairo6.store.schema import AuditRecord
from tests.web.conftest import World, login

pytestmark = pytest.mark.usefixtures("world")


def _written(world: World) -> int:
    with world.site.trial.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def _post(client: TestClient, csrf: str, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)


@pytest.mark.parametrize(
    ("form", "item", "key", "named", "at"),
    [
        # the key of the other participant's second record
        ("toxicity", "grade", "2", "'2'", "record_key"),
        ("user", "username", "", "'user'", "form"),
        ("participant", "centre_id", "", "'participant'", "form"),
        ("surgery", "password_hash", "", "'password_hash'", "field_name"),
    ],
)
def test_every_route_naming_a_record_refuses_what_is_not_the_participants(
    app: FastAPI, world: World, form: str, item: str, key: str, named: str, at: str
) -> None:
    # P2 (centre C02) has two toxicity records; P1 has one: key 2 exists, but not for P1.
    world.toxicity(world.p2)
    world.toxicity(world.p2)
    dm, csrf = login(app, "dm")
    before = _written(world)
    shown = dm.get(f"/participants/{world.p1}/queries/new?form={form}&item={item}&key={key}")
    page = _post(
        dm,
        csrf,
        f"/participants/{world.p1}/queries",
        {"from": "item", "form": form, "field_name": item, "record_key": key, "question": "?"},
    )
    api = dm.post(
        "/api/queries",
        json={
            "study_number": world.p1,
            "form": form,
            "item": item,
            "record_key": key,
            "question": "?",
        },
        headers={"X-CSRF-Token": csrf},
    )
    for answer in (shown, page, api):
        assert answer.status_code == 422, answer.text[:300]
    # The API and the item's page say what was given; the participant's form marks the field.
    for answer in (shown, api):
        assert named in answer.text.replace("&#39;", "'")
    assert f'id="{at}-error"' in page.text
    assert _written(world) == before


def test_site_staff_never_reach_another_centres_query(app: FastAPI, world: World) -> None:
    other, csrf = login(app, "inv2")
    before = _written(world)
    qid = world.query_id
    assert other.get(f"/api/queries/{qid}").status_code == 404
    assert _post(other, csrf, f"/queries/{qid}/answer", {"answer": "x"}).status_code == 404
    assert world.p1 not in other.get("/queries?state=all").text
    assert other.get(
        f"/participants/{world.p1}/queries/new?form=surgery&item=cc_score"
    ).status_code in (403, 404)
    assert _written(world) == before


def test_the_control_beside_an_item_raises_a_query_on_that_item(app: FastAPI, world: World) -> None:
    dm, csrf = login(app, "dm")
    page = dm.get(f"/participants/{world.p1}").text
    control = (
        f"/participants/{world.p1}/queries/new?form=surgery&amp;key=&amp;item=operating_time_min"
    )
    assert control in page
    form = dm.get(control.replace("&amp;", "&"))
    assert form.status_code == 200
    assert "Operating time" in form.text
    assert re.search(r"data-query-value>300", form.text)
    raised = _post(
        dm,
        csrf,
        f"/participants/{world.p1}/queries",
        {
            "from": "item",
            "form": "surgery",
            "field_name": "operating_time_min",
            "record_key": "",
            "question": "Anaesthesia chart says 330?",
        },
    )
    assert raised.status_code == 303
    [row] = [
        q
        for q in queries.query_list(world.site.trial, world.site.dm)
        if q.field_name == "operating_time_min"
    ]
    assert (row.form, row.record_key, row.raised_by) == ("surgery", "", "dm")
    site, _ = login(app, "inv1")
    shown = site.get(f"/participants/{world.p1}").text
    assert 'data-item-query="operating_time_min"' in shown
    assert "/queries/new?" not in shown  # site staff answer queries; they do not raise them
    fix = site.get(f"/participants/{world.p1}/records/surgery/edit?key=").text
    assert 'data-asked="operating_time_min"' in fix
    assert "Anaesthesia chart says 330?" in fix


def test_the_list_filters_pages_threads_and_closes_with_a_visible_note(
    app: FastAPI, world: World
) -> None:
    trial, dm_actor = world.site.trial, world.site.dm
    for n in range(27):
        queries.raise_query(trial, dm_actor, world.p1, "surgery", "cc_score", f"Q-{n:02d}?")
    dm, dm_csrf = login(app, "dm")
    first = dm.get("/queries").text
    second = dm.get("/queries?page=2").text
    ids = re.findall(r'<tr id="query-(\d+)">', first) + re.findall(r'<tr id="query-(\d+)">', second)
    assert len(re.findall(r'<tr id="query-', first)) == queries.PAGE_SIZE
    assert len(ids) == len(set(ids)) == 28  # the world's query and these 27
    assert "page 1 of 2" in first
    assert re.findall(r'<tr id="query-(\d+)">', dm.get("/queries?q=Q-26").text) == [ids[-1]]
    assert "No queries match" in dm.get("/queries?form=toxicity").text
    assert "No queries match" in dm.get("/queries?age=3").text
    assert dm.get("/queries?age=x").status_code == 422
    site, site_csrf = login(app, "inv1")
    qid = ids[-1]
    assert _post(site, site_csrf, f"/queries/{qid}/answer", {"answer": "CC-0"}).status_code == 303
    again = _post(site, site_csrf, f"/queries/{qid}/answer", {"answer": "CC-1"})
    assert again.status_code == 422
    assert "already answered" in again.text
    closed = _post(dm, dm_csrf, f"/queries/{qid}/close", {"note": "matches the operative note"})
    assert closed.status_code == 303
    listed = dm.get("/queries?state=closed").text
    assert "Note: matches the operative note" in listed
    assert re.search(r'data-step="answered"><strong>answered</strong> by inv1', listed)
    reopened = _post(dm, dm_csrf, f"/queries/{qid}/reopen", {"reason": "pathology disagrees"})
    assert reopened.status_code == 303
    row = queries.query_row(trial, dm_actor, int(qid))
    assert [s.step for s in row.thread] == ["raised", "answered", "closed", "reopened"]
    api = dm.get("/api/queries?state=all&q=Q-26").json()
    assert [q["id"] for q in api] == [int(qid)]
    assert api[0]["thread"][-1]["text"] == "pathology disagrees"
    # Every step is in the participant's audit history too.
    assert "query_event" in dm.get(f"/participants/{world.p1}/audit").text
    assert dm.get("/api/queries").headers["X-Total-Count"] == "28"


def test_expected_forms_page_csv_and_api_show_the_services_rows(app: FastAPI, world: World) -> None:
    on = dt.date(2019, 1, 1)
    rows = expected.expected_rows(world.site.trial, world.site.dm, on)
    assert {r.study_number for r in rows} == {world.p1, world.p2}
    assert any(r.status == "overdue" and r.days_overdue > 0 for r in rows)
    dm, _ = login(app, "dm")
    page = dm.get(f"/expected?on={on}").text
    assert len(re.findall(r"data-expected=", page)) == len(rows)
    download = dm.get(f"/expected.csv?on={on}")
    assert download.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(download.text)))
    assert [
        (r["study_number"], r["form"], r["what"], r["status"], int(r["days_overdue"]))
        for r in parsed
    ] == [(r.study_number, r.form, r.what, r.status, r.days_overdue) for r in rows]
    assert {r["as_of"] for r in parsed} == {on.isoformat()}
    api = dm.get(f"/api/expected?on={on}&status=overdue").json()
    assert len(api) == sum(r.status == "overdue" for r in rows)
    site, _ = login(app, "inv2")  # centre C02: its own participant only
    assert {r["study_number"] for r in site.get(f"/api/expected?on={on}").json()} == {world.p2}
    dashboard = site.get(f"/?on={on}").text
    assert "Expected forms on 2019-01-01" in dashboard
    assert world.p1 not in dashboard
    # The participant's page lists what the participant owes, with the same figures.
    mine = dm.get(f"/participants/{world.p1}?on={on}").text
    assert len(re.findall(r'<li[^>]*data-expected="', mine)) == sum(
        r.study_number == world.p1 for r in rows
    )
    stat, _ = login(app, "stat")
    assert "Expected forms on" not in stat.get("/").text
    assert stat.get("/expected").status_code == 403


def test_expected_forms_list_is_searched_and_counted(app: FastAPI, world: World) -> None:
    on = dt.date(2019, 1, 1)
    rows = expected.expected_rows(world.site.trial, world.site.dm, on)
    dm, _ = login(app, "dm")
    page = dm.get(f"/expected?on={on}&q={world.p2}").text
    shown = re.findall(r'data-expected="[a-z]+">\s*<td><a href="/participants/([^"]+)"', page)
    assert shown == [r.study_number for r in rows if r.study_number == world.p2]
    assert f"Per participant ({len(shown)})" in page
    assert world.p1 not in shown
