"""Phase 3 trial simulation throughput, measured in one run with one configuration.

Configuration: the CAIRO6 protocol design (358 patients, minimisation, ASSUMED nine centres,
exponential survival 50% -> 65% at 3 years, 5% dropout, an O'Brien-Fleming interim at half the
planned events and a final analysis). Measured:

* the whole vectorised simulation (accrual, minimisation, survival, two log-rank analyses,
  boundaries, summaries): simulated trials per second, and the time for 10,000 trials;
* the log-rank analysis alone on the same simulated final-analysis data: `logrank_many` on all
  trials at once against a loop calling lifelines' `logrank_test` once per trial (the numbers
  are checked equal on the looped trials). The whole vectorised simulation is also set against
  that loop: a lower bound of its advantage over a per-trial engine, which would also have to
  generate the data and analyse every interim look;
* a sweep of scenarios on a dask LocalCluster with one and with two worker processes (after a
  warm-up task per worker), with the in-process engine as reference; results must be identical.

Targets (ratios within one run, so they mean the same on any machine): vectorised log-rank
>= 100 x the lifelines loop; 10,000 simulated trials within 5 s on this 2-core machine.
Run: `python benchmarks/bench_design.py`.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from lifelines.statistics import logrank_test
from rich.console import Console
from rich.table import Table

from cairo6.cli.design import dask_executor
from cairo6.design import (
    final_analysis_data,
    logrank_many,
    run_sweep,
    scenarios,
    simulate_trials,
    spec_from_protocol,
    with_planned_events,
)
from cairo6.protocol import default_protocol

SEED = 20240601
SIM_TRIALS = 10_000
LOGRANK_TRIALS = 10_000
LIFELINES_TRIALS = 300
SWEEP_HAZARD_RATIOS = (1.0, 0.55, 0.62, 0.7, 0.75, 0.8, 0.85, 0.9)
SWEEP_TRIALS = 5_000

TARGET_SECONDS = 5.0
TARGET_SPEEDUP = 100


def _timed(run: object) -> tuple[float, object]:
    start = time.perf_counter()
    value = run()  # type: ignore[operator]
    return time.perf_counter() - start, value


def main() -> int:
    """Measure, print the figures and ratios; non-zero exit when a target is missed."""
    spec = with_planned_events(spec_from_protocol(default_protocol()))
    simulate_trials(spec, 200, np.random.default_rng(1))  # warm-up (imports, caches)
    sim_seconds, result = _timed(
        lambda: simulate_trials(spec, SIM_TRIALS, np.random.default_rng(SEED))
    )
    sim_rate = SIM_TRIALS / sim_seconds

    times, events, experimental = final_analysis_data(
        spec, LOGRANK_TRIALS, np.random.default_rng(SEED + 1)
    )
    groups = experimental.astype(int)
    vector_seconds, vector_stats = _timed(lambda: logrank_many(times, events, groups))
    vector_rate = LOGRANK_TRIALS / vector_seconds

    def lifelines_loop() -> list[float]:
        out = []
        for i in range(LIFELINES_TRIALS):
            one = experimental[i]
            test = logrank_test(times[i][one], times[i][~one], events[i][one], events[i][~one])
            out.append(float(test.test_statistic))
        return out

    loop_seconds, loop_stats = _timed(lifelines_loop)
    loop_rate = LIFELINES_TRIALS / loop_seconds
    agree = np.allclose(vector_stats[:LIFELINES_TRIALS], loop_stats, rtol=1e-9)  # type: ignore[index]

    items = scenarios(spec, SWEEP_HAZARD_RATIOS)
    local_seconds, local = _timed(lambda: run_sweep(items, SWEEP_TRIALS, SEED))
    dask_seconds: dict[int, float] = {}
    identical = True
    for workers in (1, 2):
        with dask_executor(workers) as executor:
            warm = scenarios(replace(spec, looks=(1.0,)), [0.7] * workers)
            run_sweep(warm, 50, 1, executor=executor)
            seconds, remote = _timed(
                lambda executor=executor: run_sweep(items, SWEEP_TRIALS, SEED, executor=executor)
            )
        dask_seconds[workers] = seconds
        identical = identical and remote.results == local.results  # type: ignore[attr-defined]

    console = Console(width=120)
    table = Table(
        title=f"Design benchmark: CAIRO6 phase 3, {spec.patients} patients per simulated trial"
    )
    for column in ("measure", "value", "target", "met"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    sweep_total = SWEEP_TRIALS * len(items)
    checks = [
        (
            f"whole simulation, {SIM_TRIALS:,} trials (2 looks): seconds",
            f"{sim_seconds:,.2f} s",
            f"<= {TARGET_SECONDS:g} s",
            sim_seconds <= TARGET_SECONDS,
        ),
        ("whole simulation, trials/s", f"{sim_rate:,.0f}", "", None),
        ("log-rank, logrank_many, trials/s", f"{vector_rate:,.0f}", "", None),
        ("log-rank, lifelines logrank_test loop, trials/s", f"{loop_rate:,.0f}", "", None),
        (
            "logrank_many / lifelines loop",
            f"{vector_rate / loop_rate:,.0f} x",
            f">= {TARGET_SPEEDUP} x",
            vector_rate / loop_rate >= TARGET_SPEEDUP,
        ),
        (
            "whole simulation / lifelines loop doing only 1 log-rank (lower bound)",
            f"{sim_rate / loop_rate:,.0f} x",
            "",
            None,
        ),
        (
            f"statistics equal to lifelines ({LIFELINES_TRIALS} trials)",
            "yes" if agree else "NO",
            "yes",
            bool(agree),
        ),
        (
            f"sweep {len(items)} scenarios x {SWEEP_TRIALS:,}: in process",
            f"{local_seconds:,.2f} s ({sweep_total / local_seconds:,.0f}/s)",
            "",
            None,
        ),
        *(
            (
                f"sweep on dask, {w} worker{'s' if w > 1 else ''}",
                f"{dask_seconds[w]:,.2f} s ({sweep_total / dask_seconds[w]:,.0f}/s)",
                "",
                None,
            )
            for w in (1, 2)
        ),
        (
            "dask 2 workers / 1 worker (speed-up)",
            f"{dask_seconds[1] / dask_seconds[2]:,.2f} x",
            "",
            None,
        ),
        ("dask results identical to in-process", "yes" if identical else "NO", "yes", identical),
    ]
    for name, value, target, met in checks:
        table.add_row(name, value, target, "" if met is None else ("yes" if met else "NO"))
    console.print(table)
    power = result.rejection  # type: ignore[attr-defined]
    console.print(
        f"(simulated power at HR {spec.hazard_ratio:.3f}: {power.value:.3f} ± {power.se:.3f})"
    )
    return 0 if all(met is not False for *_, met in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
