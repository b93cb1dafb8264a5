"""`cairo6 casebook` run for real (the entry point, in a new process) on a SQLite file; its
PDF and zip read back."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from cairo6.service.records import records_of
from cairo6.store.engine import Database
from cairo6.store.migrate import upgrade
from tests.cli.test_cli_errors import cairo6
from tests.service.test_casebook import Toy, build_toy, pdf_text


@pytest.fixture
def toy_file(tmp_path: Path) -> tuple[Toy, dict[str, str]]:
    path = tmp_path / "trial.db"
    db = Database(str(path))
    upgrade(db)
    toy = build_toy(db)
    db.dispose()
    return toy, {"CAIRO6_DB": str(path), "CAIRO6_USER": "nurse"}


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    done = cairo6(*args, env=env)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return " ".join((done.stdout + done.stderr).split())


def test_a_participants_casebook_is_written_to_the_file_named(
    toy_file: tuple[Toy, dict[str, str]], tmp_path: Path
) -> None:
    toy, env = toy_file
    out = tmp_path / "book.pdf"
    said = run(env, "casebook", toy.number, "--out", str(out))
    assert f"casebook of {toy.number} (2 records) written to {out}" in said
    text = pdf_text(out.read_bytes())
    study = toy.trial.definition()
    for form_id, saved in records_of(toy.trial, toy.actors["nurse"], toy.number).items():
        form = study.form(form_id)
        for _key, values in saved:
            for label, value in study.shown(form, values):
                assert f"{label} {value}" in text


def test_a_centre_is_written_as_a_zip_and_refusals_write_nothing(
    toy_file: tuple[Toy, dict[str, str]], tmp_path: Path
) -> None:
    toy, env = toy_file
    out = tmp_path / "h01.zip"
    run(env, "casebook", "--centre", "H01", "--out", str(out))
    names = zipfile.ZipFile(io.BytesIO(out.read_bytes())).namelist()
    assert sorted(names) == sorted([f"{toy.number}.pdf", "index.pdf", "index.csv"])
    refused = tmp_path / "refused.pdf"
    other = {**env, "CAIRO6_USER": "inv2"}
    assert "another centre" in run(
        other, "casebook", "--centre", "H01", "--out", str(refused), code=2
    )
    assert "participant" in run(other, "casebook", toy.number, "--out", str(refused), code=2)
    stat = {**env, "CAIRO6_USER": "stat"}
    assert "may not print casebook" in run(
        stat, "casebook", toy.number, "--out", str(refused), code=2
    )
    both = run(env, "casebook", toy.number, "--centre", "H01", "--out", str(refused), code=2)
    assert "either a participant's study number or --centre" in both
    run(env, "casebook", "--out", str(refused), code=2)
    assert not refused.exists()
    missing = tmp_path / "no-such-dir" / "book.pdf"
    assert "--out" in run(env, "casebook", toy.number, "--out", str(missing), code=2)
