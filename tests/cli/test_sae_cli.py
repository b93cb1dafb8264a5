"""`cairo6 sae` and the SAE notice of `cairo6 record`, run for real on a SQLite file with a
real SMTP server (aiosmtpd) as the sink of the e-mail."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from pypdf import PdfReader

from tests.cli.test_trial_cli import run, wide_console  # noqa: F401  (the fixture)
from tests.service.conftest import PATIENT
from tests.service.smtp_sink import smtp_sink

SERIOUS = {
    "term": "febrile, admitted", "ctcae_term": "Febrile neutropenia", "grade": 3,
    "phase": "neoadjuvant", "onset_date": "2018-03-20", "serious": True,
    "sae_death": False, "sae_life_threatening": False, "sae_hospitalisation": True,
    "sae_disability": False, "sae_congenital_anomaly": False,
    "sae_important_medical_event": False, "aware_at": "2018-03-20T08:00",
}  # fmt: skip


def test_an_sae_recorded_at_the_command_line_is_mailed_listed_reported_and_printed(
    tmp_path: Path,
) -> None:
    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    run(env, "db", "init", "--admin", "admin")
    run(env, "centre", "add", "C01", "Centre one", "--started", "2017-06-15")
    run(env, "user", "add", "nurse", "--role", "investigator", "--centre", "C01")
    nurse = {**env, "CAIRO6_USER": "nurse"}
    run(nurse, "screening", "add", "--centre", "C01", "--date", "2018-03-01")
    checklist = tmp_path / "eligibility.json"
    checklist.write_text(json.dumps(PATIENT))
    run(nurse, "eligibility", "C01-S0001", "--file", str(checklist), "--date", "2018-03-02")
    run(nurse, "randomise", "C01-S0001", "--date", "2018-03-02")
    event = tmp_path / "sae.json"
    event.write_text(json.dumps(SERIOUS))
    with smtp_sink() as (sink, mail):
        mailing = nurse | {
            "CAIRO6_SMTP_HOST": "127.0.0.1",
            "CAIRO6_SMTP_PORT": str(mail.smtp_port),
            "CAIRO6_SAE_NOTIFY": "pv@sponsor.example.org",
        }
        run(mailing, "record", "toxicity", "CAIRO6-C01-001", "--file", str(event))
        assert [m["Subject"] for m in sink.messages] == [
            "SAE CAIRO6-C01-001: Febrile neutropenia (new serious adverse event)"
        ]
        # Awareness was years ago: the initial report is long overdue.
        listed = run(nurse, "sae", "list", "--overdue")
        assert "initial overdue" in listed
        (record_id,) = re.findall(r"│\s*(\d+)\s*│ CAIRO6-C01-001", listed)
        out = run(mailing, "sae", "report", record_id, "--narrative", "Admitted; G-CSF given.")
        assert "report 1 recorded; e-mail: sent; follow-up" in out
        assert "initial report 1" in sink.messages[-1]["Subject"]
    listing = tmp_path / "sae.csv"
    run(nurse, "sae", "list", "--csv", str(listing))
    (row,) = csv.DictReader(io.StringIO(listing.read_text(encoding="utf-8")))
    assert (row["term"], row["grade"], row["reports"]) == ("Febrile neutropenia", "3", "1")
    pdf = tmp_path / "sae.pdf"
    run(nurse, "sae", "pdf", record_id, "--out", str(pdf))
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Admitted; G-CSF given." in text
    assert "Febrile neutropenia" in text
