"""`cairo6 protocol ...`: show the protocol readably, check a protocol file, export a template."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cairo6.cli.common import ProtocolOption, console, err_console, load_protocol
from cairo6.errors import ProtocolError
from cairo6.protocol import Drug, Protocol, default_protocol_text, read_protocol_file

protocol_app = typer.Typer(help="Show, check and export trial protocols.", no_args_is_help=True)

ASSUMED = "[yellow]ASSUMED[/]"


def days_text(days: Sequence[int]) -> str:
    """Cycle days as compact ranges: [1, 2, 3, 8] -> 'd1-3, 8'."""
    runs: list[str] = []
    ordered = sorted(set(days))
    start = prev = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        runs.append(f"{start}" if start == prev else f"{start}-{prev}")
        if day is not None:
            start = prev = day
    return "d" + ", ".join(runs)


def drug_text(drug: Drug) -> str:
    """One drug as a prescriber reads it, e.g. 'oxaliplatin 130 mg/m2 IV d1 (2 h)'."""
    text = f"{drug.name} {drug.dose:g} {drug.unit.value} {drug.route} {days_text(drug.days)}"
    if drug.frequency != "once":
        text += f" {drug.frequency}"
    if drug.infusion_hours:
        text += f" ({drug.infusion_hours:g} h)"
    if drug.cycles:
        text += f", cycles {', '.join(map(str, drug.cycles))}"
    return text


def _mark(protocol: Protocol, key: str) -> str:
    return f" {ASSUMED}" if protocol.assumed(key) else ""


def _drug_mark(protocol: Protocol, regimen_id: str, index: int) -> str:
    regimen_key = f"regimens[{regimen_id}]"
    drug_key = f"{regimen_key}.drugs[{index}]"
    hit = any(
        a.key == regimen_key or a.key == drug_key or a.key.startswith(drug_key + ".")
        for a in protocol.assumptions
    )
    return f" {ASSUMED}" if hit else ""


def _trial(p: Protocol) -> None:
    t = p.trial
    console.print(f"[bold]{t.acronym}[/] — {t.title}")
    console.print(f"{t.design}; phase {t.phase}; {t.centres_planned} centres; {t.registration}")
    console.print(f"Accrual target of this phase: {p.accrual.target} patients")


def _arms(p: Protocol) -> None:
    table = Table(title="Arms", title_justify="left")
    for col in ("id", "arm", "ratio", "description"):
        table.add_column(col)
    for arm in p.arms:
        label = arm.label + (" (control)" if arm.is_control else "")
        table.add_row(arm.id, label, str(arm.ratio), arm.description)
    console.print(table)


def _randomization(p: Protocol) -> None:
    r = p.randomization
    console.print(
        f"[bold]Randomisation[/]: {r.method.value}; imbalance {r.imbalance.value}"
        f"{_mark(p, 'randomization.imbalance')}; p = {r.p:g}{_mark(p, 'randomization.p')}; "
        f"centre as factor: {'yes' if r.centre_as_factor else 'no'}"
        f"{_mark(p, 'randomization.centre_as_factor')}; initial random allocations: "
        f"{r.initial_random}{_mark(p, 'randomization.initial_random')}"
    )
    table = Table(title="Minimisation factors", title_justify="left")
    for col in ("factor", "weight", "level", "derived from"):
        table.add_column(col)
    for factor in r.factors:
        for i, level in enumerate(factor.levels):
            weight = f"{factor.weight:g}{_mark(p, 'randomization.factors')}" if i == 0 else ""
            table.add_row(
                factor.label if i == 0 else "", weight, level.label, escape(level.when.describe())
            )
    console.print(table)


def _eligibility(p: Protocol) -> None:
    table = Table(title="Eligibility", title_justify="left")
    for col in ("kind", "id", "criterion", "rule (case-report fields)"):
        table.add_column(col)
    for crit in p.eligibility:
        table.add_row(crit.kind, crit.id, escape(crit.text), escape(crit.rule.describe()))
    console.print(table)


def antiangiogenic_name(p: Protocol) -> str:
    """The protocol's antiangiogenic drugs as a column heading (their names, joined by /)."""
    names = sorted({d.name for r in p.regimens for d in r.drugs if d.antiangiogenic})
    return "/".join(names) or "antiangiogenic"


def _regimens(p: Protocol) -> None:
    table = Table(title="Regimens", title_justify="left", show_lines=True)
    anti_name = antiangiogenic_name(p)
    for col in ("regimen", "phase", "cycles", "drugs per cycle", anti_name, "switch to"):
        table.add_column(col)
    for reg in p.regimens:
        drugs = "\n".join(
            escape(drug_text(d)) + _drug_mark(p, reg.id, i)
            for i, d in enumerate(reg.drugs)
            if not d.antiangiogenic
        )
        anti = [d for d in reg.drugs if d.antiangiogenic]
        bev = (
            "\n".join(f"{d.dose:g} {d.unit.value} {d.route} {days_text(d.days)}" for d in anti)
            + f"\ncycles {', '.join(map(str, reg.antiangiogenic_cycles))}"
            if anti
            else "none"
        )
        switch = ", ".join(reg.switch_to) or "—"
        if reg.switch_why:
            switch += f"\n({reg.switch_why})"
        if reg.adjuvant_options:
            switch += f"\nadjuvant: {', '.join(reg.adjuvant_options)}"
        cycles = f"{reg.cycles} x {reg.cycle_length_days} d"
        if reg.assessment_after_cycle:
            cycles += f"\n{p.assessment.label} after cycle {reg.assessment_after_cycle}"
        table.add_row(f"{reg.id}\n{reg.label}", reg.phase.value, cycles, drugs, bev, switch)
    console.print(table)
    hipec = Table(title="HIPEC", title_justify="left")
    for col in ("id", "drug", "dose", "duration", "temperature", "notes"):
        hipec.add_column(col)
    for h in p.hipec:
        notes = ", ".join(f"{f:.0%}" for f in h.fractions)
        notes = f"fractions {notes}" if notes else h.with_systemic
        hipec.add_row(
            h.id,
            h.drug,
            f"{h.dose:g} {h.unit.value}",
            f"{h.duration_min} min",
            f"{h.temperature_c} °C",
            notes,
        )
    console.print(hipec)


