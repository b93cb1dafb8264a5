"""The SAE PDF read back (pypdf): every value it renders is in it, Unicode as typed."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from cairo6.service.safety import Due, NoticeView, ReportView, SaeView
from cairo6.service.safety_pdf import sae_pdf

AT = dt.datetime(2018, 2, 4, 10, 30, tzinfo=dt.UTC)


def test_the_pdf_holds_the_event_its_reports_and_notices() -> None:
    view = SaeView(
        record_id=5,
        study_number="CAIRO6-C01-001",
        centre="C01",
        arm=None,
        form_id="toxicity",
        form_label="Systemic therapy toxicity",
        record_key="2",
        term="GGT increased",
        items=(("Adverse event as reported (verbatim)", "γ-GT raised, Dr Müller"),),
        grade="3",
        onset="2018-02-02",
        end="",
        outcome="Recovering/resolving",
        criteria=("Is another important medical event",),
        awareness=AT,
        clock=Due("follow-up due", AT + dt.timedelta(days=7), None),
        reports=(ReportView(1, "initial", False, "Stopped capecitabine. " * 30, "inv1", AT),),
        notices=(
            NoticeView(
                "SAE CAIRO6-C01-001",
                "pv@sponsor.example.org",
                "failed",
                "ConnectionRefusedError",
                AT,
            ),
        ),
    )
    reader = PdfReader(io.BytesIO(sae_pdf(view, "CAIRO6", AT)))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for shown in (
        "Serious adverse event: GGT increased", "CAIRO6-C01-001 (centre C01)",
        "γ-GT raised, Dr Müller", "Is another important medical event",
        "follow-up due by 11 Feb 2018 10:30 UTC", "Report 1 (initial), 04 Feb 2018 10:30 UTC",
        "failed: ConnectionRefusedError", "Page 1 of",
    ):  # fmt: skip
        assert shown in text, shown
    assert "Allocated arm" not in text  # shown only to roles that may see the allocation
    assert text.count("Stopped capecitabine.") == 30
