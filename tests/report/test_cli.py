"""`cairo6 report` end to end: the reference cohort imported into a database, then reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cairo6.analysis.ard import Ard
from cairo6.cli import common
from cairo6.cli.report import report_command
from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.reference.published import load_published
from cairo6.service import admin, exchange
from cairo6.service.setup import initialise
from cairo6.service.trial import actor_for
from cairo6.store.engine import Database

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"

app = typer.Typer()
app.command("report")(report_command)


@app.callback()
def _group() -> None:
    """Keep `report` a subcommand, as in the real app."""


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # Wide enough that lines do not wrap in the middle of what the tests look for.
    monkeypatch.setattr(common.console, "width", 240)
    monkeypatch.setattr(common.err_console, "width", 240)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh SQLite trial with data/reference imported through the services."""
    path = tmp_path_factory.mktemp("trial") / "trial.db"
    db = Database(str(path))
    try:
        trial = initialise(db, default_protocol(), default_protocol_text())
        admin.bootstrap_admin(trial, "admin")
        with db.read() as session:
            boss = actor_for(session, "admin")
        admin.add_user(trial, boss, "dm", "data_manager")
        with db.read() as session:
            dm = actor_for(session, "dm")
        exchange.import_directory(trial, dm, REFERENCE)
    finally:
        db.dispose()
    return path


def test_report_of_the_reference_database(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--db", str(database), "--out", str(out)])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "SYNTHETIC DATA" in output
    assert "Macroscopic complete CRS-HIPEC: " in output
    assert "Clavien-Dindo grade 3 or higher postoperative morbidity: " in output
    assert "risk ratio 1.04 (0.88-1.23), P = .74" in output
    assert f"of {len(load_published())} published numbers reproduced" in output
    for name in ("report.html", "report.docx", "tables.xlsx", "ard.csv", "ard.json"):
        assert (out / name).is_file(), name
    assert (out / "figures" / "consort.svg").is_file()
    assert (out / "tables" / "table1.csv").is_file()
    ard = Ard.from_json_text((out / "ard.json").read_text(encoding="utf-8"))
    assert ard.stat("figure", "randomised", "", "total", "n") == 80
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "(SYNTHETIC DATA)</title>" in html
    assert 'id="appendix"' in html
