"""`cairo6 record complete|verify|sign|...` and `cairo6 db lock|unlock`, run on a SQLite file of
the SYNTHETIC toy study."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cairo6.cli import app
from cairo6.cli.common import console, settings
from cairo6.study.loader import read_study_texts
from tests.service.test_lifecycle import PASSWORD, TOY, _build

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Any:
    saved = console.width
    console.width = 200
    yield
    console.width = saved


def _run(db: Path, user: str, *args: str, code: int = 0, stdin: str | None = None) -> str:
    settings.cache_clear()
    env = {"CAIRO6_DB": str(db), "CAIRO6_USER": user}
    result = runner.invoke(app, list(args), env=env, input=stdin)
    assert result.exit_code == code, (args, result.output, result.exception)
    # A refusal reaches the entry point's error handler as the exception, with its message.
    shown = result.output + (str(result.exception) if code else "")
    return " ".join(shown.split())


def test_a_visit_is_completed_verified_signed_and_the_database_locked(tmp_path: Path) -> None:
    db = tmp_path / "toy.db"
    toy = _build(db, read_study_texts(TOY))
    number = toy.number
    toy.trial.db.dispose()
    # Entering a record is still `cairo6 record FORM STUDY_NUMBER`.
    out = _run(db, "nurse", "record", "visit", number, "--set", "week=24",
               "--set", "visit_date=2024-06-20", "--set", "systolic=131")  # fmt: skip
    assert f"visit 24 recorded for {number}" in out
    out = _run(db, "monitor", "record", "verify", "visit", number, "--key", "12", code=1)
    assert "in progress" in out
    assert "mark it complete first" in out
    assert "complete" in _run(db, "nurse", "record", "complete", "visit", number, "--key", "12")
    assert "verified" in _run(db, "monitor", "record", "verify", "visit", number, "--key", "12")
    out = _run(db, "inv", "record", "sign", "visit", number, "--key", "12", stdin="nope\n", code=1)
    assert "password" in out
    assert "nope" not in out
    out = _run(db, "inv", "record", "sign", "visit", number, "--key", "12", stdin=PASSWORD + "\n")
    assert "signed by Dr inv (inv)" in out
    assert "Meaning:" in out
    assert PASSWORD not in out
    status = _run(db, "dm", "record", "status", number)
    assert "Signed" in status
    assert "visit signed by Dr inv" in status
    assert "valid" in status
    out = _run(db, "dm", "record", "unfreeze", "visit", number, "--key", "12", "--reason", "x",
               code=1)  # fmt: skip
    assert "not frozen" in out
    assert "frozen" in _run(db, "dm", "record", "freeze", "visit", number, "--key", "12")
    out = _run(db, "nurse", "update", "visit", number, "--key", "12", "--set", "systolic=140",
               "--reason", "typo", code=1)  # fmt: skip
    assert "frozen" in out
    assert "nothing was saved" in out
    # The database lock: the open record of week 24 does not stop it (no open queries).
    assert "database locked" in _run(db, "dm", "db", "lock", "--reason", "final analysis")
    out = _run(db, "nurse", "record", "complete", "visit", number, "--key", "24", code=1)
    assert "database is locked" in out
    assert "locked" in _run(db, "dm", "record", "status", number)
    assert "unlocked" in _run(db, "dm", "db", "unlock", "--reason", "late laboratory values")
    assert "complete" in _run(db, "nurse", "record", "complete", "visit", number, "--key", "24")
