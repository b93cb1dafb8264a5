"""Importing a directory of exchange CSV files: check every row, then apply all or nothing.

Every row is first checked on its own (types, codes, required items), outside the writer lock.
Then, inside one audited transaction, the rows are applied in file order with every check a
user's entry gets. The bulk of a directory, the screening log and the study forms, is checked
in memory exactly as `enrolment.add_screening_in` and `records.record_in` check a row
(`import_screening`, `import_forms`) and written in bulk with its audit records
(`import_write`); centres, eligibility and randomisation rows, and any form row that would be
refused or opens a query, go through the service functions themselves, each in a savepoint, so
that a refused row does not stop the others from being checked and its error is the one the
service raises. A form row refused because a record of a later file is not there yet (a
post-operative cycle before the operation) is tried again once every file has been applied. If
anything at all was refused, the transaction is rolled back and the full list of problems is
raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from cairo6.errors import (
    Cairo6Error,
    FieldProblem,
    FormError,
    InvalidValueError,
    NotFoundError,
    StateError,
)
from cairo6.service.dictionary import (
    ENROLMENT_FILES,
    DictionaryEntry,
    exchange_variables,
    file_order,
)
from cairo6.service.enrolment import (
    add_screening_in,
    assess_eligibility_in,
    import_allocation_in,
)
from cairo6.service.exchange_csv import CsvRow, ImportProblem, cell_value, problem, read_file
from cairo6.service.exchange_tables import parse_cell
from cairo6.service.import_forms import FormBatch
from cairo6.service.import_screening import ScreeningBatch, date_memo, prepare
from cairo6.service.permissions import Action, require
from cairo6.service.records import RECORD_ACTION, record_in
from cairo6.service.trial import Trial, participant
from cairo6.service.trial_lock import ensure_unlocked
from cairo6.service.validation import clean_form
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Centre, Screening
from cairo6.study.study import Study
from cairo6.study.validate import validate_record

Progress = Callable[[int, int], None]
"""Called as progress(rows_done, rows_total) while rows are applied."""

MAX_SHOWN = 20
PROGRESS_EVERY = 100
"""Rows between two calls of `progress` (a call per row would cost more than the row)."""

# The column to blame for an error about the order of events, which names no field itself
# (a study form's row blames its date item).
_STATE_FIELD = {
    "centre": "code",
    "screening": "screening_number",
    "eligibility": "screening_number",
    "randomisation": "screening_number",
}
# The column naming a record that was not found, by the record's kind.
_NOT_FOUND_FIELD = {
    "centre": "centre",
    "screening entry": "screening_number",
    "participant": "study_number",
}


class ImportRejectedError(Cairo6Error):
    """An import refused whole: nothing was written; `problems` lists every problem found."""

    def __init__(self, directory: str, problems: Sequence[ImportProblem]) -> None:
        self.directory = directory
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:MAX_SHOWN])
        more = len(self.problems) - MAX_SHOWN
        if more > 0:
            lines += f"\n  ... and {more} more"
        super().__init__(
            f"import of {directory} refused; nothing was written. "
            f"{len(self.problems)} problem(s):\n{lines}\n"
            "What to do: correct each row listed and import the whole directory again."
        )


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote: rows per form, in import order."""

    directory: Path
    rows: dict[str, int]

    @property
    def total(self) -> int:
        """All rows imported."""
        return sum(self.rows.values())


# --- checking each row on its own ------------------------------------------------------------


