"""`cairo6 demo indo-rct`: a real public trial from its definition folder and data, end to end."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from cairo6.cli import app
from cairo6.cli.common import console
from cairo6.store.audit import verify
from cairo6.store.engine import Database
from cairo6.store.schema import FormRecord, Participant

runner = CliRunner()


def test_the_indomethacin_route_reproduces_its_primary_result(tmp_path: Path) -> None:
    saved = console.width
    console.width = 200
    try:
        result = runner.invoke(app, ["demo", "indo-rct", "--out", str(tmp_path)])
    finally:
        console.width = saved
    assert result.exit_code == 0, result.output
    assert "definition valid" in result.output
    assert "imported 602 participants" in result.output
    assert "Post-ERCP pancreatitis: 27/295 (9.2%); 52/307 (16.9%)" in result.output
    assert ".005 (chi2)" in result.output
    assert "7 of 7 published numbers reproduced" in result.output
    assert (tmp_path / "report" / "report.html").is_file()
    database = Database(tmp_path / "trial.db")
    try:
        with database.read() as session:
            assert session.scalar(select(func.count()).select_from(Participant)) == 602
            assert session.scalar(select(func.count()).select_from(FormRecord)) == 602 * 3
            assert verify(session.connection()).ok
    finally:
        database.dispose()


def test_an_unknown_study_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "no-such-trial", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no bundled study of that" in result.output
    assert "cairo6, indo_rct" in result.output
    assert "Traceback" not in result.output
