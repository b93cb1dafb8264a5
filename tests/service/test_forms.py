"""CAIRO6's forms through the generic record service: the definition's checks, the order of
events, the regimen of the arm, reasons for changes, reviewers' forms and queries."""

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
from cairo6.service import enrolment
from cairo6.service.audit_view import history, verify_trail
from cairo6.service.participants import view
from cairo6.service.records import record_form, records_of, update_form
from cairo6.service.setup import initialise
from cairo6.service.web_support import query_list
from cairo6.store.engine import Database
from tests.service.conftest import PATIENT, Site, enrol

PCI = {r.id: 0 for r in Region} | {"pelvis": 2, "central": 1}
TODAY = dt.date(2019, 1, 1)


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


def _cycle(phase: str, regimen: str, number: int, day: str) -> dict[str, Any]:
    return {
        "phase": phase,
        "regimen": regimen,
        "cycle_number": number,
        "given_on": day,
        "bevacizumab_given": regimen.endswith("-B"),
    }


def _participant(site: Site, arm: str) -> str:
    for _ in range(12):
        result = enrol(site)
        if result.arm == arm:
            return result.study_number
    raise AssertionError(f"no {arm} allocation in 12 tries")


def _save(site: Site, sn: str, form: str, values: dict[str, Any], who: Any = None) -> Any:
    return record_form(site.trial, who or site.inv1, sn, form, values, today=TODAY)


def _fields(error: pytest.ExceptionInfo[FormError]) -> dict[str, str]:
    return {p.field: p.message for p in error.value.problems}


def test_surgery_with_derived_items_and_the_calendar(site: Site) -> None:
    sn = _participant(site, "control")
    _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5)))
    _save(site, sn, "discharge", {"discharge_date": "2018-02-15"})
    _save(
        site,
        sn,
        "complication",
        {"term": "Ileus", "ctcae_term": "Ileus", "grade": "IIIa", "onset_date": "2018-02-09"},
    )
    saved = records_of(site.trial, site.inv1, sn)
    [(_, surgery)] = saved["surgery"]
    assert (surgery["pci_total"], surgery["macroscopic_complete"]) == (3, True)
    assert saved["discharge"][0][1]["length_of_stay_days"] == 10
    page = view(site.trial, site.inv1, sn, dt.date(2018, 3, 1))
    assert page.diagnostic is None  # only the statistician sees the allocation diagnostic
    assert view(site.trial, site.stat, sn, dt.date(2018, 3, 1)).diagnostic is not None
    windows = {c.window.id: c.status.value for c in page.compliance}
    assert windows == {"control_surgery": "met"}


def test_a_hard_check_refuses_naming_the_item_and_saves_nothing(site: Site) -> None:
    sn = _participant(site, "control")
    bad = _surgery(dt.date(2018, 2, 5)) | {"pci_regions": PCI | {"pelvis": 5}, "cc_score": 7}
    with pytest.raises(FormError) as refused:
        _save(site, sn, "surgery", bad | {"hipec_drug": "cisplatin"})
    assert {"pci_regions", "cc_score", "hipec_drug"} <= set(_fields(refused))
    # Open-close: a reason is required and no HIPEC drug may be given (definition checks).
    open_close = _surgery(dt.date(2018, 2, 5), procedure="open_close", cc_score=None)
    with pytest.raises(FormError) as oc:
        _save(site, sn, "surgery", open_close)
    assert set(_fields(oc)) == {"open_close_reason", "hipec_drug"}
    assert "No HIPEC is given at an open-close procedure" in _fields(oc)["hipec_drug"]
    with pytest.raises(FormError) as no_drug:
        _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5), hipec_drug="none"))
    assert "CRS-HIPEC needs the HIPEC drug" in _fields(no_drug)["hipec_drug"]
    # CC score and R class that disagree (the scoring library's validator).
    with pytest.raises(FormError) as cc_r:
        _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5), r_class="R2"))
    assert "agree" in _fields(cc_r)["cc_score"]
    assert records_of(site.trial, site.inv1, sn)["surgery"] == []
    with pytest.raises(FormError, match="not an item"):
        _save(site, sn, "restaging", {"ct_date": "2018-02-01", "outcome": "x", "x": 1})


def test_a_soft_check_saves_and_opens_a_query(site: Site) -> None:
    sn = _participant(site, "control")
    saved = _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5), operating_time_min=1000))
    assert saved.queries == ("long_operation",)
    [query] = query_list(site.trial, site.dm, study_number=sn)
    assert (query.form, query.field_name, query.record_id) == (
        "surgery",
        "operating_time_min",
        saved.record_id,
    )
    assert "15 hours" in query.question


def test_follow_up_and_pathology_ask_what_their_answers_need(site: Site) -> None:
    sn = _participant(site, "control")
    with pytest.raises(FormError) as dead:
        _save(site, sn, "follow_up", {"visit_date": "2018-03-01", "vital_status": "dead"})
    assert set(_fields(dead)) == {"death_date"}
    with pytest.raises(FormError) as recurred:
        _save(
            site,
            sn,
            "follow_up",
            {"visit_date": "2018-03-01", "vital_status": "alive", "recurrence": True},
        )
    assert set(_fields(recurred)) == {"recurrence_date"}
    with pytest.raises(FormError) as alive:
        _save(
            site, sn, "follow_up",
            {"visit_date": "2018-03-01", "vital_status": "alive", "death_date": "2018-02-01"},
        )  # fmt: skip
    assert "leave it empty" in _fields(alive)["death_date"]
    _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5)))
    who = site.pathologist
    with pytest.raises(FormError) as trg:
        _save(site, sn, "pathology", {"site": "peritoneal", "evaluable": True}, who)
    assert set(_fields(trg)) == {"trg"}
    with pytest.raises(FormError) as reason:
        _save(site, sn, "pathology", {"site": "overall", "evaluable": False}, who)
    assert set(_fields(reason)) == {"not_evaluable_reason"}
    with pytest.raises(FormError) as grade:
        _save(site, sn, "complication", {"term": "Ileus", "ctcae_term": "Ileus", "grade": "III"})
    assert set(_fields(grade)) == {"grade"}


