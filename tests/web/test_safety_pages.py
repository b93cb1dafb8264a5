"""The safety pages over HTTP on a real database, with a real SMTP server as the sink and the
app's clock moved by the test: the term pick list refuses what is not a CTCAE term, an SAE is
mailed, turns overdue after 24 hours on the dashboard, is reported, listed and printed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import func, select

from cairo6.config import MailSettings
from cairo6.service import safety
from cairo6.store.schema import FormRecord
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.service.smtp_sink import Sink, smtp_sink
from tests.web.conftest import SAE_CRITERIA, World, login

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

AWARE = dt.datetime(2018, 2, 3, 9, 30, tzinfo=dt.UTC)


@dataclass
class Clock:
    """The app's `now`, moved by the test instead of waiting."""

    at: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def mail() -> Iterator[tuple[Sink, MailSettings]]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock(AWARE + dt.timedelta(minutes=10))


@pytest.fixture
def safety_app(world: World, mail: tuple[Sink, MailSettings], clock: Clock) -> FastAPI:
    return create_app(world.site.trial.db, WebSettings(mail=mail[1]), now=clock)


def _toxicities(world: World) -> int:
    with world.site.trial.db.read() as session:
        return (
            session.scalar(
                select(func.count()).select_from(FormRecord).where(FormRecord.form == "toxicity")
            )
            or 0
        )


def _serious_form(csrf: str, term: str = "Diarrhea", grade: str = "3") -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "term": "watery stools, admitted",
        "ctcae_term": term,
        "grade": grade,
        "phase": "neoadjuvant",
        "onset_date": "2018-02-02",
        "serious": "true",
        "aware_at": "2018-02-03T09:30",
    }
    return form | dict.fromkeys(SAE_CRITERIA, "false") | {"sae_hospitalisation": "true"}


def test_the_term_is_chosen_from_the_ctcae_list_and_its_grades(
    safety_app: FastAPI, world: World
) -> None:
    client, csrf = login(safety_app, "inv1")
    blank = client.get(f"/participants/{world.p1}/records/toxicity/new")
    assert 'list="ctcae_term-terms"' in blank.text
    assert blank.text.count("<option value=") >= 837  # every CTCAE v5.0 term is offered
    before = _toxicities(world)
    misspelt = client.post(
        f"/participants/{world.p1}/records/toxicity", data=_serious_form(csrf, "diarhea")
    )
    assert misspelt.status_code == 422
    assert "did you mean &#39;Diarrhea&#39;" in misspelt.text
    no_grade_4 = client.post(
        f"/participants/{world.p1}/records/toxicity", data=_serious_form(csrf, "Fatigue", "4")
    )
    assert no_grade_4.status_code == 422
    assert "defines no grade 4" in no_grade_4.text
    assert _toxicities(world) == before


def test_an_sae_is_mailed_turns_overdue_after_24_hours_and_is_reported(
    safety_app: FastAPI, world: World, mail: tuple[Sink, MailSettings], clock: Clock
) -> None:
    sink, _settings = mail
    client, csrf = login(safety_app, "inv1")
    saved = client.post(
        f"/participants/{world.p1}/records/toxicity",
        data=_serious_form(csrf),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert [m["Subject"] for m in sink.messages] == [
        f"SAE {world.p1}: Diarrhea (new serious adverse event)"
    ]
    dm, _ = login(safety_app, "dm")
    assert "No report is overdue." in dm.get("/").text

    clock.at = AWARE + dt.timedelta(hours=25)
    board = dm.get("/").text
    assert "Overdue serious-adverse-event reports: 1" in board
    assert f"{world.p1}: Diarrhea</a> — initial overdue by 1 h" in board
    listing = dm.get("/safety?overdue=1").text
    (record_id,) = {int(i) for i in re.findall(r'href="/safety/(\d+)"', listing)}
    # The list is searched and filtered like every list: a search that names nothing of the
    # event shows no event, the overdue filter the one event.
    assert not re.findall(r'href="/safety/(\d+)"', dm.get("/safety?q=no-such-term").text)
    only = dm.get("/safety?reporting=overdue").text
    assert {int(i) for i in re.findall(r'href="/safety/(\d+)"', only)} == {record_id}

    reported = client.post(
        f"/safety/{record_id}/report",
        data={"csrf_token": csrf, "narrative": "Admitted for rehydration; recovering."},
    )
    assert reported.status_code == 200
    assert "follow-up due by 11 Feb 2018 10:30 UTC" in reported.text
    assert "Report 1 (initial)" in reported.text
    assert "initial report 1" in sink.messages[-1]["Subject"]
    assert "No report is overdue." in dm.get("/").text

    views = safety.serious_events(world.site.trial, world.site.dm, clock.at)
    table = dm.get("/safety.csv")
    assert table.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(table.text))) == safety.listing_rows(views)

    pdf = dm.get(f"/safety/{record_id}/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for shown in (world.p1, "Diarrhea", "Admitted for rehydration; recovering.",
                  "Requires hospitalisation or prolongs it", "follow-up due"):  # fmt: skip
        assert shown in text


def test_an_empty_report_is_refused_and_changes_nothing(
    safety_app: FastAPI, world: World, clock: Clock
) -> None:
    record_id = world.sae()
    client, csrf = login(safety_app, "inv1")
    refused = client.post(f"/safety/{record_id}/report", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert "narrative" in refused.text
    assert safety.serious_event(world.site.trial, world.site.dm, record_id, clock()).reports == ()


def test_an_sae_entered_through_the_api_is_mailed_once(
    safety_app: FastAPI, world: World, mail: tuple[Sink, MailSettings]
) -> None:
    sink, _settings = mail
    client, csrf = login(safety_app, "inv1")
    body = {k: v for k, v in _serious_form(csrf).items() if k != "csrf_token"}
    saved = client.post(
        f"/api/participants/{world.p1}/records/toxicity", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert saved.status_code == 200, saved.text
    assert len(sink.messages) == 1
    key = saved.json()["record_key"]
    corrected = client.patch(
        f"/api/participants/{world.p1}/records/toxicity?key={key}",
        json={"changes": {"outcome": "recovered"}, "reason": "recovered at discharge"},
        headers={"X-CSRF-Token": csrf},
    )
    assert corrected.status_code == 200, corrected.text
    assert len(sink.messages) == 1  # a correction of a known SAE is no new SAE