def _clean(form: str, table: Any, data: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    try:
        return clean_form(form, table, data), []
    except FormError as exc:
        return {}, exc.problems


def _typed(
    entries: Sequence[DictionaryEntry], raw: Mapping[str, str]
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Cells checked against the dictionary: type, required, range and allowed codes."""
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for entry in entries:
        text = raw.get(entry.variable, "")
        try:
            value = parse_cell(entry, text)
        except ValueError:
            problems.append(FieldProblem(entry.variable, text, f"not {entry.allowed}"))
            continue
        if value is None:
            if entry.required:
                problems.append(
                    FieldProblem(entry.variable, text, f"required; enter {entry.allowed}")
                )
            values[entry.variable] = None
            continue
        lo, hi = entry.minimum, entry.maximum
        if entry.type in ("integer", "float") and (
            (lo is not None and value < lo) or (hi is not None and value > hi)
        ):
            problems.append(FieldProblem(entry.variable, text, f"not {entry.allowed}"))
            continue
        values[entry.variable] = value
    return values, problems


def _check_codes(
    entries: Sequence[DictionaryEntry], values: Mapping[str, Any]
) -> list[FieldProblem]:
    return [
        FieldProblem(e.variable, values[e.variable], f"not {e.allowed}")
        for e in entries
        if e.codes and values.get(e.variable) is not None and values[e.variable] not in e.codes
    ]


def _check_row(
    row: CsvRow, entries: list[DictionaryEntry], study: Study | None
) -> list[FieldProblem]:
    """Fill `row.values` with typed values; return every problem found in the row."""
    raw, form = row.raw, row.form
    problems: list[FieldProblem] = []
    if form == "centre":
        row.values, problems = _clean(form, Centre, raw)
        code = row.key("code").upper()
        if code and (not code.replace("-", "").isalnum() or len(code) > 16):
            problems.append(FieldProblem("code", raw["code"], "not 1-16 letters, digits or '-'"))
        if not problems:
            row.values["code"] = code
    elif form == "screening":
        row.values, problems = _clean(
            form, Screening, {k: v for k, v in raw.items() if k != "centre"}
        )
        if not row.key("centre"):
            problems.append(FieldProblem("centre", "", "required; enter a centre code"))
        row.values["centre"] = row.key("centre").upper()
    elif form in ("eligibility", "randomisation"):
        row.values, problems = _typed(entries, raw)
        problems += _check_codes(entries, row.values)
        at = row.values.get("allocated_at")
        if form == "randomisation" and at:
            try:
                dt.datetime.fromisoformat(at)
            except ValueError:
                allowed = next(e.allowed for e in entries if e.variable == "allocated_at")
                problems.append(FieldProblem("allocated_at", at, f"not {allowed}"))
    else:
        # What the row says on its own (types, codes, required items, the scoring library's
        # validators) is checked here, so a row is reported even when a record it depends on
        # was refused; the checks against the participant's other records run when it is saved.
        row.values = {k: cell_value(v) for k, v in raw.items() if k != "study_number" and v.strip()}
        if study is not None:
            problems += validate_record(
                study, study.form(form), row.values, {}, checks=False
            ).problems
        if not row.key("study_number"):
            problems.append(FieldProblem("study_number", "", "required; enter a study number"))
    return problems


# --- applying --------------------------------------------------------------------------------


def _apply_centre(session: StoreSession, values: Mapping[str, Any]) -> None:
    code = values["code"]
    existing = session.scalars(select(Centre).where(Centre.code == code)).first()
    if existing is None:
        session.add(Centre(**values))
        session.flush()
        return
    # A centre the administrator already set up is accepted when the row agrees with it.
    if (existing.name, existing.started_recruiting) != (
        values["name"],
        values["started_recruiting"],
    ):
        raise StateError(
            f"centre {code} already exists as {existing.name!r}, started "
            f"{existing.started_recruiting or 'not recorded'}",
            "make the row match the centre in the database, or leave it out",
        )


def _apply(session: StoreSession, trial: Trial, actor: Actor, row: CsvRow) -> None:
    v = row.values
    if row.form == "centre":
        _apply_centre(session, v)
    elif row.form == "screening":
        data = {k: x for k, x in v.items() if k not in ("centre", "screening_number")}
        add_screening_in(
            session, actor, v["centre"], data, number=v["screening_number"], trial=trial
        )
    elif row.form == "eligibility":
        fields = {
            k: x
            for k, x in v.items()
            if k not in ("screening_number", "assessed_on") and x is not None
        }
        assess_eligibility_in(
            session, trial, actor, v["screening_number"], fields, v["assessed_on"]
        )
    elif row.form == "randomisation":
        import_allocation_in(
            session,
            trial,
            actor,
            v["screening_number"],
            v["enrolled_on"],
            v["arm"],
            v["allocated_at"],
            deviation=v["deviation"],
            study_number=v["study_number"],
        )
    else:
        study = trial.definition()
        form = study.form(row.form)
        person = participant(
            session, actor, row.key("study_number"), RECORD_ACTION[form.recorded_by]
        )
        record_in(session, study, person, form, v, dt.date.today())


def _refusal(trial: Trial, row: CsvRow, exc: Exception) -> list[ImportProblem]:
    """The problems an error raised while applying a row stands for."""
    form, number = row.form, row.number
    if isinstance(exc, FormError):
        # The value as the file has it, not as it was read.
        return [
            problem(form, number, p.field, row.raw.get(p.field, p.value), p.message)
            for p in exc.problems
        ]
    if isinstance(exc, InvalidValueError):
        name = exc.field.removeprefix(f"{form}.")
        return [
            problem(
                form, number, name, exc.value, f"allowed: {exc.allowed}. What to do: {exc.action}"
            )
        ]
    if isinstance(exc, NotFoundError):
        name = _NOT_FOUND_FIELD.get(exc.what, "study_number")
        return [problem(form, number, name, exc.key, str(exc))]
    dated = trial.study.form(form).date_item if trial.study and trial.study.has_form(form) else None
    name = _STATE_FIELD.get(form) or dated or "study_number"
    if form == "randomisation" and "study number" in str(exc):
        name = "study_number"
    if isinstance(exc, SQLAlchemyError):
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        reason = (
            f"the database refused the row ({detail}). What to do: remove the duplicate "
            "or conflicting row"
        )
        return [problem(form, number, name, row.raw.get(name, ""), reason)]
    return [problem(form, number, name, row.raw.get(name, ""), str(exc))]


def _provides(row: CsvRow) -> set[tuple[str, str]]:
    """The records a row creates (or spoils, when it is refused)."""
    form = row.form
    if form == "centre":
        return {("centre", row.key("code").upper())}
    if form in ("screening", "eligibility"):
        # A refused assessment would also make the allocation look ineligible.
        return {("screening", row.key("screening_number"))}
    if form == "randomisation":
        return {("study", row.key("study_number"))}
    return {("form", f"{row.key('study_number')}/{form}")}


def _needs(study: Study | None, row: CsvRow) -> set[tuple[str, str]]:
    form = row.form
    if form == "screening":
        return {("centre", row.key("centre").upper())}
    if form in ("eligibility", "randomisation"):
        return {("screening", row.key("screening_number"))}
    if form == "centre":
        return set()
    # When the record a row needs first was refused, the row is not checked again: it
    # would only repeat the same problem. A form needs the forms it requires and those its
    # edit checks read (a post-operative cycle is checked against the operation).
    number = row.key("study_number")
    if study is None:  # no study definition, no form files (`file_order`)
        return {("study", number)}
    needed = set(study.form(form).requires) | _read_by_checks(study, form)
    return {("study", number)} | {("form", f"{number}/{need}") for need in needed}


def _read_by_checks(study: Study, form: str) -> set[str]:
    """The other forms the edit checks of a form read (`exists` or `form.item`)."""
    found: set[str] = set()
    for check in study.checks_for(form):
        found |= check.rule.forms_named()
        for leaf in check.rule.comparisons():
            for name in (leaf.field, leaf.other):
                if name and "." in name and not name.startswith("@"):
                    found.add(name.partition(".")[0])
    return found - {form}


def _files(
    directory: Path, order: tuple[str, ...], problems: list[ImportProblem]
) -> dict[str, Path]:
    expected = ", ".join(f"{form}.csv" for form in order)
    present: dict[str, Path] = {}
    for item in sorted(directory.iterdir()):
        if item.name.startswith("."):
            continue  # hidden files that file managers and editors leave behind
        if item.is_file() and item.suffix.lower() in (".md", ".txt"):
            continue  # documentation travelling with the data (a README) holds no rows
        if item.is_file() and item.suffix == ".csv" and item.stem in order:
            present[item.stem] = item
        else:
            problems.append(
                ImportProblem(item.name, 0, "", None, f"unknown file; expected only {expected}")
            )
    if not present and not problems:
        problems.append(
            ImportProblem(str(directory), 0, "", None, f"no exchange files; expected {expected}")
        )
    return present


def import_directory(
    trial: Trial, actor: Actor, path: Path, progress: Progress | None = None
) -> ImportSummary:
    """Import a directory of exchange CSV files in one transaction; all rows or none.

    Raises `ImportRejectedError` listing every problem (file, row, field, value, reason) when
    any row, column or file is refused; the database is then left exactly as it was.
    """
    require(actor, Action.IMPORT)
    ensure_unlocked(trial.db)
    directory = Path(path)
    if not directory.is_dir():
        raise InvalidValueError(
            "directory",
            str(path),
            "a directory of exchange CSV files",
            "name the directory written by `cairo6 export` or laid out as docs/data-format.md",
        )
    order = file_order(trial.study)
    problems: list[ImportProblem] = []
    present = _files(directory, order, problems)
    if "randomisation" in present:
        require(actor, Action.IMPORT_HISTORY)
    variables = exchange_variables(trial.protocol, trial.study)
    rows: dict[str, list[CsvRow]] = {}
    study = trial.study  # looked up once: the version in force is the same for every row
    for form, file in sorted(present.items(), key=lambda item: order.index(item[0])):
        rows[form] = read_file(form, file, variables[form], problems)
        missing = {p.field for p in problems if p.file == file.name and p.row_number == 1}
        for row in rows[form]:
            if not row.valid:
                continue
            found = _check_row(row, variables[form], study)
            row.valid = not found
            problems += [
                problem(form, row.number, p.field, p.value, p.message)
                for p in found
                # A missing required column is reported once, at the header.
                if p.field not in missing
            ]
    ordered = [row for form in order for row in rows.get(form, [])]
    counts = dict.fromkeys(present, 0)
    spoilt: set[tuple[str, str]] = set()
    done = 0
    reason = f"imported from {directory}"
    with trial.db.read() as session:
        # What a screening row says on its own is checked before the writer lock is taken,
        # against the protocol in force today, looked up once rather than once per row.
        today = Trial(trial.db, trial.protocol)
        memo = date_memo(today)
        prepared = {
            row.number: prepare(today, session, row, memo)
            for row in rows.get("screening", [])
            if row.valid
        }
    screening = ScreeningBatch(actor, reason, prepared)

    forms = FormBatch(study, actor, reason, dt.date.today()) if study is not None else None

    def refuse(row: CsvRow, exc: Exception, last: bool, again: list[CsvRow]) -> None:
        """A refused row: its problems, or, for a form row on the first pass, a retry."""
        nonlocal spoilt, problems
        if not last and row.form not in ENROLMENT_FILES:
            again.append(row)
        else:
            problems += _refusal(trial, row, exc)
            spoilt |= _provides(row)

    def apply_one(session: StoreSession, row: CsvRow, last: bool, again: list[CsvRow]) -> bool:
        """Apply one row through the services, in a savepoint; whether it was saved."""
        try:
            with session.begin_nested():
                _apply(session, trial, actor, row)
        except (Cairo6Error, SQLAlchemyError) as exc:
            refuse(row, exc, last, again)
            return False
        counts[row.form] += 1
        return True

    def write(
        session: StoreSession,
        batch: ScreeningBatch | FormBatch | None,
        last: bool,
        again: list[CsvRow],
    ) -> None:
        """Write the rows a batch kept, in bulk; should the database refuse them, apply them one
        by one instead, so that each refused row is named as before."""
        if batch is None or not batch.pending:
            return
        try:
            with session.begin_nested():
                for row in batch.flush(session):
                    counts[row.form] += 1
        except SQLAlchemyError:
            for row in batch.forget():
                apply_one(session, row, last, again)

    def attempt(session: StoreSession, row: CsvRow, last: bool, again: list[CsvRow]) -> None:
        """Check a screening or study-form row and keep it for the bulk write, or apply it
        through the services (a centre, eligibility or randomisation row; a form row that is
        refused or opens a query); a refusal becomes problems, or a retry."""
        batch: ScreeningBatch | FormBatch | None = screening if row.form == "screening" else None
        if forms is not None and row.form not in ENROLMENT_FILES and row.form != "centre":
            batch = forms
        try:
            if batch is not None and batch.add(session, row):
                return
        except (Cairo6Error, SQLAlchemyError) as exc:
            refuse(row, exc, last, again)
            return
        write(session, forms, last, again)  # the record service reads what was kept
        if apply_one(session, row, last, again) and forms is not None and batch is forms:
            forms.saved(session, row)

    def apply(session: StoreSession, batch: list[CsvRow], last: bool) -> list[CsvRow]:
        """Apply rows in order; return the form rows to try again (unless this is the last try)."""
        nonlocal done, spoilt
        again: list[CsvRow] = []
        for row in batch:
            if row.form != "screening":
                write(session, screening, last, again)  # later files read the screening log
            tried = len(again)
            if not row.valid or _needs(study, row) & spoilt:
                # What a refused or skipped row would have created is missing for later rows.
                spoilt |= _provides(row)
            else:
                attempt(session, row, last, again)
            if last or len(again) == tried:
                done += 1
                if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(ordered)):
                    progress(done, len(ordered))
        write(session, screening, last, again)
        write(session, forms, last, again)
        return again

    with trial.db.write(actor, insert_reason=reason) as session:
        # Form rows refused on the first pass are tried again once every file is applied.
        apply(session, apply(session, ordered, last=False), last=True)
        if problems:
            rank = {f"{form}.csv": i for i, form in enumerate(order)}
            problems.sort(key=lambda p: (rank.get(p.file, -1), p.row_number))
            # Raised inside the transaction, so that everything applied is rolled back.
            raise ImportRejectedError(str(directory), problems)
    return ImportSummary(directory, {form: counts[form] for form in order if form in counts})