def test_order_of_events_and_the_regimen_of_the_arm(site: Site) -> None:
    control = _participant(site, "control")  # randomised 2018-01-10
    with pytest.raises(FormError) as early:
        _save(site, control, "surgery", _surgery(dt.date(2017, 12, 1)))
    assert "before randomisation" in _fields(early)["surgery_date"]
    with pytest.raises(StateError, match="needs Surgery first"):
        _save(site, control, "discharge", {"discharge_date": "2018-02-15"})
    with pytest.raises(FormError) as arm:
        _save(site, control, "cycle", _cycle("neoadjuvant", "CAPOX-B", 1, "2018-01-20"))
    assert "another arm" in _fields(arm)["regimen"]
    experimental = _participant(site, "experimental")
    with pytest.raises(FormError) as phase:
        _save(site, experimental, "cycle", _cycle("adjuvant", "CAPOX-B", 1, "2018-01-20"))
    assert "not one of the chosen phase" in _fields(phase)["regimen"]
    with pytest.raises(FormError) as before:
        _save(site, experimental, "cycle", _cycle("adjuvant", "CAPOX", 1, "2018-01-20"))
    assert "record the surgery first" in _fields(before)["given_on"]
    with pytest.raises(FormError) as unknown:
        _save(site, experimental, "cycle", _cycle("neoadjuvant", "XELOX", 1, "2018-01-20"))
    assert "CAPOX with bevacizumab" in _fields(unknown)["regimen"]  # labels of the protocol
    _save(site, experimental, "cycle", _cycle("neoadjuvant", "CAPOX-B", 1, "2018-01-20"))
    with pytest.raises(FormError) as cut:
        _save(site, experimental, "surgery", _surgery(dt.date(2018, 1, 15)))
    assert "follow the neoadjuvant cycles" in _fields(cut)["surgery_date"]
    page = view(site.trial, site.inv1, experimental, dt.date(2018, 3, 1))
    statuses = {c.window.id: c.status.value for c in page.compliance}
    assert statuses["neoadjuvant_start"] == "met"


def test_changes_need_a_reason_and_are_in_the_history(site: Site) -> None:
    sn = _participant(site, "control")
    _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5)))

    def change(who: Any, minutes: int, reason: str) -> None:
        update_form(
            site.trial, who, sn, "surgery", {"operating_time_min": minutes}, reason=reason,
            today=TODAY,
        )  # fmt: skip

    with pytest.raises(InvalidValueError, match="reason"):
        change(site.inv1, 320, "")
    change(site.inv1, 320, "anaesthesia chart")
    rows = [
        r
        for r in history(site.trial, site.monitor, sn)
        if r["field"].endswith("operating_time_min")
    ]
    assert [(r["old"], r["new"], r["reason"]) for r in rows] == [
        (None, 300, None),
        (300, 320, "anaesthesia chart"),
    ]
    with pytest.raises(NotFoundError):
        change(site.inv2, 1, "x")
    assert verify_trail(site.trial.db).ok


def test_an_edit_runs_the_checks_of_first_entry(site: Site) -> None:
    sn = _participant(site, "control")
    _save(site, sn, "surgery", _surgery(dt.date(2018, 2, 5)))
    _save(site, sn, "discharge", {"discharge_date": "2018-02-15"})
    with pytest.raises(FormError) as moved:
        update_form(
            site.trial, site.inv1, sn, "surgery", {"surgery_date": "2018-08-01"}, reason="typo",
            today=TODAY,
        )  # fmt: skip
    assert "after the recorded discharge" in _fields(moved)["surgery_date"]
    with pytest.raises(FormError) as future:
        _save(site, sn, "follow_up", {"visit_date": "2099-03-01", "vital_status": "alive"})
    assert "future" in _fields(future)["visit_date"]
    saved = records_of(site.trial, site.inv1, sn)
    assert saved["surgery"][0][1]["surgery_date"] == dt.date(2018, 2, 5)  # nothing changed
    assert saved["follow_up"] == []


def test_reviewers_record_only_their_forms(site: Site) -> None:
    sn = _participant(site, "experimental")
    _save(site, sn, "cycle", _cycle("neoadjuvant", "CAPOX-B", 1, "2018-01-20"))
    _save(site, sn, "surgery", _surgery(dt.date(2018, 4, 5)))
    review = {"site": "peritoneal", "evaluable": True, "trg": 2, "prgs": [2, 3]}
    _save(site, sn, "pathology", review, site.pathologist)
    with pytest.raises(PermissionDeniedError):
        _save(
            site, sn, "radiology",
            {"timepoint": "baseline", "scan_date": "2018-01-05", "radiologic_pci": 6},
            site.pathologist,
        )  # fmt: skip
    with pytest.raises(FormError) as lesion:
        _save(
            site, sn, "radiology",
            {"timepoint": "baseline", "scan_date": "2018-01-05", "lesions": [{"id": "L1"}]},
            site.radiologist,
        )  # fmt: skip
    assert "lesion 1" in _fields(lesion)["lesions"]


def _refused(error: pytest.ExceptionInfo[InvalidValueError], field: str, value: str) -> str:
    assert (error.value.field, error.value.value) == (field, value)
    return str(error.value)


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
