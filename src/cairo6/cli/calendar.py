"""`cairo6 calendar`: a participant's planned and actual treatment calendar and its compliance,
and with `--study` the study's visit schedule.

Only this entry point reads the clock (`--on` defaults to today); the calendar itself is pure.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cairo6.cli.common import ProtocolOption, console, fail, load_protocol, parse_date
from cairo6.cli.protocol import antiangiogenic_name, drug_text
from cairo6.errors import Cairo6Error, ScheduleError
from cairo6.protocol import Event, Phase, Protocol
from cairo6.schedule import (
    ActionItem,
    Calendar,
    Course,
    CycleGiven,
    EarlyStop,
    PlannedCycle,
    Procedure,
    Status,
    Switch,
    Treatment,
    WindowCheck,
    build_calendar,
    check_compliance,
    due_or_overdue,
)

if TYPE_CHECKING:
    from cairo6.schedule.visits import VisitWindow

__all__ = ["calendar_command"]

_STATUS_STYLE = {
    Status.MET: "green",
    Status.MISSED: "bold red",
    Status.OVERDUE: "bold red",
    Status.NOT_YET_DUE: "yellow",
    Status.NOT_APPLICABLE: "dim",
}


def _date(field: str, text: str) -> dt.date:
    return parse_date(field, text)


def _dates(field: str, text: str | None) -> list[dt.date]:
    items = [t for t in (text or "").split(",") if t.strip()]
    return [_date(f"{field} (item {i})", t) for i, t in enumerate(items, start=1)]


def _numbers(field: str, text: str | None) -> set[int]:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    bad = [t for t in items if not t.isdigit()]
    if bad:
        raise ScheduleError(field, bad[0], "comma-separated cycle numbers, e.g. 3,4")
    return {int(t) for t in items}


def _neoadjuvant(
    protocol: Protocol,
    arm: str,
    regimen: str | None,
    cycle_dates: str | None,
    omitted: set[int],
    switch: Switch | None,
    stop_after: int | None,
) -> Treatment | None:
    if regimen is None:
        # The arm's first neoadjuvant regimen; none in an arm that goes straight to the index
        # procedure.
        options = [r.id for r in protocol.regimens if r.arm == arm and r.phase is Phase.NEOADJUVANT]
        if not options:
            if cycle_dates or switch or stop_after is not None:
                none = f"none: arm '{arm}' has no neoadjuvant regimen"
                raise ScheduleError("--cycle-dates", cycle_dates, none, "leave it out")
            return None
        regimen = options[0]
    cycles = tuple(
        CycleGiven(number=k, day1=day, antiangiogenic=False if k in omitted else None)
        for k, day in enumerate(_dates("--cycle-dates", cycle_dates), start=1)
    )
    stop = EarlyStop(after_cycle=stop_after) if stop_after is not None else None
    return Treatment(regimen=regimen, cycles=cycles, switch=switch, stop=stop)


def _switch(switch_at: int | None, switch_to: str | None) -> Switch | None:
    if switch_at is None and switch_to is None:
        return None
    if switch_at is None or switch_to is None:
        missing = "--switch-at" if switch_at is None else "--switch-to"
        raise ScheduleError(missing, None, "--switch-at and --switch-to given together")
    return Switch(at_cycle=switch_at, regimen=switch_to)


def _show(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "-"


def _cycle_table(title: str, cycles: tuple[PlannedCycle, ...], bev_name: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("cycle", "regimen", "planned", "actual", "drugs", bev_name):
        table.add_column(column)
    for cycle in cycles:
        actual = _show(cycle.actual) + (" (dose reduced)" if cycle.reduced_dose else "")
        drugs = "\n".join(drug_text(d.model_copy(update={"cycles": None})) for d in cycle.drugs)
        bev = "yes" if cycle.antiangiogenic else "no"
        if cycle.given and cycle.antiangiogenic != cycle.antiangiogenic_planned:
            bev += " (not planned)" if cycle.antiangiogenic else " (omitted)"
        row = [str(cycle.number), cycle.regimen, _show(cycle.planned), actual, drugs, bev]
        table.add_row(*(Text(cell) for cell in row))
    return table


def _events_table(calendar: Calendar) -> Table:
    table = Table(title="Planned events (from the protocol windows)", title_justify="left")
    for column in ("event", "earliest", "latest", "recorded", "note"):
        table.add_column(column)
    for event, span in calendar.ranges.items():
        notes = []
        if span.conflict is not None:
            notes.append("CONFLICT: " + span.conflict)
        if span.waiting:
            notes.append("waiting for a date: " + ", ".join(span.waiting))
        elif not span.settled:
            notes.append("moves with the cycle plan")
        label = calendar.label(event)
        if event is Event.ASSESSMENT and calendar.assessment_after_cycle is not None:
            label += f" (after cycle {calendar.assessment_after_cycle})"
        row = [label, _show(span.earliest), _show(span.latest)]
        row += [_show(calendar.events[event].actual), "; ".join(notes)]
        table.add_row(*(Text(cell) for cell in row))
    return table


def _span(earliest: dt.date | None, latest: dt.date | None) -> str:
    if earliest and latest:
        return f"{earliest.isoformat()} to {latest.isoformat()}"
    if latest:
        return f"by {latest.isoformat()}"
    return f"from {earliest.isoformat()}" if earliest else "-"


def _compliance_table(calendar: Calendar, checks: tuple[WindowCheck, ...], on: dt.date) -> Table:
    table = Table(title=f"Time windows on {on.isoformat()}", title_justify="left")
    for column in ("window", "anchor", "allowed", "actual", "status"):
        table.add_column(column)
    for check in checks:
        anchor = calendar.label(check.window.anchor) + " " + _show(check.anchor)
        if check.anchor_projected:
            anchor += " (planned)"
        status = Text(check.describe(), style=_STATUS_STYLE[check.status])
        row = [check.window.label, anchor, _span(check.earliest, check.latest), _show(check.actual)]
        table.add_row(*(Text(cell) for cell in row), status)
    return table


def _action_line(item: ActionItem) -> Text:
    when = _span(item.earliest, item.latest)
    text = Text(f"  {item.status.upper():8} ", style="bold red" if item.status != "due" else "")
    text.append(f"{item.what}: {when}")
    if item.days_overdue:
        text.append(f", overdue by {item.days_overdue} days")
    if item.note:
        text.append(f" ({item.note})")
    return text


def _kept(texts: list[str], ids: list[str]) -> dict[str, list[dt.date]]:
    kept: dict[str, list[dt.date]] = {}
    for text in texts:
        visit, _, day = text.partition("=")
        if visit.strip() not in ids:
            allowed = "ID=YYYY-MM-DD with ID one of " + (", ".join(ids) or "none")
            raise ScheduleError("--visit", text, allowed, "use a visit id of the study's schedule")
        kept.setdefault(visit.strip(), []).append(_date(f"--visit {visit.strip()}", day.strip()))
    return kept


def _visit_table(visits: tuple[VisitWindow, ...], on: dt.date) -> Table:
    table = Table(title="Visits (the study's schedule)", title_justify="left")
    for column in ("visit", "target", "allowed", "kept", "status"):
        table.add_column(column)
    for v in visits:
        label = v.label + (f" ({v.occurrence})" if v.occurrence > 1 else "")
        status = Text(v.describe(on), style=_STATUS_STYLE[v.status(on)])
        row = [label, _show(v.target), _span(v.earliest, v.latest), _show(v.actual)]
        table.add_row(*(Text(cell) for cell in row), status)
    return table


def _visit_items(visits: tuple[VisitWindow, ...], on: dt.date) -> list[ActionItem]:
    items = []
    for v in visits:
        if v.actual is not None or v.earliest is None or v.earliest > on:
            continue
        what = v.label + (f" ({v.occurrence})" if v.occurrence > 1 else "")
        late = (on - v.latest).days if v.latest is not None and on > v.latest else 0
        items.append(ActionItem(what, "overdue" if late else "due", v.earliest, v.latest, late))
    return items


def _render(
    protocol: Protocol, calendar: Calendar, on: dt.date, visits: tuple[VisitWindow, ...] = ()
) -> None:
    course = calendar.course
    arm = protocol.arm(course.arm)
    console.print(
        Text(f"{protocol.trial.acronym} treatment calendar: {arm.label}; ", style="bold")
        + Text(f"randomised {course.randomised.isoformat()}; reference date {on.isoformat()}")
    )
    bev_name = antiangiogenic_name(protocol)
    if calendar.neoadjuvant:
        console.print(_cycle_table("Neoadjuvant cycles", calendar.neoadjuvant, bev_name))
    if calendar.adjuvant:
        console.print(_cycle_table("Adjuvant cycles", calendar.adjuvant, bev_name))
    if calendar.ranges:
        console.print(_events_table(calendar))
    if calendar.windows:
        console.print(_compliance_table(calendar, check_compliance(calendar, on), on))
    if visits:
        console.print(_visit_table(visits, on))
    todo = (*due_or_overdue(calendar, on), *_visit_items(visits, on))
    console.print(Text(f"To act on, on {on.isoformat()}:", style="bold"))
    for item in todo:
        console.print(_action_line(item))
    if not todo:
        console.print("  nothing due")


def calendar_command(
    randomised: Annotated[
        str, typer.Option("--randomised", help="Randomisation date, YYYY-MM-DD.")
    ],
    regimen: Annotated[
        str | None,
        typer.Option(
            "--regimen",
            help="Neoadjuvant regimen (default: the arm's first one).",
        ),
    ] = None,
    arm: Annotated[
        str | None,
        typer.Option("--arm", help="Arm id (default: the first arm that is not the control)."),
    ] = None,
    cycle_dates: Annotated[
        str | None,
        typer.Option(
            "--cycle-dates", help="Actual day-1 dates of the cycles given, comma-separated"
        ),
    ] = None,
    antiangiogenic_omitted: Annotated[
        str | None,
        typer.Option(
            "--antiangiogenic-omitted",
            help="Cycles in which the planned antiangiogenic drug was not given.",
        ),
    ] = None,
    switch_at: Annotated[
        int | None, typer.Option("--switch-at", help="First cycle given under --switch-to.")
    ] = None,
    switch_to: Annotated[
        str | None, typer.Option("--switch-to", help="Regimen switched to (for intolerance).")
    ] = None,
    stop_after: Annotated[
        int | None,
        typer.Option("--stopped-after", help="Neoadjuvant treatment stopped after this cycle."),
    ] = None,
    assessment: Annotated[
        str | None,
        typer.Option(
            "--assessment",
            help="Date of the response assessment (the protocol's [assessment], e.g. a CT).",
        ),
    ] = None,
    procedure: Annotated[
        str | None,
        typer.Option(
            "--procedure",
            help="Date of the index procedure (the protocol's [index_procedure], e.g. an "
            "operation).",
        ),
    ] = None,
    incomplete: Annotated[
        bool, typer.Option("--incomplete", help="The index procedure was not complete.")
    ] = False,
    adjuvant: Annotated[str | None, typer.Option("--adjuvant", help="Adjuvant regimen.")] = None,
    adjuvant_dates: Annotated[
        str | None, typer.Option("--adjuvant-dates", help="Adjuvant day-1 dates, comma-separated.")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Reference date for 'overdue' (default: today).")
    ] = None,
    study: Annotated[
        str | None,
        typer.Option(
            "--study",
            help="Study folder or bundled name (e.g. indo-rct): its protocol, and the visits of "
            "its schedule.toml.",
        ),
    ] = None,
    visit: Annotated[
        list[str] | None,
        typer.Option("--visit", help="A visit kept, ID=YYYY-MM-DD (repeat for more visits)."),
    ] = None,
    protocol: ProtocolOption = None,
) -> None:
    """Show the planned vs actual treatment calendar and its compliance with the time windows."""
    try:
        # The study definition is read only when asked for: the calendar starts fast.
        from cairo6.schedule.visits import visit_windows
        from cairo6.study.models import ScheduledEvent

        schedule: list[ScheduledEvent] = []
        if study is not None:
            if protocol is not None:
                raise ScheduleError("--protocol", str(protocol), "one of --study or --protocol")
            from cairo6.study.loader import resolve_study

            definition = resolve_study(study)[0]
            proto, schedule = definition.trial_protocol, list(definition.schedule)
        else:
            proto = load_protocol(protocol)
        if visit and not schedule:
            raise ScheduleError("--visit", visit[0], "only with --study (a visit schedule)")
        if arm is None:
            arm = next((a.id for a in proto.arms if not a.is_control), proto.arms[0].id)
        done = None
        if procedure is not None:
            done = Procedure(_date("--procedure", procedure), not incomplete)
        elif incomplete:
            raise ScheduleError("--incomplete", True, "only together with --procedure")
        adjuvant_record = None
        if adjuvant is not None:
            cycles = tuple(
                CycleGiven(number=k, day1=day)
                for k, day in enumerate(_dates("--adjuvant-dates", adjuvant_dates), start=1)
            )
            adjuvant_record = Treatment(regimen=adjuvant, cycles=cycles)
        elif adjuvant_dates:
            raise ScheduleError("--adjuvant", None, "an adjuvant regimen with --adjuvant-dates")
        switch = _switch(switch_at, switch_to)
        omitted = _numbers("--antiangiogenic-omitted", antiangiogenic_omitted)
        course = Course(
            arm=arm,
            randomised=_date("--randomised", randomised),
            neoadjuvant=_neoadjuvant(proto, arm, regimen, cycle_dates, omitted, switch, stop_after),
            assessment=_date("--assessment", assessment) if assessment else None,
            procedure=done,
            adjuvant=adjuvant_record,
        )
        today = _date("--on", on) if on is not None else dt.date.today()
        calendar = build_calendar(proto, course)
        kept = _kept(visit or [], [v.id for v in schedule])
        visits = visit_windows(schedule, arm, course.randomised, kept)
    except Cairo6Error as exc:
        raise fail(exc) from exc
    _render(proto, calendar, today, visits)