def _windows(p: Protocol) -> None:
    table = Table(title="Time windows (days after the anchor)", title_justify="left")
    for col in ("window", "arm", "event", "anchor", "allowed", "applies when"):
        table.add_column(col)
    for w in p.windows:
        low = f">= {w.min_days}" if w.min_days is not None else ""
        high = f"<= {w.max_days}" if w.max_days is not None else ""
        allowed = " and ".join(x for x in (low, high) if x) + _mark(p, f"windows[{w.id}]")
        table.add_row(
            w.label,
            w.arm,
            p.event_label(w.event),
            p.event_label(w.anchor),
            allowed,
            ", ".join(p.requirement_label(r) for r in w.requires) or "always",
        )
    console.print(table)


def _endpoints(p: Protocol) -> None:
    table = Table(title="Endpoints and analysis plan", title_justify="left")
    for col in ("endpoint", "kind", "phase", "population", "summary", "test", "effect"):
        table.add_column(col)
    for e in p.endpoints:
        table.add_row(
            e.label, e.kind, e.trial_phase, e.population, e.summary, e.test.value, e.effect
        )
    console.print(table)
    a = p.analysis
    rule = a.categorical_rule
    console.print(
        f"Two-sided alpha {a.alpha:g}; {a.ci_level:.0%} CIs (risk ratio: {a.risk_ratio_ci}; "
        f"proportions: {a.proportion_ci}); default categorical test: {rule.small} when an "
        f"expected count is < {rule.expected_below:g}, else {rule.otherwise}; "
        f"rounding {a.rounding}; missing data {a.missing_data.replace('_', ' ')}."
    )
    pops = Table(title="Populations", title_justify="left")
    pops.add_column("id")
    pops.add_column("population")
    pops.add_column("definition")
    for pop in a.populations:
        pops.add_row(pop.id, pop.label, pop.definition)
    console.print(pops)


def _stopping(p: Protocol) -> None:
    table = Table(title="Stopping rules", title_justify="left")
    table.add_column("rule")
    table.add_column("kind")
    table.add_column("threshold")
    for r in p.stopping_rules:
        if r.kind == "accrual":
            threshold = f"{r.target} patients within {r.within_days} days of {r.anchor}"
        else:
            threshold = f"{r.threshold:g} ({r.scale})" + _mark(p, f"stopping_rules[{r.id}].scale")
        table.add_row(r.label, r.kind, threshold)
    console.print(table)
    s = p.sample_size
    if s is not None:
        console.print(
            f"[bold]Phase 3 sample size[/]: {s.endpoint} at {s.horizon_years:g} years, "
            f"{s.control_rate:.0%} (control) vs {s.experimental_rate:.0%} (experimental); "
            f"{s.sided}-sided alpha {s.alpha:g}, power {s.power:.0%}, dropout {s.dropout:.0%}; "
            f"method {s.method}; planned total {s.target_total}."
        )


def _assumptions(p: Protocol) -> None:
    if not p.assumptions:
        return
    table = Table(title="Assumptions (values no public source fixes)", title_justify="left")
    table.add_column("key")
    table.add_column("note")
    for a in p.assumptions:
        table.add_row(Text(a.key), a.note)
    console.print(table)


SECTIONS: dict[str, Callable[[Protocol], None]] = {
    "trial": _trial,
    "arms": _arms,
    "randomization": _randomization,
    "eligibility": _eligibility,
    "regimens": _regimens,
    "windows": _windows,
    "endpoints": _endpoints,
    "stopping": _stopping,
    "assumptions": _assumptions,
}


@protocol_app.command("show")
def show(
    protocol: ProtocolOption = None,
    section: Annotated[
        list[str] | None,
        typer.Option("--section", "-s", help=f"Show only these sections: {', '.join(SECTIONS)}."),
    ] = None,
) -> None:
    """Print the protocol: arms, factors, eligibility, regimens with doses, windows, plan."""
    chosen = section or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        err_console.print(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
        raise typer.Exit(2)
    proto = load_protocol(protocol)
    for name in chosen:
        SECTIONS[name](proto)


@protocol_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Protocol TOML file to validate.")],
) -> None:
    """Validate a protocol file and list every error with its TOML key."""
    try:
        proto = read_protocol_file(file)
    except ProtocolError as exc:
        err_console.print(f"[bold red]{file}: {len(exc.issues)} error(s)[/]", highlight=False)
        for issue in exc.issues:
            err_console.print(f"  {issue.key}: {issue.message}", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    console.print(
        f"[green]{file}: valid[/] — {proto.trial.acronym}: {len(proto.arms)} arms "
        f"(ratio {':'.join(str(a.ratio) for a in proto.arms)}), "
        f"{len(proto.randomization.factors)} factors, {len(proto.eligibility)} criteria, "
        f"{len(proto.regimens)} regimens, {len(proto.windows)} windows, "
        f"{len(proto.endpoints)} endpoints, {len(proto.assumptions)} assumptions",
        highlight=False,
    )


@protocol_app.command("export")
def export(
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
) -> None:
    """Write the bundled CAIRO6 protocol TOML, a template for a new trial."""
    text = default_protocol_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
