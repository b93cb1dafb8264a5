"""`cairo6 query` and `cairo6 expected` for real on a SQLite file: a query names participant,
form, record key and item; another participant's record, a table and another centre's query
are refused with the reason; the thread, re-opening and the expected-forms CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from tests.cli.test_trial_cli import invoke, run, wide_console
from tests.service.conftest import PATIENT

__all__ = ["wide_console"]  # the fixture this module shares with the walk-through


def _enrol(env: dict[str, str], tmp_path: Path, centre: str) -> str:
    out = run(env, "screening", "add", "--centre", centre, "--date", "2018-03-01")
    number = re.search(rf"{centre}-S\d+", out)
    assert number, out
    checklist = tmp_path / "eligibility.json"
    checklist.write_text(json.dumps(PATIENT))
    run(env, "eligibility", number.group(0), "--file", str(checklist), "--date", "2018-03-02")
    found = re.search(
        r"CAIRO6-C0\d-\d+", run(env, "randomise", number.group(0), "--date", "2018-03-02")
    )
    assert found
    return found.group(0)


def _refused(env: dict[str, str], *args: str) -> str:
    """What a refused command told the user (it exits non-zero and writes nothing)."""
    result = invoke(list(args), env)
    assert result.exit_code != 0, result.output
    return f"{result.output}{getattr(result, 'stderr', '')}{result.exception}"


CTCAE = {"Nausea": "Nausea", "Fatigue": "Fatigue", "Diarrhoea": "Diarrhea"}
"""The CTCAE v5.0 term each verbatim term is coded to."""


def _toxicity(env: dict[str, str], participant: str, term: str) -> None:
    run(env, "record", "toxicity", participant, "--set", f"term={term}", "--set", "grade=2",
        "--set", f"ctcae_term={CTCAE[term]}", "--set", "phase=neoadjuvant")  # fmt: skip


def test_queries_and_expected_forms_from_the_command_line(tmp_path: Path) -> None:
    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    run(env, "db", "init", "--admin", "admin")
    for code in ("C01", "C02"):
        run(env, "centre", "add", code, f"Centre {code}", "--started", "2017-06-15")
    run(env, "user", "add", "dm", "--role", "data_manager")
    run(env, "user", "add", "nurse1", "--role", "research_nurse", "--centre", "C01")
    run(env, "user", "add", "nurse2", "--role", "research_nurse", "--centre", "C02")
    dm = {**env, "CAIRO6_USER": "dm"}
    nurse1 = {**env, "CAIRO6_USER": "nurse1"}
    nurse2 = {**env, "CAIRO6_USER": "nurse2"}
    mine, theirs = _enrol(dm, tmp_path, "C01"), _enrol(dm, tmp_path, "C02")
    _toxicity(dm, mine, "Nausea")
    _toxicity(dm, theirs, "Fatigue")
    _toxicity(dm, theirs, "Diarrhoea")

    # Key 2 is a record of the other participant only; `user` is a table, not a form.
    refused = _refused(dm, "query", "raise", mine, "toxicity", "grade", "--key", "2", "--text", "?")
    assert "record" in refused
    assert "'2'" in refused
    assert "'user'" in _refused(dm, "query", "raise", mine, "user", "username", "--text", "?")
    assert "'cc'" in _refused(dm, "query", "raise", mine, "surgery", "cc", "--text", "?")
    assert "query 1 raised" in run(dm, "query", "raise", mine, "toxicity", "grade",
                                   "--text", "Grade 2 or 3?")  # fmt: skip
    listed = run(dm, "query", "list", "--centre", "C01")
    assert mine in listed
    assert "1 queries" in listed

    assert "does not exist" in _refused(nurse2, "query", "answer", "1", "Grade 3")
    run(nurse1, "query", "answer", "1", "Grade 3 per the chart")
    assert "already answered" in _refused(nurse1, "query", "answer", "1", "again")
    run(dm, "query", "close", "1", "--note", "corrected by the site")
    run(dm, "query", "reopen", "1", "--reason", "the record still says 2")
    shown = run(dm, "query", "show", "1")
    for step in ("raised by dm", "answered by nurse1", "closed by dm", "reopened by dm"):
        assert step in shown
    assert "corrected by the site" in shown
    assert "0 queries" in run(nurse2, "query", "list", "--state", "all")

    out = tmp_path / "expected.csv"
    run(dm, "expected", "--on", "2019-01-01", "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["study_number"] for r in rows} == {mine, theirs}
    assert any(r["form"] == "baseline" and r["status"] == "overdue" for r in rows)
    site = run(nurse2, "expected", "--on", "2019-01-01", "--csv")
    assert {r["study_number"] for r in csv.DictReader(io.StringIO(site))} == {theirs}
