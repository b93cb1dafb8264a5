"""`cairo6 export|import|dictionary` on SQLite files, through a Typer app of just these commands."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cairo6.cli.common import console
from cairo6.cli.exchange import dictionary_command, export_command, import_command
from cairo6.protocol import default_protocol
from cairo6.store.engine import Database
from cairo6.study.odm import ODM_NS
from tests.service.test_exchange import PARTICIPANTS, counts, empty_trial, fill

runner = CliRunner()
app = typer.Typer()
app.command("export")(export_command)
app.command("import")(import_command)
app.command("dictionary")(dictionary_command)


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    saved = console.width
    console.width = 200
    yield
    console.width = saved


@pytest.fixture
def source(tmp_path: Path) -> str:
    """A SQLite trial file holding the small dataset, with a data manager `dm`."""
    path = tmp_path / "source.db"
    db = Database(path)
    fill(empty_trial(db, default_protocol()))
    db.dispose()
    return str(path)


def _empty(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    db = Database(path)
    empty_trial(db, default_protocol())
    db.dispose()
    return str(path)


def _counts(path: str) -> dict[str, int]:
    db = Database(path)
    try:
        return counts(db)
    finally:
        db.dispose()


def run(*args: str, code: int = 0) -> typer.testing.Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


def test_dictionary_as_csv_json_and_table(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run("dictionary", "--format", "csv").stdout)))
    found = {(r["form"], r["variable"]): r for r in rows}
    assert found[("surgery", "pci_regions")]["type"] == "json"
    assert found[("baseline", "age_years")]["unit"] == "years"
    assert found[("surgery", "pci_total")]["derived_from"] == "pci_total(pci_regions)"
    out = tmp_path / "dictionary.json"
    run("dictionary", "--format", "json", "--out", str(out))
    entries = json.loads(out.read_text(encoding="utf-8"))
    assert {(e["form"], e["variable"]) for e in entries} == set(found)
    assert "Data dictionary" in run("dictionary").stdout


def test_export_and_import_a_directory(source: str, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    exported = run("export", "--out", str(out), "--db", source, "--user", "dm").stdout
    assert "randomisation" in exported
    target = _empty(tmp_path, "target.db")
    imported = run("import", str(out), "--db", target, "--user", "dm").stdout
    assert "imported from" in imported
    assert "total" in imported
    assert _counts(target)["participant"] == PARTICIPANTS
    odm = tmp_path / "trial.xml"
    shown = run("export", "--format", "odm", "--out", str(odm), "--db", target, "--user", "dm")
    assert f"{PARTICIPANTS} participants" in shown.stdout
    subjects = ET.parse(odm).getroot().iter(f"{{{ODM_NS}}}SubjectData")
    assert len(list(subjects)) == PARTICIPANTS
    parquet = tmp_path / "parquet"
    run("export", "--format", "parquet", "--out", str(parquet), "--db", target, "--user", "dm")
    assert len(pd.read_parquet(parquet / "randomisation.parquet")) == PARTICIPANTS


def test_a_refused_import_lists_every_problem_and_exits_1(source: str, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    run("export", "--out", str(out), "--db", source, "--user", "dm")
    surgery = out / "surgery.csv"
    surgery.write_text(surgery.read_text(encoding="utf-8").replace("2018-04-20", "2018-13-01"))
    (out / "extra.csv").write_text("a,b\n", encoding="utf-8")
    target = _empty(tmp_path, "target.db")
    before = _counts(target)
    result = run("import", str(out), "--db", target, "--user", "dm", code=1)
    assert "surgery.csv" in result.stdout
    assert "surgery_date" in result.stdout
    assert "2018-13-01" in result.stdout
    assert "extra.csv" in result.stdout
    assert "2 problem(s)" in result.stdout
    assert "nothing was written" in result.output
    assert _counts(target) == before


def test_import_needs_a_data_manager(source: str, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    run("export", "--out", str(out), "--db", source, "--user", "dm")
    result = runner.invoke(app, ["import", str(out), "--db", source, "--user", "admin"])
    assert result.exit_code != 0
    assert "may not import" in str(result.exception)


def test_the_progress_bar_shows_the_rate_it_measured() -> None:
    from rich.progress import Progress

    from cairo6.cli.exchange import RateColumn

    now = [0.0]  # the bar's reading of the time, moved by hand
    column = RateColumn()
    with Progress(column, disable=True, get_time=lambda: now[0]) as bar:
        task = bar.add_task("import", total=1_000)
        assert column.render(bar.tasks[0]).plain == ""  # nothing measured yet
        bar.update(task, completed=100)
        now[0] = 2.0
        bar.update(task, completed=700)  # 600 rows in 2 seconds
        assert column.render(bar.tasks[0]).plain == "300 rows/s"
