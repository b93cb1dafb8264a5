"""Which version of the study definition governs what: the versions a trial's database holds,
read once and then looked up by date or by number.

A process keeps the list of versions (numbers and effective dates, a few rows) for a second at
most before reading it again, so an amendment recorded by another process is followed within a
second; the definition of each version is parsed once per process. Writes that depend on the
version (a record's save, an allocation) pass their own session, which reads the list afresh
inside their transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from cairo6.errors import NotFoundError
from cairo6.store.engine import Database, StoreSession
from cairo6.store.versions import (
    FIRST,
    VersionRow,
    files_sha256,
    in_force,
    version_files,
    version_rows,
)
from cairo6.study import Study, study_from_texts

FRESH_FOR_S = 1.0
"""How long a process trusts its list of versions before reading it again."""


_PARSED: dict[str, Study] = {}
"""Definitions parsed in this process, by the SHA-256 of their files: the same definition read
by many trials (tests, web workers) is parsed once."""


def _parsed(
    sha256: str, files: dict[str, str], label: str = "study definition stored in the database"
) -> Study:
    found = _PARSED.get(sha256)
    if found is None:
        found = _PARSED[sha256] = study_from_texts(files, label)
    return found


def parsed_definition(files: dict[str, str], label: str) -> Study:
    """A definition's files parsed once per process (by their SHA-256): the definition bound to
    a database and its version 1 are usually the same files, parsed once when it is opened, not
    again by the first randomisation of each web worker or client."""
    return _parsed(files_sha256(files), files, label)


class VersionBook:
    """The versions of one trial's study definition, by date and by number."""

    def __init__(self, db: Database, first: Study) -> None:
        self._db = db
        self._first = first.as_version(FIRST)
        self._rows: list[VersionRow] = []
        self._studies: dict[int, Study] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._memo: tuple[list[VersionRow], dt.date, Study] | None = None

    def rows(self, session: StoreSession | None = None) -> list[VersionRow]:
        """Every version, oldest first; with `session`, read afresh inside its transaction."""
        if session is not None:
            rows = version_rows(session.connection(), table_known=bool(self._rows))
            self._keep(rows)
            return rows
        if time.monotonic() - self._read_at > FRESH_FOR_S:
            with self._db.engine.connect() as conn:
                self._keep(version_rows(conn, table_known=bool(self._rows)))
        return self._rows

    def _keep(self, rows: list[VersionRow]) -> None:
        with self._lock:
            self._rows = rows
            self._read_at = time.monotonic()

    def forget(self) -> None:
        """Read the list again at the next look-up (after this process recorded a version)."""
        self._read_at = float("-inf")

    def number_on(self, day: dt.date, session: StoreSession | None = None) -> int:
        """The number of the version in force on `day`."""
        return in_force(self.rows(session), day)

    def on(self, day: dt.date, session: StoreSession | None = None) -> Study:
        """The definition in force on `day`."""
        if session is None:
            rows = self.rows()
            # `trial.protocol` is read many times a request: the answer for this list and day.
            memo = self._memo
            if memo is not None and memo[0] is rows and memo[1] == day:
                return memo[2]
            study = self.of(in_force(rows, day))
            self._memo = (rows, day, study)
            return study
        return self.of(self.number_on(day, session), session)

    def of(self, number: int, session: StoreSession | None = None) -> Study:
        """The definition of version `number`."""
        found = self._studies.get(number)
        if found is not None:
            return found
        rows = {r.number: r for r in self.rows(session)}
        if number == FIRST and FIRST not in rows:
            return self._first  # a database without versions: the definition bound to it
        if number not in rows:
            raise NotFoundError(
                "study version", str(number), f"one of {', '.join(map(str, sorted(rows))) or '1'}"
            )
        if session is not None:
            files = version_files(session.connection(), number)
        else:
            with self._db.engine.connect() as conn:
                files = version_files(conn, number)
        study = _parsed(rows[number].sha256, files or {})
        study = study.as_version(number)
        self._studies[number] = study
        return study
