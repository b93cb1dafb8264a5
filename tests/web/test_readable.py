"""Dates and times as `<time>` elements with a readable fallback, and audit rows in labels."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI

from cairo6.study.loader import read_study_texts, study_from_texts
from cairo6.web.readable import audit_rows, day, when
from tests.web.conftest import World, login
from tests.web.toy_site import TOY


def test_a_time_is_machine_readable_and_reads_well_without_scripts() -> None:
    stamp = when("2026-12-03T15:02:09.123456+00:00")
    assert stamp == (
        '<time datetime="2026-12-03T15:02:09.123456Z" data-local="datetime">'
        "3 Dec 2026, 15:02 UTC</time>"
    )
    # A time with another offset is shown in UTC; one without an offset is taken as UTC.
    assert "3 Dec 2026, 14:02 UTC" in when("2026-12-03T15:02:00+01:00")
    assert "1 Jan 2027, 00:30 UTC" in when(dt.datetime(2027, 1, 1, 0, 30))
    assert day(dt.date(2018, 1, 12)) == (
        '<time datetime="2018-01-12" data-local="date">12 Jan 2018</time>'
    )
    assert day("2018-04-20").endswith(">20 Apr 2018</time>")
    assert day(None) == "—"
    # Text that is not a date is shown as it is, escaped.
    assert when("<b>later</b>") == "&lt;b&gt;later&lt;/b&gt;"


def test_audit_rows_name_the_form_the_item_and_the_codes_labels() -> None:
    study = study_from_texts(read_study_texts(TOY), "toy")
    at = "2026-12-03T15:02:00+00:00"

    def row(seq: int, field: str, old: object, new: object, table: str = "form_record") -> dict:
        return {
            "seq": seq,
            "at": at,
            "username": "nurse",
            "role": "investigator",
            "action": "insert" if old is None else "update",
            "table_name": table,
            "record_id": "7",
            "field": field,
            "old": old,
            "new": new,
            "reason": None,
        }

    rows = audit_rows(
        study,
        [
            row(1, "form", None, "visit"),
            row(1, "record_key", None, "12"),
            row(1, "data.adherence", None, "good"),
            row(2, "data.visit_date", "2024-04-05", "2024-04-06"),
            row(3, "arm", None, "low_dose", table="randomisation"),
        ],
    )
    adherence = rows[2]
    assert adherence["record"] == "Follow-up visit (12)"
    assert adherence["item"] == "Adherence"
    label = study.codelist("adherence").label_of("good")
    assert label != "good"
    assert adherence["new_text"] == label
    assert adherence["old_text"] == "—"
    assert rows[3]["old_text"].endswith(">5 Apr 2024</time>")
    assert rows[0]["bookkeeping"]
    assert not adherence["bookkeeping"]
    assert rows[4]["record"] == "Allocation"


def test_queries_name_their_form_and_item_by_label(app: FastAPI, world: World) -> None:
    study = world.site.trial.definition()
    shown = f"Surgery · {study.form('surgery').item('cc_score').label}"  # type: ignore[union-attr]
    client, _ = login(app, "dm")
    for path in ("/", f"/participants/{world.p1}", "/queries"):
        text = client.get(path).text
        assert shown in text, path
        assert "surgery.cc_score" not in text, path
