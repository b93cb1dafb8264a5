"""Randomisation throughput and memory, measured in one run with one configuration.

Configuration: the CAIRO6 protocol (4 two-level factors, equal weights, two arms 1:1),
minimisation with the range measure and p = 0.8, 358 patients per trial, factor levels equally
likely. Measured: patient-allocations per second of the vectorised engine, of the sequential
engine (the live service's `allocate`), and of `smallerize` (PyPI) as an outside peer; and the peak
resident memory of a 1,000,000-trial simulation run in chunks in a child process.

Targets: vectorised >= 10,000,000 allocations/s and >= 100 x the sequential engine; 1,000,000
simulated trials within 1 GiB peak memory. Run: `python benchmarks/bench_randomization.py`.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.table import Table
from smallerize import Arm, Factor, Minimizer

from cairo6.protocol import default_protocol
from cairo6.randomization import design_from_protocol, run_sequential, run_vectorised

PATIENTS = 358
P = 0.8
VECTOR_TRIALS = 20_000
VECTOR_REPEATS = 3
SEQUENTIAL_TRIALS = 12
SMALLERIZE_TRIALS = 12
MEMORY_TRIALS = 1_000_000
MEMORY_CHUNK = 20_000
SEED = 20240601

TARGET_RATE = 10_000_000
TARGET_SPEEDUP = 100
TARGET_PEAK_BYTES = 1 << 30

CHILD = f"""
import json, time
import numpy as np
from cairo6.protocol import default_protocol
from cairo6.protocol.models import RandomizationMethod
from cairo6.randomization import simulate
start = time.perf_counter()
result = simulate(
    default_protocol(), [RandomizationMethod.MINIMIZATION], patients={PATIENTS},
    trials={MEMORY_TRIALS}, rng=np.random.default_rng({SEED}), p={P}, chunk_size={MEMORY_CHUNK},
)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "mean": result.methods[0].row("overall").stats.mean}}))
"""


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _inputs(trials: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    levels = rng.integers(0, 2, size=(PATIENTS, 4, trials), dtype=np.int8)
    draws = rng.random((PATIENTS, 2, trials))
    return levels, draws


def vectorised_rate(rng: np.random.Generator) -> float:
    """Allocations per second of `run_vectorised` (median of repeats; inputs prepared first)."""
    design = design_from_protocol(default_protocol(), p=P)
    levels, draws = _inputs(VECTOR_TRIALS, rng)
    run_vectorised(design, levels[:10], draws[:10])  # warm-up
    times = [_timed(lambda: run_vectorised(design, levels, draws)) for _ in range(VECTOR_REPEATS)]
    return PATIENTS * VECTOR_TRIALS / statistics.median(times)


def sequential_rate(rng: np.random.Generator) -> float:
    """Allocations per second of `allocate`, one patient at a time (via `run_sequential`)."""
    design = design_from_protocol(default_protocol(), p=P)
    levels, draws = _inputs(SEQUENTIAL_TRIALS, rng)
    seconds = _timed(lambda: run_sequential(design, levels, draws))
    return PATIENTS * SEQUENTIAL_TRIALS / seconds


def smallerize_rate(rng: np.random.Generator) -> float:
    """Allocations per second of smallerize's Minimizer on the same configuration."""
    protocol = default_protocol()
    factors = [Factor(f.id, [lv.id for lv in f.levels]) for f in protocol.randomization.factors]
    arms = [Arm(a.id) for a in protocol.arms]
    levels, _ = _inputs(SMALLERIZE_TRIALS, rng)
    patients = [
        [{f.name: f.levels[row[c]] for c, f in enumerate(factors)} for row in levels[:, :, t]]
        for t in range(SMALLERIZE_TRIALS)
    ]
    random.seed(SEED)  # smallerize draws from the `random` module

    def run() -> None:
        for trial in patients:
            minimizer = Minimizer(
                factors,
                arms,
                d_imbalance_method="range",
                probability_method="best_only",
                preferred_p=P,
            )
            for patient in trial:
                minimizer.assign_participant(patient)

    return PATIENTS * SMALLERIZE_TRIALS / _timed(run)


def chunked_memory() -> tuple[int, float]:
    """Peak RSS (bytes) and seconds of a 1,000,000-trial simulation in a child process."""
    done = subprocess.run([sys.executable, "-c", CHILD], check=True, capture_output=True, text=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return peak_kib * 1024, float(json.loads(done.stdout)["seconds"])


def main() -> int:
    """Measure, print the figures and ratios; non-zero exit when a target is missed."""
    rng = np.random.default_rng(SEED)
    vector = vectorised_rate(rng)
    sequential = sequential_rate(rng)
    peer = smallerize_rate(rng)
    peak, seconds = chunked_memory()
    console = Console(width=120)
    table = Table(
        title=f"Randomisation benchmark: CAIRO6 factors, {PATIENTS} patients, p {P}, range"
    )
    for column in ("measure", "value", "target", "met"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    checks = [
        (
            "vectorised engine, allocations/s",
            f"{vector:,.0f}",
            f">= {TARGET_RATE:,}",
            vector >= TARGET_RATE,
        ),
        ("sequential engine (allocate), allocations/s", f"{sequential:,.0f}", "", None),
        ("smallerize 0.5 (PyPI), allocations/s", f"{peer:,.0f}", "", None),
        (
            "vectorised / sequential",
            f"{vector / sequential:,.0f} x",
            f">= {TARGET_SPEEDUP} x",
            vector / sequential >= TARGET_SPEEDUP,
        ),
        ("vectorised / smallerize", f"{vector / peer:,.0f} x", "", None),
        ("sequential / smallerize", f"{sequential / peer:,.2f} x", "", None),
        (
            f"{MEMORY_TRIALS:,} trials in chunks of {MEMORY_CHUNK:,}: peak RSS",
            f"{peak / 2**20:,.0f} MiB",
            "<= 1024 MiB",
            peak <= TARGET_PEAK_BYTES,
        ),
        (
            f"{MEMORY_TRIALS:,} trials: wall time (simulate, incl. summaries)",
            f"{seconds:,.1f} s",
            "",
            None,
        ),
    ]
    for name, value, target, met in checks:
        table.add_row(name, value, target, "" if met is None else ("yes" if met else "NO"))
    console.print(table)
    return 0 if all(met is not False for *_, met in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
