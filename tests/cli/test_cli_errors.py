"""Bad input on the command line: one plain line naming the option, the value and what to do,
exit code 2, nothing created; and the command line's access boundary (file mode, database role)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

import cairo6 as cairo6_package
from cairo6.store.engine import Database
from cairo6.store.schema import Centre

UNWRITABLE = "/proc/cairo6-cannot-write-here"  # refused even to root
SOURCE = str(Path(cairo6_package.__file__).resolve().parents[1])


def cairo6(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Any:
    """Run the real entry point in a new process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "cairo6", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        # The code under test, wherever the process starts (`cwd` may be anywhere).
        env={**os.environ, "PYTHONPATH": SOURCE, "COLUMNS": "200", **(env or {})},
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def trial_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "trial.db"
    for args in (
        ["db", "init", "--admin", "admin"],
        ["user", "add", "stat", "--role", "statistician"],
    ):
        done = cairo6(*args, "--db", str(path), *(["--user", "admin"] if args[0] != "db" else []))
        assert done.returncode == 0, done.stderr
    return path


def _one_clear_line(done: Any, *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    message = " ".join(" ".join(lines).split())
    assert message.startswith("error:"), done.stderr
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["participant", "show", "CAIRO6-C01-001", "--on", "2024-99-99"], ["--on", "2024-99-99"]),
        (["centre", "add", "C02", "Two", "--started", "2024-02-30"], ["--started", "2024-02-30"]),
        (["export", "--out", f"{UNWRITABLE}/export", "--user", "stat"], ["--out", UNWRITABLE]),
        (["backup", f"{UNWRITABLE}/copy.db"], ["OUT", UNWRITABLE]),
        (["restore", "/etc/passwd", "--db", "{tmp}/restored.db"], ["SOURCE", "/etc/passwd"]),
        (["audit", "verify", "--db", "{tmp}/missing.db"], ["--db", "missing.db", "db init"]),
        (["centre", "list", "--db", "{tmp}/missing.db"], ["--db", "missing.db"]),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(
    trial_db: Path, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--db" not in args:
        args += ["--db", str(trial_db)]
    if args[0] in ("participant", "backup") or args[:2] == ["centre", "add"]:
        args += ["--user", "admin"]
    done = cairo6(*args)
    _one_clear_line(done, *words)
    assert list(tmp_path.iterdir()) == []  # no database was created by a refused command


def test_simulation_and_report_to_an_unwritable_place(trial_db: Path) -> None:
    sim = cairo6(
        "simulate", "randomization", "--trials", "2", "--patients", "10", "--out", UNWRITABLE
    )
    _one_clear_line(sim, "--out", UNWRITABLE)
    report = cairo6("report", "--out", UNWRITABLE, "--db", str(trial_db))
    _one_clear_line(report, "--out", UNWRITABLE)


def test_serve_in_a_read_only_directory_says_what_to_do() -> None:
    done = cairo6("serve", cwd=Path("/proc"))
    _one_clear_line(done, "--db", "cairo6.db", "db init")


def test_db_init_makes_a_file_only_its_owner_can_read(trial_db: Path) -> None:
    for path in trial_db.parent.glob("trial.db*"):
        if not path.name.endswith("writer-lock"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_writes_need_a_role_that_may_write(db_url: str) -> None:
    url = Database(db_url).url
    created = cairo6("db", "init", "--admin", "admin", "--db", url)  # an empty database
    assert created.returncode == 0, created.stderr
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text("DROP ROLE IF EXISTS cairo6_reader"))
        conn.execute(text("CREATE ROLE cairo6_reader LOGIN"))
        conn.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO cairo6_reader"))
    reader = make_url(url).set(username="cairo6_reader", password=None)
    reader_url = reader.render_as_string(hide_password=False)
    refused = cairo6("centre", "add", "C09", "Nine", "--db", reader_url, "--user", "admin")
    _one_clear_line(refused, "--database-url", "cairo6_reader", "may write")
    assert cairo6("centre", "list", "--db", reader_url).returncode == 0  # reading is fine
    with owner.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Centre)).scalar() == 0
        conn.execute(text("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM cairo6_reader"))
        conn.execute(text("DROP ROLE cairo6_reader"))
    owner.dispose()
