"""Report speed: `cairo6 report` on the reference database and on large SYNTHETIC trials.

1. Reference: the SYNTHETIC reference cohort (the CAIRO6 study's data/, 80 patients) imported into a
   fresh SQLite database (not timed), then `cairo6 report --db --out` in a new Python process,
   three times; the fastest wall time of that process (interpreter start and imports included)
   and its CPU seconds, the figure-drawing workers' included (less disturbed by other load than
   the wall time). Target <= 2 s (issue #14).
2. Large: trials of 10,000 and 100,000 SYNTHETIC participants from
   `cairo6.studies.cairo6.synthetic_large` (the reference patients resampled), as the frames the
   database extract would give, each in its own process: analysis plus every report output.
   Wall time and peak RSS of the process (from wait4). Target for 100,000: <= 60 s and <= 2 GiB.
   Both sizes are printed so the growth is visible.
3. Optionally (`--import`): 10,000 participants through the database: exchange CSV files,
   `import_directory` into SQLite, then `report_command` on it.

Exit status 1 when a part cannot run (e.g. no analysis entry point) or misses its target.
Run: `python benchmarks/bench_report.py` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cairo6.studies.cairo6 import REFERENCE_DATA

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REFERENCE_DATA
SIZES = (10_000, 100_000)
TARGET_REFERENCE_S = 2.0
REFERENCE_RUNS = 3
TARGET_LARGE_S = 60.0
TARGET_LARGE_BYTES = 2 * 1024**3
MISSING_ANALYSIS = (
    "the analysis entry point cairo6.analysis.engine.analyse does not exist yet: "
    "this part cannot run"
)


def _analysis_available() -> bool:
    try:
        from cairo6.analysis.engine import analyse  # noqa: F401
    except ImportError:
        return False
    return True


def _reference_database(directory: Path, source: Path) -> Path:
    """A fresh SQLite trial database with the exchange files of `source` imported."""
    from cairo6.protocol import default_protocol, default_protocol_text
    from cairo6.service import admin
    from cairo6.service.exchange import import_directory
    from cairo6.service.setup import initialise
    from cairo6.service.trial import actor_for
    from cairo6.store.engine import Database

    path = directory / "trial.db"
    db = Database(str(path))
    try:
        trial = initialise(db, default_protocol(), default_protocol_text())
        admin.bootstrap_admin(trial, "admin")
        with db.read() as session:
            boss = actor_for(session, "admin")
        admin.add_user(trial, boss, "dm", "data_manager")
        with db.read() as session:
            dm = actor_for(session, "dm")
        import_directory(trial, dm, source)
    finally:
        db.dispose()
    return path


def _measure(command: list[str]) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS in bytes, stdout and CPU seconds (user + system, its own
    waited-for children included) of a child process."""
    start = time.perf_counter()
    # Wide enough that the child's Rich output does not wrap the lines we print from it.
    env = {**os.environ, "COLUMNS": "200"}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{command[-3:]} exited with {child.returncode}:\n{output}")
    # Linux reports ru_maxrss in KiB.
    return elapsed, usage.ru_maxrss * 1024, output, usage.ru_utime + usage.ru_stime


def _report_process(db: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "cairo6", "report", "--db", str(db), "--out", str(out)]


def reference(work: Path) -> bool:
    """Part 1; True when within target."""
    (work / "reference").mkdir()
    db = _reference_database(work / "reference", REFERENCE)
    runs = [
        _measure(_report_process(db, work / f"reference-report-{i}")) for i in range(REFERENCE_RUNS)
    ]
    for line in runs[0][2].splitlines():
        if "published numbers reproduced" in line:
            print(line)
    seconds = min(run[0] for run in runs)
    cpu = min(run[3] for run in runs)
    rss = max(run[1] for run in runs)
    ok = seconds <= TARGET_REFERENCE_S
    print(
        f"reference (80 patients, from the database): {seconds:.2f} s wall (best of "
        f"{REFERENCE_RUNS}), {cpu:.2f} s CPU with its workers, peak RSS {rss / 2**20:.0f} MiB "
        f"-> {'OK' if ok else 'MISSED'} (target <= {TARGET_REFERENCE_S:.0f} s)"
    )
    return ok


def worker(participants: int, out: Path) -> None:
    """In a child process: generate the frames, analyse and write the report; print timings."""
    from cairo6.protocol import default_protocol
    from cairo6.report.painter import start_painter
    from cairo6.report.run import run_report
    from cairo6.studies.cairo6.synthetic_large import extract_frames

    # As `cairo6 report` does: the figures are drawn in workers, forked before the data exist
    # (a fork of a process holding the frames would share, then copy, their memory).
    painter = start_painter()
    start = time.perf_counter()
    frames = extract_frames(participants)
    generated = time.perf_counter() - start
    try:
        outcome = run_report(
            default_protocol(), frames, out, source="synthetic frames", painter=painter
        )
    finally:
        if painter is not None:
            painter.close()
    print(json.dumps({"generate": generated, **outcome.seconds}))


def large(work: Path) -> bool:
    """Part 2; True when the 100,000 run is within target."""
    ok = True
    for size in SIZES:
        command = [sys.executable, __file__, "--worker", str(size), str(work / f"large-{size}")]
        seconds, rss, output, _ = _measure(command)
        parts = json.loads(output.strip().splitlines()[-1])
        line = (
            f"{size:>7,} participants: {seconds:6.1f} s wall (generate {parts['generate']:.1f} s, "
            f"analysis {parts['analysis']:.1f} s, report {parts['report']:.1f} s), "
            f"peak RSS {rss / 2**20:,.0f} MiB"
        )
        if size == max(SIZES):
            met = seconds <= TARGET_LARGE_S and rss <= TARGET_LARGE_BYTES
            ok &= met
            line += f" -> {'OK' if met else 'MISSED'} (target <= 60 s, <= 2 GiB)"
        print(line, flush=True)
    return ok


def through_database(work: Path, participants: int = 10_000) -> None:
    """Part 3: exchange files, import into SQLite, `report_command` on the database."""
    from cairo6.studies.cairo6.synthetic_large import generate, write_exchange

    files = work / "exchange"
    write_exchange(generate(participants), files)
    start = time.perf_counter()
    (work / "imported").mkdir()
    db = _reference_database(work / "imported", files)
    imported = time.perf_counter() - start
    seconds, rss, _, _ = _measure(_report_process(db, work / "imported-report"))
    print(
        f"{participants:,} participants through the database: import {imported:.1f} s, "
        f"report {seconds:.1f} s wall, peak RSS {rss / 2**20:,.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the parts; non-zero when one cannot run or misses its target."""
    parser = argparse.ArgumentParser(description="Report benchmark")
    parser.add_argument("--worker", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--import",
        dest="through_db",
        action="store_true",
        help="also time 10,000 participants through a database import",
    )
    args = parser.parse_args(argv)
    if args.worker:
        worker(int(args.worker[0]), Path(args.worker[1]))
        return 0
    if not _analysis_available():
        print(MISSING_ANALYSIS, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="cairo6-bench-report-") as tmp:
        work = Path(tmp)
        ok = reference(work)
        ok &= large(work)
        if args.through_db:
            through_database(work)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
