"""`cairo6 study ...`: check and show a study definition, start one from REDCap or ODM files,
and amend the definition a trial database runs under (its versions).

Imports of the study package happen inside the commands, so that `cairo6 --help` stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cairo6.study import Study
    from cairo6.study.imported import ImportResult

study_app = typer.Typer(
    help="Check and show study definitions; start one from a REDCap or ODM file; amend a "
    "trial's definition (protocol amendments, its versions).",
    no_args_is_help=True,
)

FolderArgument = Annotated[
    Path, typer.Argument(help="Study definition folder (holding study.toml).", file_okay=False)
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Study folder to write (created if missing).", file_okay=False)
]
IdOption = Annotated[
    str | None, typer.Option("--id", help="Study id (default: from the file's name or study).")
]
TitleOption = Annotated[str | None, typer.Option("--title", help="Study title.")]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace forms.toml and checks.toml if the folder has them.")
]


def _read(folder: Path) -> Study:
    from cairo6.cli.common import err_console
    from cairo6.errors import StudyError
    from cairo6.study import read_study

    try:
        return read_study(folder)
    except StudyError as exc:
        err_console.print(
            f"[bold red]{folder}: {len(exc.issues)} error(s)[/]", highlight=False, markup=True
        )
        for issue in exc.issues:
            err_console.print(f"  {issue}", markup=False, highlight=False, soft_wrap=True)
        err_console.print(
            "What to do: fix each key listed and run `cairo6 study check` again.", markup=False
        )
        raise typer.Exit(2) from exc


def _summary(study: Study) -> str:
    items = sum(len(f.items()) for f in study.forms)
    return (
        f"{study.id}: {len(study.forms)} forms, {items} items, {len(study.codelists)} code lists, "
        f"{len(study.checks)} edit checks, {len(study.schedule)} scheduled events, "
        f"{len(study.populations)} populations, {len(study.endpoints)} endpoints, "
        f"{len(study.flow)} flow stages"
    )


@study_app.command("check")
def check(folder: FolderArgument) -> None:
    """Validate a study folder; list every error with its file and key (exit 2 on errors)."""
    from cairo6.cli.common import console

    study = _read(folder)
    console.print(f"[green]{folder}: valid[/] — {_summary(study)}", highlight=False)


@study_app.command("show")
def show(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Study folder (default: the bundled CAIRO6 study).", file_okay=False),
    ] = None,
) -> None:
    """Print the forms, their items and the code lists of a study."""
    from rich.markup import escape
    from rich.table import Table

    from cairo6.cli.common import console
    from cairo6.study import bundled_study_folder

    study = _read(folder or bundled_study_folder())
    console.print(f"[bold]{escape(study.id)}[/] — {escape(study.manifest.title)}")
    forms = Table(title="Forms", title_justify="left")
    for col in ("form", "label", "repeating", "groups", "items", "date item", "requires"):
        forms.add_column(col)
    for form in study.forms:
        forms.add_row(
            form.id,
            escape(form.label),
            "yes" if form.repeating else "no",
            str(len(form.groups)),
            str(len(form.items())),
            form.date_item or "",
            ", ".join(form.requires),
        )
    console.print(forms)
    items = Table(title="Items", title_justify="left")
    for col in ("form", "item", "label", "type", "unit / range", "required", "shown when"):
        items.add_column(col)
    for form in study.forms:
        for item in form.items():
            kind = item.type.value + (f" ({item.codelist})" if item.codelist else "")
            kind += f" = {item.derived.function}()" if item.derived else ""
            bounds = " - ".join("" if b is None else f"{b:g}" for b in (item.min, item.max))
            bounds = bounds if item.min is not None or item.max is not None else ""
            unit = " ".join(x for x in (bounds, item.unit or "") if x)
            shown = item.visible_when.describe() if item.visible_when else ""
            items.add_row(
                form.id,
                item.id,
                escape(item.label),
                kind,
                escape(unit),
                "yes" if item.required else "",
                escape(shown),
            )
    console.print(items)
    codes = Table(title="Code lists", title_justify="left")
    for col in ("code list", "codes (stored = shown)"):
        codes.add_column(col)
    for codelist in study.codelists:
        codes.add_row(
            codelist.id, escape("; ".join(f"{c.value} = {c.label}" for c in codelist.codes))
        )
    console.print(codes)


def _finish(result: ImportResult, out: Path, study_id: str, title: str, force: bool) -> None:
    """Write the folder, print what did not map, and check the folder loads."""
    from rich.markup import escape
    from rich.table import Table

    from cairo6.cli.common import console, fail
    from cairo6.errors import Cairo6Error
    from cairo6.study.writer import REPORT, write_study_folder

    try:
        written, result = write_study_folder(out, result, study_id, title, force)
    except Cairo6Error as exc:
        raise fail(exc) from exc
    if result.unmapped:
        table = Table(
            title=f"Not mapped ({len(result.unmapped)}; also in {out / REPORT})",
            title_justify="left",
        )
        for col in ("where", "what", "source", "why / what to do"):
            table.add_column(col, overflow="fold")
        for entry in result.unmapped:
            table.add_row(*(escape(x) for x in (entry.where, entry.what, entry.detail, entry.why)))
        console.print(table)
    console.print(f"wrote {', '.join(written)} in {out}", highlight=False)
    study = _read(out)
    console.print(f"[green]{out}: valid[/] — {_summary(study)}", highlight=False)
    if "protocol.toml" in written:
        console.print(
            "[yellow]protocol.toml is a PLACEHOLDER (two arms, consent only)[/]: the source "
            "defines forms, not arms or eligibility; write the real protocol before the trial "
            "starts."
        )


def _study_id(given: str | None, found: str | None, file: Path) -> str:
    raw = given or found or file.stem
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-_") or "STUDY"
    return cleaned.upper() if given is None else cleaned


def _read_bytes(file: Path) -> bytes:
    from cairo6.cli.common import fail
    from cairo6.errors import InvalidValueError

    try:
        return file.read_bytes()
    except OSError as exc:
        raise fail(
            InvalidValueError(str(file), exc.strerror, "a readable file", "check the path")
        ) from exc


def _csv_text(data: bytes, file: Path) -> str:
    """UTF-8, or Windows-1252 with a warning: a dictionary edited in Excel is often saved so."""
    from cairo6.cli.common import err_console

    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        err_console.print(f"warning: {file} is not UTF-8; read as Windows-1252", markup=False)
        return data.decode("cp1252", errors="replace")


def _import(
    kind: str, file: Path, out: Path, study_id: str | None, title: str | None, force: bool
) -> None:
    """Read the file with the importer of its kind, then write and check the study folder."""
    from cairo6.cli.common import fail
    from cairo6.errors import Cairo6Error
    from cairo6.study.odm import read_odm_metadata
    from cairo6.study.redcap import read_dictionary

    data = _read_bytes(file)
    try:
        if kind == "ODM":
            # Bytes: the XML declaration names the encoding.
            result = read_odm_metadata(data, f"ODM 1.3 metadata {file.name}")
        else:
            result = read_dictionary(_csv_text(data, file), f"REDCap data dictionary {file.name}")
    except Cairo6Error as exc:
        raise fail(exc) from exc
    chosen = _study_id(study_id, result.study_id, file)
    _finish(result, out, chosen, title or result.title or f"{chosen} (from {kind})", force)


@study_app.command("import-redcap")
def import_redcap(
    dictionary: Annotated[
        Path, typer.Argument(help="REDCap data dictionary (CSV).", exists=True, dir_okay=False)
    ],
    out: OutOption,
    study_id: IdOption = None,
    title: TitleOption = None,
    force: ForceOption = False,
) -> None:
    """Turn a REDCap data dictionary into forms.toml (+ a study folder); list what did not map."""
    _import("REDCap", dictionary, out, study_id, title, force)


@study_app.command("import-odm")
def import_odm(
    metadata: Annotated[
        Path,
        typer.Argument(help="CDISC ODM 1.3 XML with study metadata.", exists=True, dir_okay=False),
    ],
    out: OutOption,
    study_id: IdOption = None,
    title: TitleOption = None,
    force: ForceOption = False,
) -> None:
    """Turn ODM 1.3 study metadata (OpenClinica, Castor) into forms.toml; list what did not map."""
    _import("ODM", metadata, out, study_id, title, force)


# --- protocol amendments: versions of the definition a trial database runs under ----------------

# As in cli.common, whose import (the services) this module leaves to the commands.
_Db = Annotated[
    str | None,
    typer.Option("--db", "--database-url", help="SQLite file or postgresql:// URL of the trial."),
]
_User = Annotated[str | None, typer.Option("--user", "-u", help="Acting user.")]


@study_app.command("amend")
def amend(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder of the amended definition files (*.toml); they replace the files of "
            "the same name, the others are carried over.",
            file_okay=False,
        ),
    ],
    effective: Annotated[
        str, typer.Option("--effective", help="Date the amendment takes effect (YYYY-MM-DD).")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. the approval).")],
    check_only: Annotated[
        bool, typer.Option("--check", help="Check and show the changes; record nothing.")
    ] = False,
    db: _Db = None,
    user: _User = None,
) -> None:
    """Record a protocol amendment as the next version of the trial's study definition.

    The new version is checked against the data already collected: a form, item, code or
    eligibility field that holds data must be kept (mark it `retired = true`), an arm with
    allocations kept, the randomisation method and the levels counted so far kept. From the
    effective date on, new records, their checks and windows, and new allocations follow it;
    records keep the version they were entered under. Exit 2 when refused (nothing recorded).
    """
    from cairo6.cli.common import console, open_trial_and_actor, parse_date
    from cairo6.errors import AmendmentError
    from cairo6.service import amendments

    on = parse_date("--effective", effective)
    files = amendments.read_amendment_folder(folder)
    trial, actor = open_trial_and_actor(db, user, write=not check_only)
    proposal = amendments.check_amendment(trial, actor, files, on, reason)
    console.print(
        f"version {proposal.number}, effective {on.isoformat()}; files changed: "
        + (", ".join(proposal.changed_files) or "none"),
        markup=False,
        highlight=False,
    )
    for change in proposal.review.changes:
        console.print(f"  {change}", markup=False, highlight=False)
    if not proposal.review.ok:
        raise AmendmentError(trial.protocol.trial.id, proposal.review.problems)
    if check_only:
        console.print("checked: the amendment may be recorded (nothing recorded: --check)")
        return
    recorded = amendments.amend(trial, actor, files, on, reason)
    console.print(
        f"[green]recorded[/] version {recorded.number} (SHA-256 {recorded.sha256[:12]}…), "
        f"effective {recorded.effective_on.isoformat()}, by {actor.username}",
        highlight=False,
    )


@study_app.command("versions")
def versions(
    db: _Db = None,
    user: _User = None,
) -> None:
    """List the versions of the trial's study definition: number, effective date, reason,
    who recorded it and when, SHA-256; the one in force today is marked."""
    from cairo6.cli.common import console, open_trial_and_actor
    from cairo6.service import amendments

    trial, actor = open_trial_and_actor(db, user)
    # One line per version and its reason below: readable at any terminal width.
    for v in amendments.versions(trial, actor):
        console.print(
            f"version {v.number}{' (in force)' if v.in_force else ''}: effective "
            f"{v.effective_on.isoformat()}, recorded by {v.created_by} at "
            f"{v.created_at[:16].replace('T', ' ')} UTC, SHA-256 {v.sha256}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"  reason: {v.reason}", markup=False, highlight=False)
