"""Drawing the report's figures in worker processes while the main process writes the rest.

The figures are most of a report's time (the flow diagram alone is a 6-megapixel PNG, every
figure is drawn twice, as SVG and PNG), and nothing but the HTML page needs them. A `Painter`
forks its workers before the trial is extracted and analysed; they load matplotlib and its
font while the main process works, then draw the figures while it writes the Word file, the
tables and the ARD. The same functions draw the same figures, only in another process, so the
files are byte for byte those drawn in-process.

Workers are forked (they inherit the loaded analysis modules and start at once); where fork is
not available `start_painter` gives None and the figures are drawn in-process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from cairo6.report.figures import RenderedFigure

__all__ = ["Drawing", "Painter", "start_painter"]

Draw = Callable[..., RenderedFigure | None]
WORKERS = 2
"""Three figures of unequal cost over two workers; the main process takes the third core's
share of the work (the other outputs) on a two-core machine."""


def _watch(parent: int) -> None:
    # A worker waits on a queue whose writing end it holds itself: if the main process is
    # killed outright, nothing would end the wait.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _warm(parent: int) -> None:
    """Load what drawing needs, so the first figure does not pay for it; end with the parent."""
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    from matplotlib.backends import backend_agg, backend_svg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401
    from matplotlib.font_manager import FontProperties, findfont, get_font

    from cairo6.report.figures import FONT_FAMILY

    get_font(findfont(FontProperties(family=FONT_FAMILY)))


class Drawing:
    """A figure being drawn: by a worker, or (when the workers are gone) in-process."""

    def __init__(self, draw: Draw, args: tuple[Any, ...], future: Future[Any] | None) -> None:
        self._draw = draw
        self._args = args
        self._future = future

    def result(self) -> RenderedFigure | None:
        """The rendered figure, waiting for the worker if it is still drawing."""
        if self._future is not None:
            try:
                figure: RenderedFigure | None = self._future.result()
                return figure
            except BrokenProcessPool:
                # A worker killed from outside (memory, a signal): the figure is still owed.
                pass
        return self._draw(*self._args)


class Painter:
    """Worker processes that draw figures; use as a context manager, or `close` it."""

    def __init__(self, workers: int = WORKERS) -> None:
        # Objects alive now are left out of the workers' garbage collections, so those do not
        # write to (and so copy) every page the workers share with this process.
        gc.freeze()
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_warm,
            initargs=(os.getpid(),),
        )
        # With fork the pool starts every worker at the first task: start them now.
        self._pool.submit(int)
        gc.unfreeze()

    def draw(self, draw: Draw, *args: Any) -> Drawing:
        """Start drawing `draw(*args)` in a worker (in-process, at `result`, if they are gone)."""
        try:
            future = self._pool.submit(draw, *args)
        except BrokenProcessPool:
            future = None
        return Drawing(draw, args, future)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Painter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def start_painter() -> Painter | None:
    """A painter with forked workers; None where fork is unavailable or one core is all."""
    if "fork" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:
        return None
    return Painter()
