"""Casebooks of the reference cohort (80 SYNTHETIC participants): one PDF and a centre's zip.

Imports the bundled study's reference data into a fresh SQLite database through the real
import service, then prints the casebook of the participant with the longest audit trail and
the zip of the largest centre, as the data manager. Best of `RUNS`; the font is cut once per
process, before the first timed run, as a server would have done by then.

Run: `python benchmarks/bench_casebook.py` (about a minute on 2 cores).
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.report.casebook_pdf import centre_zip, render_casebook
from cairo6.service import admin, exchange
from cairo6.service.casebook import centre_casebooks, participant_casebook
from cairo6.service.setup import initialise
from cairo6.service.trial import actor_for
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, Centre, Participant
from cairo6.studies.cairo6 import REFERENCE_DATA

RUNS = 3
TARGET_ONE = 2.0
"""Seconds for one participant's casebook, read and rendered: a download a person waits for."""


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="cairo6-bench-casebook-"))
    db = Database(str(folder / "trial.db"))
    try:
        trial = initialise(db, default_protocol(), default_protocol_text())
        admin.bootstrap_admin(trial, "admin")
        with db.read() as session:
            boss = actor_for(session, "admin")
        admin.add_user(trial, boss, "dm", "data_manager")
        with db.read() as session:
            dm = actor_for(session, "dm")
        exchange.import_directory(trial, dm, REFERENCE_DATA)
        with db.read() as session:
            number, records = session.execute(
                select(AuditRecord.participant, func.count())
                .where(AuditRecord.participant.is_not(None))
                .group_by(AuditRecord.participant)
                .order_by(func.count().desc())
                .limit(1)
            ).one()
            code, people = session.execute(
                select(Centre.code, func.count())
                .join(Participant, Participant.centre_id == Centre.id)
                .group_by(Centre.code)
                .order_by(func.count().desc())
                .limit(1)
            ).one()
        render_casebook(participant_casebook(trial, dm, number))
        one, whole = [], []
        for _ in range(RUNS):
            began = time.perf_counter()
            data = render_casebook(participant_casebook(trial, dm, number))
            one.append(time.perf_counter() - began)
            began = time.perf_counter()
            archive = centre_zip(centre_casebooks(trial, dm, code))
            whole.append(time.perf_counter() - began)
        files = len(zipfile.ZipFile(io.BytesIO(archive)).namelist())
        print(f"one casebook ({number}, {records} audit records, {len(data) // 1024} KB): "
              f"{min(one):.2f} s (target {TARGET_ONE:.1f} s: "
              f"{'met' if min(one) <= TARGET_ONE else 'not met'})")  # fmt: skip
        print(f"centre {code} ({people} participants, {files} files, {len(archive) // 1024} KB): "
              f"{min(whole):.1f} s, {min(whole) / people:.2f} s a participant")  # fmt: skip
        return 0 if min(one) <= TARGET_ONE else 1
    finally:
        db.dispose()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
