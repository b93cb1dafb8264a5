"""`cairo6 simulate randomization`: compare allocation methods on simulated trials.

The simulation itself (`cairo6.randomization.simulate`) is pure; this command reads the optional
prevalence file, picks the seed, shows progress and the table, and writes CSV and plots. Every
figure is a simulation of the randomisation procedure, never trial data.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cairo6.cli.common import (
    ProtocolOption,
    console,
    err_console,
    fail,
    load_protocol,
    writing,
)
from cairo6.errors import Cairo6Error, RandomizationError
from cairo6.protocol import ImbalanceMeasure, Protocol, RandomizationMethod
from cairo6.randomization import MethodResult, SimulationResult, Stats, parse_prevalence, simulate

__all__ = ["simulate_app"]

simulate_app = typer.Typer(
    help="Simulations of trial procedures (simulated data, never trial data).",
    no_args_is_help=True,
)

FILE_STEM = "randomization-simulation"


class MethodName(StrEnum):
    """Allocation methods the simulator compares."""

    MINIMIZATION = "minimization"
    BLOCKS = "blocks"
    SIMPLE = "simple"


_METHODS = {
    MethodName.MINIMIZATION: RandomizationMethod.MINIMIZATION,
    MethodName.BLOCKS: RandomizationMethod.PERMUTED_BLOCKS,
    MethodName.SIMPLE: RandomizationMethod.SIMPLE,
}


@simulate_app.callback()
def _simulate() -> None:
    """Simulations of trial procedures (simulated data, never trial data)."""


def _read_prevalence(path: Path) -> dict[tuple[str, str], float]:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("csv", "toml"):
        raise RandomizationError(
            "--prevalence", str(path), "a .csv or .toml file", "give a CSV or TOML prevalence file"
        )
    return parse_prevalence(path.read_text(encoding="utf-8"), suffix)


def _cell(stats: Stats) -> str:
    return f"{stats.max:g} / {stats.p95:g} / {stats.median:g} / {stats.mean:.2f}"


def _overall_label(result: SimulationResult) -> str:
    if len(result.arms) == 2 and result.ratios[0] == result.ratios[1]:
        return f"overall |n {result.arms[0]} − n {result.arms[1]}|"
    return "overall (max − min of n / ratio)"


def build_table(result: SimulationResult) -> Table:
    """Methods side by side: imbalance (max / 95% / median / mean), P(> k), predictability."""
    table = Table(
        title=(
            f"Simulated randomisation, {result.protocol}: {result.patients} patients, "
            f"{result.trials:,} simulated trials (not trial data)"
        ),
        caption="imbalance cells: max / 95% quantile / median / mean over simulated trials",
    )
    table.add_column("Quantity")
    for method in result.methods:
        table.add_column(method.label, justify="right")
    first = result.methods[0]

    def add(label: str, cells: Sequence[str]) -> None:
        table.add_row(label, *cells)

    add(_overall_label(result), [_cell(m.row("overall").stats) for m in result.methods])
    table.add_section()
    for row in first.rows:
        if row.kind == "marginal":
            add(
                f"{row.factor} = {row.level}",
                [_cell(m.row("marginal", row.factor, row.level).stats) for m in result.methods],
            )
    table.add_section()
    strata = sum(1 for r in first.rows if r.kind == "stratum")
    add(
        f"within stratum ({strata} strata pooled)",
        [_cell(m.row("stratum_pooled").stats) for m in result.methods],
    )
    add(
        "within stratum (worst stratum per trial)",
        [_cell(m.row("stratum_worst").stats) for m in result.methods],
    )
    table.add_section()
    for index, (k, _) in enumerate(first.above):
        add(f"P(overall imbalance > {k:g})", [f"{m.above[index][1]:.4f}" for m in result.methods])
    add("predictability (correct guesses)", [f"{m.predictability:.3f}" for m in result.methods])
    return table


def write_csv(result: SimulationResult, seed: int, path: Path) -> None:
    """The summary as long-format CSV: one statistic per line."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "method",
                "kind",
                "factor",
                "level",
                "statistic",
                "value",
                "patients",
                "trials",
                "seed",
            ]
        )
        common = [result.patients, result.trials, seed]
        for method in result.methods:
            for row in method.rows:
                for name in ("max", "p95", "median", "mean"):
                    value = getattr(row.stats, name)
                    line = [method.label, row.kind, row.factor, row.level, name, value]
                    writer.writerow([*line, *common])
            for k, share in method.above:
                writer.writerow(
                    [method.label, "overall_above", "", f"{k:g}", "share", share, *common]
                )
            writer.writerow(
                [method.label, "predictability", "", "", "share", method.predictability, *common]
            )


