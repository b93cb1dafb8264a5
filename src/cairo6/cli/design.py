"""`cairo6 design`: phase 3 sample size, group-sequential boundaries and simulated trials.

The computations live in `cairo6.design` (pure); this module reads options, picks seeds, starts
a dask cluster when asked, shows progress and tables, and writes the CSV and plots.
"""

from __future__ import annotations

import csv
import math
import secrets
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cairo6.cli.common import ProtocolOption, console, err_console, fail, load_protocol
from cairo6.design import (
    ASSUMED_CENTRES_NOTE,
    DEFAULT_CENTRES,
    ROUNDING_NOTE,
    Centre,
    GroupSequentialDesign,
    Spending,
    SweepResult,
    TrialSpec,
    compute_boundaries,
    expected_accrual_years,
    hazard_ratio_from_rates,
    inflate_for_dropout,
    protocol_sample_size,
    run_sweep,
    scenarios,
    spec_from_protocol,
    survival_sample_size,
    sweep_rows,
    two_arm_ratios,
    two_proportions_arcsine,
)
from cairo6.errors import Cairo6Error, InvalidValueError
from cairo6.protocol import Protocol
from cairo6.protocol.models import SampleSize

__all__ = ["dask_executor", "design_app"]

design_app = typer.Typer(
    help="Phase 3 design: sample size, interim boundaries, simulated trials (not trial data).",
    no_args_is_help=True,
)

FILE_STEM = "design-simulation"


@design_app.callback()
def _design() -> None:
    """Phase 3 design: sample size, interim boundaries, simulated trials (not trial data)."""


class Method(StrEnum):
    """Sample-size method."""

    PROPORTIONS = "proportions"
    SURVIVAL = "survival"


class EventsMethod(StrEnum):
    """Events formula for the survival method."""

    SCHOENFELD = "schoenfeld"
    FREEDMAN = "freedman"


class Engine(StrEnum):
    """Where a sweep runs."""

    LOCAL = "local"
    DASK = "dask"


class Allocation(StrEnum):
    """How simulated patients are allocated."""

    PROTOCOL = "protocol"
    SIMPLE = "simple"


def _sample_size(proto: Protocol) -> SampleSize:
    if proto.sample_size is None:
        raise InvalidValueError(
            "sample_size", None, "a [sample_size] table in the protocol", "add it to the protocol"
        )
    return proto.sample_size


@design_app.command("sample-size")
def sample_size_command(
    method: Annotated[Method, typer.Option(help="Two proportions or time to event.")] = (
        Method.PROPORTIONS
    ),
    power: Annotated[float | None, typer.Option(help="Power (default: protocol).")] = None,
    alpha: Annotated[float | None, typer.Option(help="Alpha (default: protocol).")] = None,
    sided: Annotated[int | None, typer.Option(help="1 or 2 (default: protocol).")] = None,
    control_rate: Annotated[
        float | None, typer.Option(help="Control rate at the horizon (default: protocol).")
    ] = None,
    experimental_rate: Annotated[
        float | None, typer.Option(help="Experimental rate at the horizon (default: protocol).")
    ] = None,
    dropout: Annotated[
        float | None, typer.Option(help="Dropout share (default: protocol).")
    ] = None,
    continuity_correction: Annotated[
        bool | None,
        typer.Option(
            "--continuity-correction/--no-continuity-correction",
            help="Fleiss continuity correction (default: protocol).",
        ),
    ] = None,
    accrual_years: Annotated[
        float | None,
        typer.Option(help="Survival: accrual duration (default: ASSUMED centres' time to enrol)."),
    ] = None,
    follow_up_years: Annotated[
        float | None,
        typer.Option(help="Survival: follow-up after the last entry (default: the horizon)."),
    ] = None,
    events_method: Annotated[
        EventsMethod, typer.Option(help="Survival: events formula.")
    ] = EventsMethod.SCHOENFELD,
    protocol: ProtocolOption = None,
) -> None:
    """Reproduce the protocol's sample size step by step, with optional overrides."""
    try:
        proto = load_protocol(protocol)
        given = _sample_size(proto)
        changes = {
            "power": power,
            "alpha": alpha,
            "sided": sided,
            "control_rate": control_rate,
            "experimental_rate": experimental_rate,
            "dropout": dropout,
            "continuity_correction": continuity_correction,
        }
        inputs = given.model_copy(update={k: v for k, v in changes.items() if v is not None})
        ratios = two_arm_ratios(proto)
        if method is Method.PROPORTIONS:
            _print_proportions(inputs, ratios)
        else:
            _print_survival(inputs, ratios, accrual_years, follow_up_years, events_method)
    except Cairo6Error as exc:
        raise fail(exc) from exc


