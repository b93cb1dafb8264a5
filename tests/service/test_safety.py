"""Serious adverse events on a real database: the clock, reports, e-mail through a real SMTP
server (aiosmtpd), and who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from cairo6.config import MailSettings
from cairo6.errors import FormError, NotFoundError, PermissionDeniedError, StateError
from cairo6.service import safety
from cairo6.service.records import record_form
from cairo6.study.models import SafetyPlan
from tests.service.conftest import Site, enrol
from tests.service.smtp_sink import free_port, smtp_sink

AWARE = dt.datetime(2018, 2, 3, 9, 30, tzinfo=dt.UTC)
CRITERIA = {
    "sae_death": False,
    "sae_life_threatening": False,
    "sae_hospitalisation": True,
    "sae_disability": False,
    "sae_congenital_anomaly": False,
    "sae_important_medical_event": False,
}


def serious(**changes: Any) -> dict[str, Any]:
    """A serious grade 3 diarrhoea needing admission, as the site enters it."""
    return {
        "term": "watery stools, admitted",
        "ctcae_term": "Diarrhea",
        "grade": 3,
        "phase": "neoadjuvant",
        "onset_date": "2018-02-02",
        "serious": True,
        **CRITERIA,
        "aware_at": "2018-02-03T09:30",
        "outcome": "recovering",
    } | changes


def test_the_initial_report_is_due_24_hours_after_awareness_then_follow_ups() -> None:
    plan = SafetyPlan(initial_report_hours=24, follow_up_days=7)
    on_time = safety.due(AWARE.replace(tzinfo=None), [], plan, AWARE + dt.timedelta(hours=23))
    assert (on_time.state, on_time.due_at) == ("initial due", AWARE + dt.timedelta(hours=24))
    late = safety.due(AWARE, [], plan, AWARE + dt.timedelta(hours=30))
    assert (late.state, late.overdue_by) == ("initial overdue", dt.timedelta(hours=6))
    assert late.describe() == "initial overdue by 6 h (due 04 Feb 2018 09:30 UTC)"
    sent = [safety.ReportView(1, "initial", False, "x", "inv1", AWARE + dt.timedelta(hours=2))]
    follow = safety.due(AWARE, sent, plan, AWARE + dt.timedelta(days=10))
    assert follow.state == "follow-up overdue"
    assert follow.due_at == AWARE + dt.timedelta(hours=2, days=7)
    final = [*sent, safety.ReportView(2, "follow_up", True, "y", "inv1", AWARE)]
    assert safety.due(AWARE, final, plan, AWARE + dt.timedelta(days=99)).state == "closed"


def test_a_serious_event_needs_a_criterion_and_the_time_of_awareness(site: Site) -> None:
    number = enrol(site).study_number
    with pytest.raises(FormError) as caught:
        record_form(
            site.trial,
            site.inv1,
            number,
            "toxicity",
            serious(aware_at="", sae_hospitalisation=False),
        )
    fields = {p.field for p in caught.value.problems}
    assert {"aware_at", "serious"} <= fields
    assert safety.serious_events(site.trial, site.dm, AWARE) == []


def test_a_new_sae_is_mailed_once_and_its_clock_runs_until_the_final_report(site: Site) -> None:
    number = enrol(site).study_number
    saved = record_form(site.trial, site.inv1, number, "toxicity", serious())
    with smtp_sink() as (sink, mail):
        assert safety.notify_if_new(site.trial, site.inv1, saved.record_id, AWARE, mail)
        assert not safety.notify_if_new(site.trial, site.inv1, saved.record_id, AWARE, mail)
        assert len(sink.messages) == 1
        first = sink.messages[0]
        assert first["Subject"] == f"SAE {number}: Diarrhea (new serious adverse event)"
        assert sorted(sink.recipients[0]) == sorted(mail.sae_notify)
        assert "Requires hospitalisation or prolongs it" in first.get_content()

        late = AWARE + dt.timedelta(hours=25)
        (view,) = safety.overdue_events(site.trial, site.dm, late)
        assert (view.study_number, view.term, view.grade) == (number, "Diarrhea", "3")
        assert view.clock.overdue_by == dt.timedelta(hours=1)

        after = safety.submit_report(
            site.trial, site.inv1, saved.record_id, "Admitted, rehydrated.", final=False,
            now=late, mail=mail,
        )  # fmt: skip
        assert after.clock.state == "follow-up due"
        assert [(r.number, r.kind, r.submitted_by) for r in after.reports] == [
            (1, "initial", "inv1")
        ]
        assert "initial report 1" in sink.messages[-1]["Subject"]
        closed = safety.submit_report(
            site.trial, site.inv1, saved.record_id, "Recovered, discharged.", final=True,
            now=late + dt.timedelta(days=3), mail=mail,
        )  # fmt: skip
        assert closed.clock.state == "closed"
        assert [n.status for n in closed.notices] == ["sent", "sent", "sent"]
        with pytest.raises(StateError, match="final report"):
            safety.submit_report(
                site.trial, site.inv1, saved.record_id, "more", final=False, now=late, mail=mail
            )
    assert safety.overdue_events(site.trial, site.dm, late + dt.timedelta(days=30)) == []


def test_a_mail_server_that_is_down_loses_nothing(site: Site) -> None:
    number = enrol(site).study_number
    saved = record_form(site.trial, site.inv1, number, "toxicity", serious())
    down = MailSettings(smtp_host="127.0.0.1", smtp_port=free_port(), sae_notify=("a@b.org",))
    assert safety.notify_if_new(site.trial, site.inv1, saved.record_id, AWARE, down)
    (view,) = safety.serious_events(site.trial, site.dm, AWARE)
    assert [n.status for n in view.notices] == ["failed"]
    assert "ConnectionRefusedError" in view.notices[0].detail
    unset = safety.submit_report(
        site.trial, site.inv1, saved.record_id, "Admitted.", final=False, now=AWARE,
        mail=MailSettings(),
    )  # fmt: skip
    assert [n.status for n in unset.notices] == ["failed", "not_configured"]
    assert len(unset.reports) == 1


def test_only_the_centre_and_the_safety_roles_see_an_sae(site: Site) -> None:
    number = enrol(site).study_number
    saved = record_form(site.trial, site.inv1, number, "toxicity", serious())
    not_serious = serious(serious=False, aware_at=None) | dict.fromkeys(CRITERIA)
    record_form(site.trial, site.inv1, number, "toxicity", not_serious)
    assert [v.record_id for v in safety.serious_events(site.trial, site.monitor, AWARE)] == [
        saved.record_id
    ]
    assert safety.serious_events(site.trial, site.inv2, AWARE) == []
    with pytest.raises(NotFoundError):
        safety.serious_event(site.trial, site.inv2, saved.record_id, AWARE)
    with pytest.raises(NotFoundError):
        safety.submit_report(
            site.trial, site.inv2, saved.record_id, "x", final=False, now=AWARE,
            mail=MailSettings(),
        )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        safety.serious_events(site.trial, site.stat, AWARE)
    with pytest.raises(PermissionDeniedError):
        safety.submit_report(
            site.trial, site.monitor, saved.record_id, "x", final=False, now=AWARE,
            mail=MailSettings(),
        )  # fmt: skip


def test_the_line_listing_holds_what_the_events_say(site: Site) -> None:
    number = enrol(site).study_number
    record_form(site.trial, site.inv1, number, "toxicity", serious())
    views = safety.serious_events(site.trial, site.dm, AWARE)
    rows = list(csv.DictReader(io.StringIO(safety.listing_csv(views))))
    assert rows == safety.listing_rows(views)
    (row,) = rows
    assert (row["study_number"], row["term"], row["grade"], row["outcome"]) == (
        number, "Diarrhea", "3", "Recovering/resolving",
    )  # fmt: skip
    assert row["seriousness"] == "Requires hospitalisation or prolongs it"
    assert row["site_aware_utc"] == "2018-02-03T09:30"
    assert row["arm"] == views[0].arm
    assert row["arm"]  # the data manager may see the allocation
