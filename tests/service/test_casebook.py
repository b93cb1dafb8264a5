"""Casebooks printed from the real service and read back from the PDF they make.

The study is the SYNTHETIC three-arm TOY-BP trial of tests/study/data/toy (nothing of it is
code) and, below, the bundled CAIRO6 study: every form of either is printed by the same code.
What the PDF should say is taken from the records as the record service returns them and from
the audit trail in the database, never written out here.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import inspect
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cairo6.errors import NotFoundError, PermissionDeniedError
from cairo6.report.casebook_model import RecordStatus, Signature, Step
from cairo6.report.casebook_pdf import centre_zip, render_casebook
from cairo6.service import admin, queries
from cairo6.service.casebook import centre_casebooks, participant_casebook
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.records import Saved, record_form, records_of, update_form
from cairo6.service.setup import initialise_study, open_trial
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord
from cairo6.study.loader import read_study_texts, study_from_texts
from tests.service.conftest import Site, enrol
from tests.web.conftest import surgery

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"
TODAY = dt.date(2024, 6, 1)
PRINTED = dt.datetime(2024, 6, 2, 9, 30, tzinfo=dt.UTC)
ROLES = {
    "nurse": ("research_nurse", "H01"),
    "inv1": ("investigator", "H01"),
    "inv2": ("investigator", "H02"),
    "dm": ("data_manager", None),
    "monitor": ("monitor", None),
    "stat": ("statistician", None),
    "radiologist": ("radiology_reviewer", None),
    "dmc": ("dmc_member", None),
}


def pdf_text(data: bytes) -> str:
    """Every page's text, with runs of white space made one space (cells wrap over lines)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@dataclasses.dataclass
class Toy:
    trial: Trial
    actors: dict[str, Actor]
    number: str


def _enrol(trial: Trial, actor: Actor, centre: str) -> str:
    number = add_screening(trial, actor, centre, {"screened_on": "2024-01-10", "approached": True})
    assess_eligibility(
        trial, actor, number, {"age_years": 61, "systolic_mmhg": 162}, dt.date(2024, 1, 11)
    )
    return randomise(trial, actor, number, dt.date(2024, 1, 12)).study_number


@pytest.fixture
def toy(db: Database) -> Toy:
    """A toy trial at two hospitals; H01's participant has records, a change and a query."""
    return build_toy(db)


def build_toy(db: Database) -> Toy:
    """The toy trial of the `toy` fixture in a migrated, empty database."""
    files = read_study_texts(TOY)
    trial = initialise_study(db, study_from_texts(files, "toy"), files)
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_centre(trial, boss, "H01", "Hospital One", dt.date(2024, 1, 1))
    admin.add_centre(trial, boss, "H02", "Hospital Two", dt.date(2024, 1, 1))
    for name, (role, centre) in ROLES.items():
        admin.add_user(trial, boss, name, role, centre_code=centre, full_name=f"{name.title()} X")
    with db.read() as session:
        actors = {name: actor_for(session, name) for name in (*ROLES, "admin")}
    trial = open_trial(db)
    nurse = actors["nurse"]
    number = _enrol(trial, actors["inv1"], "H01")
    record_form(
        trial, nurse, number, "baseline",
        {"visit_date": "2024-01-12", "systolic": 158, "smoking": "never"}, today=TODAY,
    )  # fmt: skip
    saved = record_form(
        trial, nurse, number, "visit",
        {"week": 12, "visit_date": "2024-04-05", "systolic": 136, "adherence": "good"},
        today=TODAY,
    )  # fmt: skip
    update_form(
        trial, nurse, number, "visit", {"systolic": 141}, reason="transcription error",
        record_key="12", today=TODAY,
    )  # fmt: skip
    monitor = actors["monitor"]
    query = _raise_on_record(
        trial, monitor, number, ("visit", "systolic", "Clinic letter says 141?"), saved
    )
    queries.answer_query(trial, nurse, query, "Yes, corrected from the letter")
    queries.close_query(trial, monitor, query, "confirmed against the clinic letter")
    return Toy(trial, actors, number)


def _raise_on_record(
    trial: Trial, actor: Actor, number: str, asked: tuple[str, str, str], saved: Saved
) -> int:
    """A query on one record: named by its id by the first query service, by its key by the
    item-level one (`record_key`), whichever this tree has."""
    if "record_key" in inspect.signature(queries.raise_query).parameters:
        return queries.raise_query(trial, actor, number, *asked, record_key=saved.record_key)
    return queries.raise_query(trial, actor, number, *asked, saved.record_id)