def _say(text: str) -> None:
    # Plain text: ids and keys such as `regimens[CAP]` would otherwise be read as Rich markup.
    console.print(text, markup=False, highlight=False)


def _steps_table(title: str) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("Step")
    table.add_column("Calculation")
    table.add_column("Result", justify="right")
    return table


def _inputs_line(ss: SampleSize, ratios: tuple[int, int]) -> str:
    return (
        f"{ss.endpoint}: control {ss.control_rate:g} -> experimental {ss.experimental_rate:g} "
        f"at {ss.horizon_years:g} years; alpha {ss.alpha:g} ({ss.sided}-sided), power "
        f"{ss.power:g}, dropout {ss.dropout:g}, allocation control:experimental "
        f"{ratios[0]}:{ratios[1]}"
    )


def _verdict(final: int, target: int) -> None:
    if final == target:
        console.print(f"Matches the protocol's planned total ({target}).", style="green")
    else:
        console.print(
            f"Does not match the protocol's planned total ({target}): this gives {final}.",
            style="yellow",
        )


def _print_proportions(ss: SampleSize, ratios: tuple[int, int]) -> None:
    result = protocol_sample_size(ss, ratios)
    cc = "with" if ss.continuity_correction else "without"
    table = _steps_table(f"Sample size, two proportions (normal approximation {cc} correction)")
    p = result.proportions
    table.add_row(
        "1. per arm",
        f"control {p.control:.2f}, experimental {p.experimental:.2f}, each rounded up",
        f"{result.per_arm[0]} + {result.per_arm[1]}",
    )
    table.add_row("2. total", "sum of the arms", str(result.total))
    d = result.dropout
    table.add_row(
        "3. dropout inflation", f"{d.before} / (1 - {d.dropout:g}) = {d.inflated:.2f}", ""
    )
    table.add_row("4. final N", f"rounded up to a multiple of {d.multiple}", str(d.final))
    _say(_inputs_line(ss, ratios))
    console.print(table)
    _say(f"Rounding: {ROUNDING_NOTE}.")
    arcsine = two_proportions_arcsine(
        ss.control_rate,
        ss.experimental_rate,
        alpha=ss.alpha,
        power=ss.power,
        sided=ss.sided,
        ratio=ratios[1] / ratios[0],
    )
    _say(
        f"Cross-checks: arcsine (R pwr.2p.test) {arcsine.control:.2f} per control arm; "
        f"hazard ratio equivalent ln({ss.experimental_rate:g})/ln({ss.control_rate:g}) = "
        f"{result.hazard_ratio:.3f}: Schoenfeld {result.schoenfeld_events:.1f} -> "
        f"{math.ceil(result.schoenfeld_events)} events, Freedman "
        f"{result.freedman_events:.1f} -> {math.ceil(result.freedman_events)} events."
    )
    _verdict(result.final_total, ss.target_total)


