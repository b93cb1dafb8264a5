"""Figures drawn by a painter's forked workers are the figures drawn in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