def test_a_casebook_prints_every_form_item_query_and_change(toy: Toy) -> None:
    trial, nurse = toy.trial, toy.actors["nurse"]
    # Raised by form and item alone: a once-only form's query sits on its one record.
    unnamed = queries.raise_query(trial, toy.actors["dm"], toy.number, "baseline", "smoking", "?")
    book = participant_casebook(trial, nurse, toy.number, printed_at=PRINTED)
    data = render_casebook(book)
    text = pdf_text(data)
    study = trial.definition()
    records = records_of(trial, nurse, toy.number)
    assert f"Casebook of {toy.number}" in text
    assert "Hospital One" in text
    assert "2024-06-02 09:30:00 UTC by Nurse X (nurse), research nurse" in text
    assert book.allocation is not None
    assert f"Allocated arm {book.allocation.arm}" in text
    arm_labels = {a.label for a in trial.protocol.arms}
    assert book.allocation.arm in arm_labels
    for form in study.forms:
        assert form.label in text
        if not records[form.id]:
            assert f"{form.label} Not entered." in text
        for key, values in records[form.id]:
            if form.repeating:
                assert f"{form.label} {study.key_label(form, key)}".strip() in text
            for item in form.items():
                shown = study.shown(form, {item.id: values.get(item.id)})
                label, value = shown[0] if shown else (item.label, "—")
                assert f"{label} {value}" in text, (form.id, item.id)
    # Labels, not codes; the computed item says so; the status of every record is printed.
    assert "Smoking Never smoked" in text
    assert "Adherence Took 80% or more of doses" in text
    assert "Days since baseline (computed) 84" in text
    assert text.count("Status: In progress") == book.records == 2
    # The query on its item, and its whole thread with who and when.
    thread, other = book.queries
    assert f"Systolic blood pressure 141 mmHg Q{thread.number} closed" in text
    assert f"Smoking Never smoked Q{unnamed} open" in text
    assert other.number == unnamed
    for step in ("raised", "answered", "closed"):
        assert step in [s.what for s in thread.steps]
    for words in (
        "Clinic letter says 141?",
        "Yes, corrected from the letter",
        "query closed: confirmed against the clinic letter",
        "monitor (monitor)",
        "nurse (research nurse)",
    ):
        assert words in text
    # The change, as people read it, with its reason.
    assert "Systolic blood pressure: 136 mmHg → 141 mmHg" in text
    assert "transcription error" in text
    # The PDF's outline lets an archivist jump to each form.
    titles = {entry.title for entry in _outline(PdfReader(io.BytesIO(data)).outline)}
    assert {f.label for f in study.forms} <= titles


def _outline(entries: list[Any]) -> list[Any]:
    flat = []
    for entry in entries:
        flat += _outline(entry) if isinstance(entry, list) else [entry]
    return flat


def test_the_printed_audit_trail_is_the_participants_whole_trail(toy: Toy) -> None:
    book = participant_casebook(toy.trial, toy.actors["dm"], toy.number, printed_at=PRINTED)
    text = pdf_text(render_casebook(book))
    with toy.trial.db.read() as session:
        seqs = session.scalars(
            select(AuditRecord.seq)
            .where(AuditRecord.participant == toy.number)
            .order_by(AuditRecord.seq)
        ).all()
        head = session.scalar(select(func.max(AuditRecord.seq)))
    assert [line.seq for line in book.audit] == list(seqs)
    assert f"up to record {head}," in text
    for line in book.audit:
        assert f"{line.seq} {line.at} {line.by} {line.action}" in text
    # The allocation diagnostic is concealed from all but the statistician, in print too.
    assert "(concealed)" in text
    assert "preferred" not in text


