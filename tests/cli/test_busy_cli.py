"""A command that cannot get its turn to write says "busy, retry" and exits 75."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cairo6.cli import app, main
from cairo6.cli.common import BUSY_EXIT_CODE, settings
from cairo6.store.engine import Database
from tests.store.locking import write_lock_held

runner = CliRunner()


def test_a_write_that_waits_too_long_is_refused_with_busy_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    settings.cache_clear()
    assert runner.invoke(app, ["db", "init", "--admin", "admin"], env=env).exit_code == 0
    for name, value in {**env, "CAIRO6_WRITE_WAIT_SECONDS": "0.3"}.items():
        monkeypatch.setenv(name, value)
    args = ["cairo6", "centre", "add", "C01", "Centre one", "--started", "2017-06-15"]
    monkeypatch.setattr(sys, "argv", args)
    db = Database(tmp_path / "trial.db")
    settings.cache_clear()
    # The real entry point, as the shell runs it: errors become one line and an exit code.
    with write_lock_held(db), pytest.raises(SystemExit) as exited:
        main()
    settings.cache_clear()
    assert exited.value.code == BUSY_EXIT_CODE
    err = capsys.readouterr().err
    assert "busy, retry" in err
    assert "Traceback" not in err
    listed = runner.invoke(app, ["centre", "list"], env=env)
    assert "C01" not in listed.output  # nothing was saved
    db.dispose()
