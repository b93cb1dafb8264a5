"""Figures drawn by a painter's forked workers are the figures drawn in-process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

import cairo6
from cairo6.report import ReportInput, build_report, write_report
from cairo6.report.painter import Painter, start_painter


@pytest.fixture(scope="module")
def painter() -> Iterator[Painter]:
    started = start_painter()
    if started is None:
        pytest.skip("no fork on this platform: figures are drawn in-process")
    with started:
        yield started


def test_workers_draw_the_same_bytes(report_input: ReportInput, painter: Painter) -> None:
    here = build_report(report_input)
    there = build_report(report_input, painter)
    assert set(there.drawings) == {"consort", "timing", "survival"}
    there.finish_figures()
    assert there.drawings == {}
    drawn = 0
    for name in ("consort", "timing", "survival"):
        mine, theirs = getattr(here, name), getattr(there, name)
        assert mine == theirs  # name, SVG, PNG bytes and the inline SVG
        drawn += mine is not None
    assert drawn == 2  # the test result has a flow diagram and time frames, no follow-up


def test_written_files_are_the_same(
    report_input: ReportInput, painter: Painter, tmp_path: Path
) -> None:
    _, alone = write_report(report_input, tmp_path / "alone")
    _, helped = write_report(report_input, tmp_path / "helped", painter=painter)
    assert sorted(p.relative_to(tmp_path / "alone") for p in alone) == sorted(
        p.relative_to(tmp_path / "helped") for p in helped
    )
    for path in alone:
        if path.suffix in (".svg", ".png", ".csv", ".json"):
            assert path.read_bytes() == (tmp_path / "helped" / path.relative_to(
                tmp_path / "alone"
            )).read_bytes()  # fmt: skip


def _die_in_a_worker(main: int) -> None:
    if os.getpid() != main:
        os._exit(1)


def test_figures_are_drawn_in_process_when_the_workers_are_gone(
    report_input: ReportInput,
) -> None:
    broken = start_painter()
    if broken is None:
        pytest.skip("no fork on this platform")
    with broken:
        # A worker that dies (killed for memory, say) breaks the pool for every later figure.
        broken.draw(_die_in_a_worker, os.getpid()).result()
        with pytest.raises(BrokenProcessPool):
            broken._pool.submit(int).result()
        report = build_report(report_input, broken)
        report.finish_figures()
    assert report.consort is not None
    assert report.consort == build_report(report_input).consort


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_with_the_main_process() -> None:
    # The main process killed outright (no shutdown): its workers must not wait forever.
    probe = (
        "import os, sys; from cairo6.report.painter import start_painter; p = start_painter(); "
        "p._pool.submit(int).result(); "
        "print(' '.join(str(pid) for pid in p._pool._processes), flush=True); os._exit(0)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(cairo6.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    # An exited worker nobody has reaped yet is a zombie ("Z"): it is not running.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
