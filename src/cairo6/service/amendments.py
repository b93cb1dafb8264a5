"""Protocol amendments: a new version of the study definition, checked against the data already
collected and recorded with who, when and why.

The amended files replace those of the version in force last; a file the amendment does not
give is carried over. The new version must load (every problem of every file reported), take
effect after the last version does, change something, and keep everything that holds data
(`study.amendment.review`). It is recorded in one audited transaction, under the write lock,
after the same checks are made again there. From its effective date on, new records, their
checks and windows and new allocations follow it; records keep the version they were entered
under.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from cairo6.errors import AmendmentError, InvalidValueError, StateError
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.service.versions import VersionBook
from cairo6.store.audit import Actor, now_iso
from cairo6.store.engine import StoreSession
from cairo6.store.schema import EligibilityAssessment, FormRecord, Randomisation, StudyVersion
from cairo6.store.versions import files_sha256, has_versions, version_files
from cairo6.study import Study, study_from_texts
from cairo6.study.amendment import AmendmentReview, DataInUse, review
from cairo6.study.models import DataType


@dataclass(frozen=True)
class VersionView:
    """One version of the study definition, as the versions page and CLI list it."""

    number: int
    effective_on: dt.date
    reason: str
    created_by: str
    created_at: str
    sha256: str
    files: tuple[str, ...]
    in_force: bool
    changed: tuple[str, ...] = ()
    """The files that differ from the version before (every file for version 1)."""


@dataclass(frozen=True)
class Proposal:
    """An amendment as it would be recorded: its number, files, what it changes and what it
    may not."""

    number: int
    effective_on: dt.date
    reason: str
    files: dict[str, str]
    sha256: str
    changed_files: tuple[str, ...]
    review: AmendmentReview


def versions(trial: Trial, actor: Actor, today: dt.date | None = None) -> list[VersionView]:
    """Every version of the study definition, oldest first, marking the one in force."""
    require(actor, Action.AMEND_PROTOCOL)
    book = _book(trial)
    day = today or dt.date.today()
    with trial.db.read() as session:
        in_force = book.number_on(day, session)
        rows = session.scalars(select(StudyVersion).order_by(StudyVersion.number)).all()
        before: dict[str, str] = {}
        out = []
        for row in rows:
            changed = tuple(sorted(n for n in row.files if before.get(n) != row.files[n]))
            out.append(_view(row, row.number == in_force, changed))
            before = row.files
        return out


def _view(row: StudyVersion, in_force: bool, changed: tuple[str, ...] = ()) -> VersionView:
    return VersionView(
        number=row.number,
        effective_on=row.effective_on,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        sha256=row.sha256,
        files=tuple(sorted(row.files)),
        in_force=in_force,
        changed=changed,
    )


def check_amendment(
    trial: Trial, actor: Actor, files: Mapping[str, str], effective_on: dt.date, reason: str
) -> Proposal:
    """What recording this amendment would do, without recording it: raises for a definition
    that does not load, a date or reason refused; lists the data problems in `review`."""
    require(actor, Action.AMEND_PROTOCOL)
    with trial.db.read() as session:
        return _propose(session, trial, files, effective_on, reason)


def amend(
    trial: Trial, actor: Actor, files: Mapping[str, str], effective_on: dt.date, reason: str
) -> VersionView:
    """Record the amendment as the next version of the study definition (one transaction with
    its audit record), or refuse it with every problem named, recording nothing."""
    require(actor, Action.AMEND_PROTOCOL)
    reason = _reason(reason)
    with trial.db.write(actor, insert_reason=reason) as session:
        proposal = _propose(session, trial, files, effective_on, reason)
        if not proposal.review.ok:
            raise AmendmentError(trial.protocol.trial.id, proposal.review.problems)
        row = StudyVersion(
            number=proposal.number,
            files=proposal.files,
            sha256=proposal.sha256,
            effective_on=proposal.effective_on,
            reason=reason,
            created_by=actor.username,
            created_at=now_iso(),
        )
        session.add(row)
        session.flush()
    _book(trial).forget()
    return _view(row, row.effective_on <= dt.date.today())


def _book(trial: Trial) -> VersionBook:
    if trial.versions is None:
        raise StateError(
            "this database was created from a protocol file alone, without a study definition, "
            "so it has no versions to amend",
            "create the trial with `cairo6 db init --study DIR`",
        )
    return trial.versions


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidValueError(
            "reason", reason, "the reason for the amendment", "say why (e.g. the approval)"
        )
    return text


def _propose(
    session: StoreSession,
    trial: Trial,
    given: Mapping[str, str],
    effective_on: dt.date,
    reason: str,
) -> Proposal:
    reason = _reason(reason)
    book = _book(trial)
    conn = session.connection()
    if not has_versions(conn):
        raise StateError(
            "this database keeps no versions of its study definition yet",
            "bring it up to date with `cairo6 db upgrade` first",
        )
    rows = book.rows(session)
    latest = rows[-1]
    # The same day as the last version is allowed: on a day, the highest-numbered version
    # effective on or before it is in force.
    if effective_on < latest.effective_on:
        raise InvalidValueError(
            "effective",
            effective_on.isoformat(),
            f"a date on or after {latest.effective_on.isoformat()}, when version "
            f"{latest.number} took effect",
            "give the date the amendment takes effect (its approval)",
        )
    if not given:
        raise InvalidValueError(
            "files", "(none)", "the amended files of the definition (*.toml)", "give them"
        )
    current = version_files(conn, latest.number) or {}
    files = {**current, **given}
    new = study_from_texts(files, "the amended study definition")
    sha = files_sha256(files)
    if sha == latest.sha256:
        raise StateError(
            f"the amended definition is the same as version {latest.number}",
            "change the files before recording an amendment",
        )
    old = book.of(latest.number, session)
    changed = tuple(sorted(n for n in files if current.get(n) != files[n]))
    return Proposal(
        number=latest.number + 1,
        effective_on=effective_on,
        reason=reason,
        files=files,
        sha256=sha,
        changed_files=changed,
        review=review(old, new, data_in_use(session, old)),
    )


def data_in_use(session: StoreSession, study: Study) -> DataInUse:
    """What the trial's data hold, by form, item, code, field, arm and factor level (every
    record of every version: a definition may not drop what any of them holds)."""
    records: dict[str, int] = defaultdict(int)
    items: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    codes: dict[tuple[str, str], set[str]] = defaultdict(set)
    coded = {
        (form.id, item.id)
        for form in study.forms
        for item in form.items()
        if item.type is DataType.CODED
    }
    for form_id, data in session.execute(select(FormRecord.form, FormRecord.data)):
        records[form_id] += 1
        for key, value in (data or {}).items():
            if value in (None, "", [], {}):
                continue
            items[form_id][key] += 1
            if (form_id, key) in coded:
                codes[(form_id, key)].update(
                    str(v) for v in (value if isinstance(value, list) else [value])
                )
    fields: dict[str, set[str]] = defaultdict(set)
    for (data,) in session.execute(select(EligibilityAssessment.data)):
        for key, value in (data or {}).items():
            if value is not None:
                fields[key].add(str(value))
    arms = dict(
        session.execute(select(Randomisation.arm, func.count()).group_by(Randomisation.arm)).all()
    )
    levels: dict[str, set[str]] = defaultdict(set)
    for (allocated,) in session.execute(select(Randomisation.levels)):
        for factor, level in (allocated or {}).items():
            levels[factor].add(str(level))
    return DataInUse(
        records=dict(records),
        items={k: dict(v) for k, v in items.items()},
        codes={k: frozenset(v) for k, v in codes.items()},
        fields={k: frozenset(v) for k, v in fields.items()},
        arms={str(k): int(v) for k, v in arms.items()},
        factor_levels={k: frozenset(v) for k, v in levels.items()},
    )


def read_amendment_folder(folder: str | Path) -> dict[str, str]:
    """The amended files of a folder (its *.toml), by name; a clear error for a folder that
    holds none."""
    path = Path(folder)
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.toml"))}
    if not files:
        raise InvalidValueError(
            "DIR",
            str(folder),
            "a folder holding the amended *.toml files of the study definition",
            "check the path",
        )
    return files


def shipped_amendments(study_id: str) -> dict[str, Path]:
    """The amendments a bundled study ships for its trials (`amendments/NAME/*.toml` in its
    folder), by name: what an administrator may apply without uploading files."""
    from cairo6.study.loader import bundled_studies, bundled_study_folder

    found: dict[str, Path] = {}
    for name in bundled_studies():
        folder = bundled_study_folder(name)
        if _manifest_id(folder) != study_id:
            continue
        for sub in sorted((folder / "amendments").glob("*")):
            if sub.is_dir() and any(sub.glob("*.toml")):
                found[f"{name}/{sub.name}"] = sub
    return found


def _manifest_id(folder: Path) -> str:
    import tomllib

    return str(tomllib.loads((folder / "study.toml").read_text(encoding="utf-8")).get("id", ""))