def _print_survival(
    ss: SampleSize,
    ratios: tuple[int, int],
    accrual_years: float | None,
    follow_up_years: float | None,
    events_method: EventsMethod,
) -> None:
    hr = hazard_ratio_from_rates(ss.control_rate, ss.experimental_rate)
    accrual = (
        accrual_years
        if accrual_years is not None
        else expected_accrual_years(DEFAULT_CENTRES, ss.target_total)
    )
    follow = follow_up_years if follow_up_years is not None else ss.horizon_years
    result = survival_sample_size(
        control_rate=ss.control_rate,
        hazard_ratio=hr,
        horizon_years=ss.horizon_years,
        accrual_years=accrual,
        follow_up_years=follow,
        alpha=ss.alpha,
        power=ss.power,
        sided=ss.sided,
        ratios=ratios,
        method=events_method.value,
    )
    inflated = inflate_for_dropout(result.patients_rounded, ss.dropout, ratios)
    table = _steps_table(f"Sample size, log-rank ({events_method.value} events)")
    table.add_row(
        "1. hazard ratio",
        f"ln({ss.experimental_rate:g}) / ln({ss.control_rate:g})",
        f"{hr:.3f}",
    )
    table.add_row("2. events", f"{result.events:.2f}, rounded up", str(result.events_rounded))
    table.add_row(
        "3. P(event)",
        f"exponential survival, uniform accrual {accrual:.2f} y, follow-up {follow:.2f} y",
        f"{result.event_probability:.3f}",
    )
    table.add_row(
        "4. patients",
        f"{result.events:.2f} / {result.event_probability:.3f} = {result.patients:.2f}, "
        f"rounded up to a multiple of {result.multiple}",
        str(result.patients_rounded),
    )
    table.add_row(
        "5. dropout inflation",
        f"{inflated.before} / (1 - {inflated.dropout:g}) = {inflated.inflated:.2f}",
        "",
    )
    table.add_row(
        "6. final N", f"rounded up to a multiple of {inflated.multiple}", str(inflated.final)
    )
    _say(_inputs_line(ss, ratios))
    if accrual_years is None:
        _say(
            f"Accrual {accrual:.2f} years is ASSUMED: the default centres' expected time to enrol "
            f"{ss.target_total} ({ASSUMED_CENTRES_NOTE})."
        )
    console.print(table)
    _say(f"Rounding: {ROUNDING_NOTE}.")
    _verdict(inflated.final, ss.target_total)


@design_app.command("boundaries")
def boundaries_command(
    look: Annotated[
        list[float] | None,
        typer.Option("--look", help="Information fraction of each look; repeat (default 0.5 1)."),
    ] = None,
    spending: Annotated[Spending, typer.Option(help="Alpha-spending family.")] = (
        Spending.OBRIEN_FLEMING
    ),
    alpha: Annotated[float | None, typer.Option(help="Alpha (default: protocol).")] = None,
    sided: Annotated[int | None, typer.Option(help="1 or 2 (default: protocol).")] = None,
    protocol: ProtocolOption = None,
) -> None:
    """Lan-DeMets group-sequential boundaries at the given information fractions."""
    try:
        proto = load_protocol(protocol)
        fractions = tuple(look or (0.5, 1.0))
        design = GroupSequentialDesign(
            proto.analysis.alpha if alpha is None else alpha,
            proto.analysis.sided if sided is None else sided,
            spending,
            fractions,
        )
        bounds = compute_boundaries(design, final=fractions[-1] >= 1.0)
    except Cairo6Error as exc:
        raise fail(exc) from exc
    table = Table(title=f"{spending.value} spending, alpha {design.alpha:g} ({design.sided}-sided)")
    for name in ("Look", "Information", "|z| boundary", "Nominal p", "Alpha spent (cum.)"):
        table.add_column(name, justify="right")
    for k, t in enumerate(bounds.information):
        table.add_row(
            str(k + 1),
            f"{t:.3f}",
            f"{bounds.z[k]:.3f}",
            f"{bounds.nominal_p[k]:.5f}",
            f"{bounds.cumulative_alpha[k]:.5f}",
        )
    console.print(table)