def write_plots(result: SimulationResult, directory: Path) -> list[Path]:
    """PNG and SVG: the distribution of final overall imbalance, and predictability."""
    from matplotlib.figure import Figure  # Agg-backed Figure: no pyplot, no global state

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[2, 1])
    methods: Sequence[MethodResult] = result.methods
    for method in methods:
        values = np.array([v for v, _ in method.overall])
        counts = np.array([c for _, c in method.overall], dtype=float)
        keep = np.cumsum(counts) <= 0.999 * counts.sum() + counts
        left.plot(values[keep], counts[keep] / result.trials, marker="o", ms=3, label=method.label)
    left.set_xlabel("final overall imbalance")
    left.set_ylabel("share of simulated trials")
    left.set_title("Final overall imbalance (99.9% of trials shown)")
    left.legend()
    labels = [m.label for m in methods]
    right.bar(range(len(methods)), [m.predictability for m in methods], color="tab:gray")
    right.axhline(1 / len(result.arms), color="black", linestyle="--", linewidth=1)
    right.set_xticks(range(len(methods)), labels, rotation=20, ha="right", fontsize=8)
    right.set_ylim(0, 1)
    right.set_ylabel("correct-guess rate")
    right.set_title("Predictability (dashed: 1 / arms)")
    figure.suptitle(
        f"Simulated randomisation, {result.protocol}: {result.patients} patients, "
        f"{result.trials:,} simulated trials (simulation, not trial data)"
    )
    paths = [directory / f"{FILE_STEM}.png", directory / f"{FILE_STEM}.svg"]
    for path in paths:
        figure.savefig(path, dpi=120)
    return paths


def _default_patients(protocol: Protocol) -> int:
    if protocol.sample_size is not None:
        return protocol.sample_size.target_total
    return protocol.accrual.target


@simulate_app.command("randomization")
def randomization_command(
    method: Annotated[
        list[MethodName] | None,
        typer.Option("--method", "-m", help="Method(s) to compare; repeat for several."),
    ] = None,
    p: Annotated[
        float | None,
        typer.Option("--p", help="Random element of minimisation (default: the protocol's)."),
    ] = None,
    patients: Annotated[
        int | None, typer.Option(help="Patients per simulated trial (default: sample size).")
    ] = None,
    trials: Annotated[int, typer.Option(help="Number of simulated trials.")] = 10_000,
    prevalence: Annotated[
        Path | None,
        typer.Option(
            help="CSV or TOML with columns factor, level, prevalence (default: ASSUMED equal).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for a reproducible run (default: a fresh one).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for the CSV summary and PNG/SVG plots.")
    ] = None,
    chunk_size: Annotated[int, typer.Option(help="Trials simulated at once (memory).")] = 20_000,
    threshold: Annotated[
        list[float] | None,
        typer.Option("--threshold", "-k", help="Report P(overall imbalance > k); repeatable."),
    ] = None,
    measure: Annotated[
        ImbalanceMeasure | None,
        typer.Option(help="Imbalance measure of minimisation (default: the protocol's)."),
    ] = None,
    protocol: ProtocolOption = None,
) -> None:
    """Compare randomisation methods on simulated trials (imbalance and predictability)."""
    if out is not None:
        # Checked before simulating, so a bad --out does not waste the run.
        with writing("--out", out):
            out.mkdir(parents=True, exist_ok=True)
    try:
        proto = load_protocol(protocol)
        chosen = list(dict.fromkeys(method or [MethodName.MINIMIZATION]))
        entries = _read_prevalence(prevalence) if prevalence is not None else None
        run_seed = seed if seed is not None else secrets.randbits(63)
        n_patients = patients if patients is not None else _default_patients(proto)
        rng = np.random.default_rng(run_seed)
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("trials", total=trials)
            result = simulate(
                proto,
                [_METHODS[m] for m in chosen],
                patients=n_patients,
                trials=trials,
                rng=rng,
                p=p,
                measure=measure,
                prevalence=entries,
                prevalence_source=str(prevalence) if prevalence else "file",
                chunk_size=chunk_size,
                thresholds=tuple(threshold or (2, 5, 10)),
                progress=lambda done: bar.update(task, completed=done),
            )
    except Cairo6Error as exc:
        raise fail(exc) from exc
    _print(proto, result, run_seed)
    if out is not None:
        csv_path = out / f"{FILE_STEM}.csv"
        with writing("--out", out):
            write_csv(result, run_seed, csv_path)
            written = [csv_path, *write_plots(result, out)]
        console.print("written: " + ", ".join(str(path) for path in written), highlight=False)


def _print(proto: Protocol, result: SimulationResult, seed: int) -> None:
    ratio = ":".join(map(str, result.ratios))
    console.print(
        f"Simulation (not trial data): protocol {result.protocol}, arms "
        f"{', '.join(result.arms)} ({ratio}), {result.patients} patients, "
        f"{result.trials:,} simulated trials, seed {seed}",
        highlight=False,
        markup=False,
    )
    console.print(f"Factor prevalence: {result.prevalence.describe()}", markup=False)
    for key in ("randomization.p", "randomization.imbalance"):
        assumption = proto.assumed(key)
        if assumption is not None:
            console.print(f"{key} is ASSUMED in the protocol: {assumption.note}", markup=False)
    console.print(build_table(result))