def test_lifecycle_status_sdv_marks_and_signatures_are_printed(toy: Toy) -> None:
    book = participant_casebook(toy.trial, toy.actors["dm"], toy.number, printed_at=PRINTED)
    form = next(f for f in book.forms if f.records and not f.repeating)
    record = form.records[0]
    marked = next(i for g in record.groups for i in g.items)
    verified = RecordStatus(
        "signed",
        (Step("verified", "monitor", "2024-05-01 10:00:00 UTC", "source checked"),),
        frozenset({marked.item_id}),
    )
    signatures = (
        Signature("Ada Investigator", "inv", "I approve this casebook", "2024-05-02 11:00:00 UTC",
                  "casebook", True),
        Signature("Ada Investigator", "inv", "I approve this visit", "2024-04-02 11:00:00 UTC",
                  "visit week 12", False, "a signed record was changed"),
    )  # fmt: skip
    forms = tuple(
        dataclasses.replace(
            f, records=(dataclasses.replace(record, status=verified), *f.records[1:])
        )
        if f is form
        else f
        for f in book.forms
    )
    text = pdf_text(render_casebook(dataclasses.replace(book, forms=forms, signatures=signatures)))
    assert "Status: signed" in text
    assert "verified 2024-05-01 10:00:00 UTC by monitor (source checked)" in text
    assert f"{marked.label} {marked.value} ✓" in text, text[
        text.find(marked.label) - 50 : text.find(marked.label) + 120
    ]
    assert (
        "Ada Investigator (inv) I approve this casebook casebook 2024-05-02 11:00:00 UTC valid"
        in text
    )
    assert "VOIDED: a signed record was changed" in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_only_who_may_print_gets_a_casebook(toy: Toy) -> None:
    trial, actors = toy.trial, toy.actors
    with pytest.raises(NotFoundError):
        participant_casebook(trial, actors["inv2"], toy.number)
    with pytest.raises(PermissionDeniedError, match="another centre"):
        centre_casebooks(trial, actors["inv2"], "H01")
    for name in ("stat", "radiologist", "dmc", "admin"):
        with pytest.raises(PermissionDeniedError):
            participant_casebook(trial, actors[name], toy.number)
        with pytest.raises(PermissionDeniedError):
            centre_casebooks(trial, actors[name], "H01")
    assert participant_casebook(trial, actors["monitor"], toy.number).study_number == toy.number


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_centre_prints_as_a_zip_of_its_participants_with_an_index(toy: Toy) -> None:
    trial, nurse = toy.trial, toy.actors["nurse"]
    second = _enrol(trial, toy.actors["inv1"], "H01")
    elsewhere = _enrol(trial, toy.actors["inv2"], "H02")
    books = centre_casebooks(trial, nurse, "H01", printed_at=PRINTED)
    archive = zipfile.ZipFile(io.BytesIO(centre_zip(books)))
    numbers = sorted([toy.number, second])
    assert sorted(archive.namelist()) == sorted(
        [f"{n}.pdf" for n in numbers] + ["index.pdf", "index.csv"]
    )
    assert elsewhere not in " ".join(archive.namelist())
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
    assert [r["study_number"] for r in rows] == numbers
    for row in rows:
        data = archive.read(row["file"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert int(row["pages"]) == len(PdfReader(io.BytesIO(data)).pages)
        assert f"Casebook of {row['study_number']}" in pdf_text(data)
    index = pdf_text(archive.read("index.pdf"))
    assert "Casebooks of centre H01" in index
    for row in rows:
        assert f"{row['study_number']} {row['file']}" in index
        assert row["sha256"][:12] in index.replace(" ", "")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_bundled_study_prints_through_the_same_code(site: Site) -> None:
    """CAIRO6's forms (a PCI grid, code lists, computed scores) print as their pages show."""
    trial = open_trial(site.trial.db)
    number = enrol(site).study_number
    record_form(trial, site.inv1, number, "surgery", surgery(dt.date(2018, 4, 20)))
    record_form(trial, site.inv1, number, "toxicity", {"term": "Nausea", "grade": 2,
                "ctcae_term": "Nausea", "phase": "neoadjuvant"})  # fmt: skip
    book = participant_casebook(trial, site.inv1, number, printed_at=PRINTED)
    text = pdf_text(render_casebook(book))
    study = trial.definition()
    records = records_of(trial, site.inv1, number)
    printed = 0
    for form in study.forms:
        for _key, values in records[form.id]:
            for label, value in study.shown(form, values):
                assert f"{label} {value}" in text, (form.id, label)
                printed += 1
    assert printed > 10
    assert book.allocation is not None
    assert book.allocation.arm in {a.label for a in trial.protocol.arms}
    with pytest.raises(NotFoundError):
        participant_casebook(trial, site.inv2, number)
