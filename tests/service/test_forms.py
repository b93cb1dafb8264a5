"""Recording forms: validation, clinical rules, order of events, reasons for changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import tomli_w

from cairo6.errors import (
    FormError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    StateError,
)
from cairo6.protocol import protocol_from_dict
from cairo6.scoring import Region
from cairo6.service import enrolment, forms, queries
from cairo6.service.audit_view import history, verify_trail
from cairo6.service.participants import view
from cairo6.service.setup import initialise
from cairo6.store.engine import Database
from tests.service.conftest import PATIENT, Site, enrol

PCI = {r.id: 0 for r in Region} | {"pelvis": 2, "central": 1}


def _surgery(day: dt.date, **extra: Any) -> dict[str, Any]:
    return {
        "surgery_date": day.isoformat(),
        "procedure": "crs_hipec",
        "pci_regions": PCI,
        "cc_score": 0,
        "primary_tumour_resection": False,
        "anastomosis": True,
        "ostomy": False,
        "operating_time_min": 300,
        "hipec_drug": "mitomycin_c",
        **extra,
    }


def _participant(site: Site, arm: str) -> str:
    for _ in range(12):
        result = enrol(site)
        if result.arm == arm:
            return result.study_number
    raise AssertionError(f"no {arm} allocation in 12 tries")


def test_surgery_and_derived_values(site: Site) -> None:
    sn = _participant(site, "control")
    day = dt.date(2018, 2, 5)
    forms.record(site.trial, site.inv1, "surgery", sn, _surgery(day))
    forms.record(site.trial, site.inv1, "discharge", sn, {"discharge_date": "2018-02-15"})
    forms.record(
        site.trial,
        site.inv1,
        "complication",
        sn,
        {"term": "Ileus", "grade": "IIIa", "onset_date": "2018-02-09"},
    )
    forms.record(
        site.trial,
        site.inv1,
        "complication",
        sn,
        {"term": "Pneumonia", "grade": "II", "onset_date": "2018-02-08"},
    )
    page = view(site.trial, site.inv1, sn, dt.date(2018, 3, 1))
    assert page.derived == {
        "pci_total": 3,
        "macroscopic_complete": True,
        "length_of_stay_days": 10,
        "highest_clavien_dindo": "IIIa",
    }
    assert page.diagnostic is None  # only the statistician sees the allocation diagnostic
    assert view(site.trial, site.stat, sn, dt.date(2018, 3, 1)).diagnostic is not None
    windows = {c.window.id: c.status.value for c in page.compliance}
    assert windows == {"control_surgery": "met"}


def test_every_problem_in_a_form_is_named(site: Site) -> None:
    sn = _participant(site, "control")
    bad = _surgery(dt.date(2018, 2, 5)) | {
        "pci_regions": PCI | {"pelvis": 5},
        "cc_score": 7,
        "hipec_drug": "cisplatin",
    }
    with pytest.raises(FormError) as info:
        forms.record(site.trial, site.inv1, "surgery", sn, bad)
    fields = {p.field for p in info.value.problems}
    assert {"cc_score", "hipec_drug"} <= fields
    with pytest.raises(FormError, match="pci_regions"):
        forms.record(
            site.trial,
            site.inv1,
            "surgery",
            sn,
            _surgery(dt.date(2018, 2, 5)) | {"pci_regions": PCI | {"pelvis": 5}},
        )
    with pytest.raises(FormError, match="unknown field"):
        forms.record(
            site.trial, site.inv1, "discharge", sn, {"discharge_date": "2018-02-15", "x": 1}
        )


def test_order_of_events(site: Site) -> None:
    control = _participant(site, "control")
    with pytest.raises(InvalidValueError, match=r"on or after participant.enrolled_on \(2018"):
        forms.record(site.trial, site.inv1, "surgery", control, _surgery(dt.date(2017, 12, 1)))
    with pytest.raises(InvalidValueError, match=r"only once surgery\.surgery_date is recorded"):
        forms.record(site.trial, site.inv1, "discharge", control, {"discharge_date": "2018-02-15"})
    with pytest.raises(StateError, match="allocated to control"):
        forms.record(
            site.trial,
            site.inv1,
            "cycle",
            control,
            {
                "phase": "neoadjuvant",
                "regimen": "CAPOX-B",
                "cycle_number": 1,
                "given_on": "2018-01-20",
                "bevacizumab_given": True,
            },
        )
    experimental = _participant(site, "experimental")
    with pytest.raises(InvalidValueError, match="adjuvant therapy is given only after surgery"):
        forms.record(
            site.trial,
            site.inv1,
            "cycle",
            experimental,
            {
                "phase": "adjuvant",
                "regimen": "CAPOX",
                "cycle_number": 1,
                "given_on": "2018-01-20",
                "bevacizumab_given": False,
            },
        )
    forms.record(
        site.trial,
        site.inv1,
        "cycle",
        experimental,
        {
            "phase": "neoadjuvant",
            "regimen": "CAPOX-B",
            "cycle_number": 1,
            "given_on": "2018-01-20",
            "bevacizumab_given": True,
        },
    )
    with pytest.raises(InvalidValueError, match=r"after cycle.given_on \(2018-01-20\)"):
        forms.record(site.trial, site.inv1, "surgery", experimental, _surgery(dt.date(2018, 1, 15)))
    page = view(site.trial, site.inv1, experimental, dt.date(2018, 3, 1))
    statuses = {c.window.id: c.status.value for c in page.compliance}
    assert statuses["neoadjuvant_start"] == "met"


def test_changes_need_a_reason_and_are_in_the_history(site: Site) -> None:
    sn = _participant(site, "control")
    rid = forms.record(site.trial, site.inv1, "surgery", sn, _surgery(dt.date(2018, 2, 5)))
    with pytest.raises(InvalidValueError, match="reason"):
        forms.update(site.trial, site.inv1, "surgery", rid, {"operating_time_min": 320}, "")
    forms.update(
        site.trial, site.inv1, "surgery", rid, {"operating_time_min": 320}, "anaesthesia chart"
    )
    rows = [r for r in history(site.trial, site.monitor, sn) if r["field"] == "operating_time_min"]
    assert [(r["old"], r["new"], r["reason"]) for r in rows] == [
        (None, 300, None),
        (300, 320, "anaesthesia chart"),
    ]
    with pytest.raises(NotFoundError):
        forms.update(site.trial, site.inv2, "surgery", rid, {"operating_time_min": 1}, "x")
    assert verify_trail(site.trial.db).ok


def test_reviewers_record_only_their_forms(site: Site) -> None:
    sn = _participant(site, "experimental")
    forms.record(
        site.trial,
        site.pathologist,
        "pathology",
        sn,
        {"site": "peritoneal", "evaluable": True, "trg": 2, "prgs": [2, 3]},
    )
    with pytest.raises(PermissionDeniedError):
        forms.record(
            site.trial,
            site.pathologist,
            "radiology",
            sn,
            {"timepoint": "baseline", "scan_date": "2018-01-05", "radiologic_pci": 6},
        )
    with pytest.raises(FormError, match="not_evaluable_reason"):
        forms.record(
            site.trial,
            site.pathologist,
            "pathology",
            sn,
            {"site": "primary_tumour", "evaluable": False},
        )


def test_query_cycle(site: Site) -> None:
    sn = _participant(site, "control")
    qid = queries.raise_query(site.trial, site.dm, sn, "surgery", "cc_score", "CC-0 or CC-1?")
    assert [q.id for q, _ in queries.open_queries(site.trial, site.inv1)] == [qid]
    assert queries.open_queries(site.trial, site.inv2) == []
    with pytest.raises(PermissionDeniedError):
        queries.close_query(site.trial, site.inv1, qid)
    queries.answer_query(site.trial, site.inv1, qid, "CC-0 per operative report")
    queries.close_query(site.trial, site.dm, qid)
    assert queries.open_queries(site.trial, site.dm) == []
    with pytest.raises(StateError):
        queries.answer_query(site.trial, site.inv1, qid, "again")


def _refused(error: pytest.ExceptionInfo[InvalidValueError], field: str, value: str) -> str:
    assert (error.value.field, error.value.value) == (field, value)
    return str(error.value)


def test_dates_that_cannot_be_true_are_refused_on_entry_and_on_edit(site: Site) -> None:
    sn = _participant(site, "control")  # randomised 2018-01-10
    surgery = forms.record(site.trial, site.inv1, "surgery", sn, _surgery(dt.date(2018, 2, 5)))
    forms.record(site.trial, site.inv1, "discharge", sn, {"discharge_date": "2018-02-15"})
    # Surgery moved after the discharge: the edit runs the checks of first entry.
    with pytest.raises(InvalidValueError) as moved:
        forms.update(
            site.trial,
            site.inv1,
            "surgery",
            surgery,
            {"surgery_date": "2018-08-01"},
            reason="typo",
        )
    text = _refused(moved, "surgery.surgery_date", "2018-08-01")
    assert "on or before discharge.discharge_date (2018-02-15)" in text
    # Death before randomisation, on first entry.
    with pytest.raises(InvalidValueError) as dead:
        forms.record(
            site.trial,
            site.inv1,
            "follow_up",
            sn,
            {"visit_date": "2018-03-01", "vital_status": "dead", "death_date": "2017-12-24"},
        )
    assert "on or after participant.enrolled_on (2018-01-10)" in _refused(
        dead, "follow_up.death_date", "2017-12-24"
    )
    # A visit in the future.
    with pytest.raises(InvalidValueError) as future:
        forms.record(
            site.trial,
            site.inv1,
            "follow_up",
            sn,
            {"visit_date": "2099-03-01", "vital_status": "alive"},
        )
    assert "a date up to today" in _refused(future, "follow_up.visit_date", "2099-03-01")
    # A discharge moved before the surgery, by an edit.
    [discharge] = view(site.trial, site.inv1, sn, dt.date(2018, 3, 1)).forms["discharge"]
    with pytest.raises(InvalidValueError) as early:
        forms.update(
            site.trial,
            site.inv1,
            "discharge",
            discharge["id"],
            {"discharge_date": "2018-02-01"},
            reason="typo",
        )
    assert "on or after surgery.surgery_date (2018-02-05)" in _refused(
        early, "discharge.discharge_date", "2018-02-01"
    )
    page = view(site.trial, site.inv1, sn, dt.date(2018, 3, 1))
    assert page.derived["length_of_stay_days"] == 10  # nothing was changed
    assert "follow_up" not in page.forms or not page.forms["follow_up"]


def test_screening_before_recruitment_started_is_refused(site: Site) -> None:
    with pytest.raises(InvalidValueError) as early:
        enrolment.add_screening(
            site.trial,
            site.inv1,
            "C01",
            {"screened_on": dt.date(1900, 1, 1), "approached": True, "refused": False},
        )
    assert "on or after accrual.start (2017-06-15)" in _refused(
        early, "screening.screened_on", "1900-01-01"
    )
    number = enrolment.add_screening(
        site.trial,
        site.inv1,
        "C01",
        {"screened_on": dt.date(2018, 1, 2), "approached": True, "refused": False},
    )
    with pytest.raises(InvalidValueError) as future:
        enrolment.assess_eligibility(site.trial, site.inv1, number, PATIENT, dt.date(2099, 1, 2))
    assert "a date up to today" in _refused(future, "eligibility.assessed_on", "2099-01-02")
    enrolment.assess_eligibility(site.trial, site.inv1, number, PATIENT, dt.date(2018, 1, 2))
    with pytest.raises(InvalidValueError) as later:
        enrolment.randomise(site.trial, site.inv1, number, dt.date(2099, 1, 2))
    assert "a date up to today" in _refused(later, "participant.enrolled_on", "2099-01-02")


def test_an_order_of_events_naming_no_date_is_refused_at_set_up(
    db: Database, raw_cairo6: dict[str, Any]
) -> None:
    raw_cairo6["date_order"][0]["later"] = "screening.screened_at"
    protocol = protocol_from_dict(raw_cairo6)
    with pytest.raises(ProtocolError, match=r"date_order\[0\].*'screening.screened_at'"):
        initialise(db, protocol, tomli_w.dumps(raw_cairo6))