@contextmanager
def dask_executor(workers: int = 2, scheduler: str | None = None) -> Iterator[Executor]:
    """A `concurrent.futures` executor on a dask.distributed cluster: the scheduler at
    `scheduler`, else a `LocalCluster` of `workers` single-threaded worker processes."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client.get_executor()
        return
    # The nanny sets MALLOC_TRIM_THRESHOLD_, which freezes glibc's mmap threshold, so every
    # large numpy temporary is mmapped afresh: the simulation ran 2.4 x slower in a worker.
    # A high mmap threshold restores heap reuse.
    environ = {"MALLOC_TRIM_THRESHOLD_": 65536, "MALLOC_MMAP_THRESHOLD_": 1 << 27}
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        # Import the simulation on every worker now, not inside the first task each one runs.
        client.run(_preload)
        yield client.get_executor()


def _preload() -> None:
    import cairo6.design  # noqa: F401


@design_app.command("simulate")
def simulate_command(
    trials: Annotated[int, typer.Option(help="Simulated trials per scenario.")] = 10_000,
    hr: Annotated[
        list[float] | None,
        typer.Option("--hr", help="True hazard ratio; repeat (default: 1 and the design's)."),
    ] = None,
    accrual_scale: Annotated[
        list[float] | None,
        typer.Option("--accrual-scale", help="Multiply every centre's rate; repeat to sweep."),
    ] = None,
    look: Annotated[
        list[float] | None,
        typer.Option("--look", help="Information fraction of each look; repeat (default 0.5 1)."),
    ] = None,
    spending: Annotated[Spending, typer.Option(help="Alpha spending.")] = Spending.OBRIEN_FLEMING,
    centre: Annotated[
        list[str] | None,
        typer.Option("--centre", help="START_DAY:RATE_PER_MONTH; repeat (default: ASSUMED 9)."),
    ] = None,
    weibull_shape: Annotated[float, typer.Option(help="Weibull shape (1: exponential).")] = 1.0,
    allocation: Annotated[
        Allocation, typer.Option(help="protocol (minimisation) or simple 1:1.")
    ] = Allocation.PROTOCOL,
    engine: Annotated[Engine, typer.Option(help="local, or dask for a cluster.")] = Engine.LOCAL,
    workers: Annotated[int, typer.Option(help="Dask local workers.")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (instead of a local cluster).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: a fresh one).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for the CSV and PNG/SVG plot.")
    ] = None,
    chunk_size: Annotated[int, typer.Option(help="Trials simulated at once (memory).")] = 2000,
    protocol: ProtocolOption = None,
) -> None:
    """Simulate the phase 3 trial: power, type I error, duration, stopping (simulated data)."""
    try:
        proto = load_protocol(protocol)
        changes: dict[str, object] = {"weibull_shape": weibull_shape}
        if look:
            changes["looks"] = tuple(look)
        if centre:
            changes["centres"] = tuple(Centre.parse(c) for c in centre)
        changes["spending"] = spending
        base = spec_from_protocol(proto, simple=allocation is Allocation.SIMPLE, **changes)
        ratios = hr or [1.0, base.hazard_ratio]
        items = scenarios(base, ratios, accrual_scale or [1.0])
        run_seed = seed if seed is not None else secrets.randbits(63)
        total = trials * len(items)
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("trials", total=total)

            def advance(done: int) -> None:
                bar.update(task, completed=done)

            if engine is Engine.DASK:
                with dask_executor(workers, scheduler) as executor:
                    result = run_sweep(
                        items, trials, run_seed, executor=executor, chunk_size=chunk_size,
                        progress=advance,
                    )  # fmt: skip
            else:
                result = run_sweep(items, trials, run_seed, chunk_size=chunk_size, progress=advance)
    except Cairo6Error as exc:
        raise fail(exc) from exc
    _print_simulation(proto, base, result, engine, centre is not None)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        paths = [write_csv(result, out / f"{FILE_STEM}.csv"), *write_plots(result, out)]
        console.print("written: " + ", ".join(str(p) for p in paths), highlight=False)


def _pm(value: float, se: float, digits: int = 3) -> str:
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def build_table(result: SweepResult) -> Table:
    """One row per scenario: rejection (± MC SE) next to the analytic value, and the rest."""
    looks = result.results[0].looks
    table = Table(
        title=f"Simulated phase 3 trials: {result.trials:,} per scenario, seed {result.seed}",
        caption="± is the Monte Carlo standard error; analytic: Schoenfeld drift at the "
        "expected final events, same boundaries",
    )
    table.add_column("Scenario")
    table.add_column("P(reject)", justify="right")
    table.add_column("analytic", justify="right")
    for k, t in enumerate(looks):
        table.add_column(f"stop look {k + 1} ({t:g})", justify="right")
    for name in ("duration (y)", "patients", "events"):
        table.add_column(name, justify="right")
    for item, r in zip(result.scenarios, result.results, strict=True):
        table.add_row(
            item.label,
            _pm(r.rejection.value, r.rejection.se),
            f"{r.analytic_rejection:.3f}",
            *(_pm(s.value, s.se) for s in r.stopping),
            _pm(r.duration_years.value, r.duration_years.se, 2),
            _pm(r.patients.value, r.patients.se, 1),
            _pm(r.events.value, r.events.se, 1),
        )
    return table


def _print_simulation(
    proto: Protocol, base: TrialSpec, result: SweepResult, engine: Engine, own_centres: bool
) -> None:
    first = result.results[0]
    _say(
        f"Simulation (not trial data): protocol {proto.trial.id}, {base.patients} patients, "
        f"control survival {base.control_rate:g} at {base.horizon_years:g} y, dropout "
        f"{base.dropout:g}, looks at {', '.join(f'{t:g}' for t in base.looks)} of "
        f"{first.planned_events} planned events, {base.spending.value} spending, alpha "
        f"{base.alpha:g} ({base.sided}-sided), engine {engine.value}"
    )
    if not own_centres:
        _say(f"Centres: {ASSUMED_CENTRES_NOTE}.")
    if base.allocation is not None:
        _say("Allocation by the protocol's minimisation; factor levels ASSUMED equally likely.")
    console.print(build_table(result))


def write_csv(result: SweepResult, path: Path) -> Path:
    """One row per scenario with every estimate and its Monte Carlo standard error."""
    rows = sweep_rows(result)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_plots(result: SweepResult, directory: Path) -> list[Path]:
    """PNG and SVG: rejection probability (± 2 MC SE) and expected duration by scenario."""
    from matplotlib.figure import Figure  # Agg-backed Figure: no pyplot, no global state

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    scales = sorted({item.accrual_scale for item in result.scenarios})
    for scale in scales:
        pairs = [
            (item.hazard_ratio, r)
            for item, r in zip(result.scenarios, result.results, strict=True)
            if item.accrual_scale == scale
        ]
        pairs.sort(key=lambda pair: pair[0])
        x = [hr for hr, _ in pairs]
        label = f"accrual x{scale:g}" if len(scales) > 1 else "simulated"
        left.errorbar(
            x, [r.rejection.value for _, r in pairs], yerr=[2 * r.rejection.se for _, r in pairs],
            marker="o", capsize=3, label=label,
        )  # fmt: skip
        left.plot(x, [r.analytic_rejection for _, r in pairs], "k--", linewidth=1)
        right.errorbar(
            x, [r.duration_years.value for _, r in pairs],
            yerr=[2 * r.duration_years.se for _, r in pairs], marker="o", capsize=3, label=label,
        )  # fmt: skip
    alpha = result.scenarios[0].spec.alpha
    left.axhline(alpha, color="grey", linewidth=0.8, linestyle=":", label=f"alpha {alpha:g}")
    left.set_xlabel("true hazard ratio")
    left.set_ylabel("P(reject H0)")
    left.set_ylim(0, 1)
    left.set_title("Power / type I error (dashed: analytic)")
    left.legend()
    right.set_xlabel("true hazard ratio")
    right.set_ylabel("expected duration (years)")
    right.set_title("Expected trial duration")
    figure.suptitle(
        f"Simulated phase 3 trials, {result.trials:,} per scenario (simulation, not trial data)"
    )
    paths = [directory / f"{FILE_STEM}.png", directory / f"{FILE_STEM}.svg"]
    for path in paths:
        figure.savefig(path, dpi=120)
    return paths
