"""Sweeps: many scenarios, each simulated with its own seed, in-process or on any executor.

Each scenario's generator is seeded with child i of `numpy.random.SeedSequence(seed).spawn(n)`,
so a scenario's result depends only on (spec, trials, seed, i, chunk size): the in-process
engine and a dask cluster (through `distributed.Client.get_executor()`, or any other
`concurrent.futures.Executor`) give identical numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, replace

import numpy as np

from cairo6.design import _checks as check
from cairo6.design.accrual import Centre
from cairo6.design.simulate import SimulationResult, TrialSpec, simulate_trials, with_planned_events
from cairo6.errors import InvalidValueError


@dataclass(frozen=True)
class Scenario:
    """A labelled spec, with the values it varies for tables and plots."""

    label: str
    spec: TrialSpec
    hazard_ratio: float
    accrual_scale: float = 1.0


def scenarios(
    base: TrialSpec,
    hazard_ratios: Sequence[float],
    accrual_scales: Sequence[float] = (1.0,),
) -> list[Scenario]:
    """Every combination of true hazard ratio and accrual-rate multiplier. The planned events
    stay those of the base design (its alternative, its accrual), as a fixed protocol would."""
    if not hazard_ratios or not accrual_scales:
        raise InvalidValueError(
            "scenarios", [list(hazard_ratios), list(accrual_scales)], "at least one of each"
        )
    plan = with_planned_events(base)
    out = []
    for scale in accrual_scales:
        factor = check.positive("accrual_scale", scale)
        centres = tuple(Centre(c.start_day, c.rate_per_month * factor) for c in base.centres)
        for hr in hazard_ratios:
            check.hazard_ratio("hazard_ratio", hr, allow_one=True)
            label = f"HR {hr:.3f}" + (f", accrual x{factor:g}" if len(accrual_scales) > 1 else "")
            spec = replace(plan, hazard_ratio=hr, centres=centres)
            out.append(Scenario(label, spec, hr, factor))
    return out


def scenario_seeds(seed: int, count: int) -> list[np.random.SeedSequence]:
    """One independent child seed per scenario."""
    check.whole("seed", seed, 0)
    return list(np.random.SeedSequence(seed).spawn(count))


def run_scenario(
    spec: TrialSpec, trials: int, seed: np.random.SeedSequence, chunk_size: int = 2000
) -> SimulationResult:
    """Simulate one scenario from its own seed (what a worker runs)."""
    return simulate_trials(spec, trials, np.random.default_rng(seed), chunk_size=chunk_size)


@dataclass(frozen=True)
class SweepResult:
    """The scenarios and their results, in scenario order."""

    seed: int
    trials: int
    scenarios: tuple[Scenario, ...]
    results: tuple[SimulationResult, ...]


def run_sweep(
    items: Sequence[Scenario],
    trials: int,
    seed: int,
    *,
    executor: Executor | None = None,
    chunk_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Simulate every scenario; `progress(trials_done)` as work completes (per chunk in
    process, per scenario on an executor)."""
    check.whole("trials", trials, 2)
    if not items:
        raise InvalidValueError("scenarios", [], "at least one scenario")
    seeds = scenario_seeds(seed, len(items))
    results: list[SimulationResult | None] = [None] * len(items)
    if executor is None:
        for i, (item, child) in enumerate(zip(items, seeds, strict=True)):
            base = i * trials

            def step(done: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + done)

            rng = np.random.default_rng(child)
            results[i] = simulate_trials(
                item.spec, trials, rng, chunk_size=chunk_size, progress=step
            )
    else:
        futures: dict[Future[SimulationResult], int] = {
            executor.submit(run_scenario, item.spec, trials, child, chunk_size): i
            for i, (item, child) in enumerate(zip(items, seeds, strict=True))
        }
        for finished, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress is not None:
                progress(finished * trials)
    return SweepResult(seed, trials, tuple(items), tuple(r for r in results if r is not None))


def sweep_rows(result: SweepResult) -> list[dict[str, str | float | int]]:
    """One flat record per scenario with every estimate and its Monte Carlo standard error."""
    rows: list[dict[str, str | float | int]] = []
    for item, r in zip(result.scenarios, result.results, strict=True):
        row: dict[str, str | float | int] = {
            "scenario": item.label,
            "hazard_ratio": item.hazard_ratio,
            "accrual_scale": item.accrual_scale,
            "trials": r.trials,
            "seed": result.seed,
            "planned_events": r.planned_events,
            "reject": r.rejection.value,
            "reject_se": r.rejection.se,
            "analytic_reject": r.analytic_rejection,
            "expected_final_events": r.expected_final_events,
        }
        for k, stop in enumerate(r.stopping, start=1):
            row[f"stop_look{k}"] = stop.value
            row[f"stop_look{k}_se"] = stop.se
        for name, est in (
            ("duration_years", r.duration_years),
            ("patients", r.patients),
            ("events", r.events),
        ):
            row[name] = est.value
            row[f"{name}_se"] = est.se
        rows.append(row)
    return rows
