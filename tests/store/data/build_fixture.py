"""Rebuild the migration fixture: a SYNTHETIC CAIRO6 database made by the per-form-table code.

Run at commit 6b52bc2 (the last main before CAIRO6's records moved into `form_record`), from the
repository root, with the source on the path:

    git worktree add /tmp/old 6b52bc2 && cd /tmp/old
    PYTHONPATH=src python tests/store/data/build_fixture.py OUT.db
    gzip -9 -n -c OUT.db > tests/store/data/cairo6-main-6b52bc2.db.gz

It drives the command line as a user would: create the database and an administrator, add a
data manager, import the synthetic reference cohort, then change items of several per-form
records with reasons and raise and answer a data query, so the migrated trail holds inserts,
updates with reasons and a query. The anchor key is a throw-away one (the test anchors afresh).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def cairo6(env: dict[str, str], *args: str) -> str:
    """Run one `cairo6` command; stop on the first failure."""
    done = subprocess.run(
        [sys.executable, "-m", "cairo6", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"cairo6 {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main(out: Path) -> None:
    """Build the fixture database at `out` (replaced if present)."""
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CAIRO6_DB": str(out),
            "CAIRO6_AUDIT_KEY": str(Path(tmp) / "key"),
            "CAIRO6_AUDIT_ANCHORS": str(Path(tmp) / "anchors"),
            "COLUMNS": "200",
        }
        data = Path("src/cairo6/studies/cairo6/data")
        cairo6(env, "db", "init", "--admin", "admin")
        cairo6(env, "user", "add", "dm", "--role", "data_manager", "--user", "admin")
        cairo6(env, "import", str(data), "--user", "dm")
        edits = [
            ("surgery", "1", "operating_time_min=333", "operating time misread on the CRF"),
            ("surgery", "2", "cc_score=1", "completeness re-read from the operation note"),
            ("cycle", "3", "dose_reduced=true", "dose reduction missed at first entry"),
            ("follow_up", "4", "vital_status=lost", "contact lost, status corrected"),
            ("complication", "1", "grade=IIIa", "grade corrected by the surgeon"),
            ("surgery", "1", "operating_time_min=334", "second correction after monitoring"),
        ]
        for form, record, assignment, reason in edits:
            cairo6(
                env, "update", form, record, "--set", assignment, "--reason", reason, "--user", "dm"
            )
        study_number = _study_number_of_surgery(out, 2)
        cairo6(
            env,
            "query",
            "raise",
            study_number,
            "surgery",
            "cc_score",
            "CC score differs from the operation note; please check",
            "--record-id",
            "2",
            "--user",
            "dm",
        )
        cairo6(
            env, "query", "answer", "1", "Checked against the operation note: CC-1.", "--user", "dm"
        )


def _study_number_of_surgery(db: Path, record_id: int) -> str:
    import sqlite3

    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT p.study_number FROM surgery s JOIN participant p ON p.id = s.participant_id"
            " WHERE s.id = ?",
            (record_id,),
        ).fetchone()
    return str(row[0])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("cairo6-main-6b52bc2.db"))
