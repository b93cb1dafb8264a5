"""One hierarchy of errors for the whole system.

Every message names the field, the value that was given, what is allowed and what to do, so
that a research nurse reading it at a site can correct the entry without asking anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class Cairo6Error(Exception):
    """Base class of every error this package raises on purpose."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class InvalidValueError(Cairo6Error, ValueError):
    """A single value is outside what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str, action: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.action = action or f"correct {field} and try again"
        super().__init__(
            f"{field}: {_show(value)} is not allowed; allowed: {allowed}. "
            f"What to do: {self.action}."
        )


class ScoringError(InvalidValueError):
    """Invalid input to a clinical score (PCI, CC, Clavien-Dindo, CTCAE, RECIST, TRG, PRGS)."""


class ScheduleError(InvalidValueError):
    """Invalid input to the treatment calendar (dates, regimen, cycles)."""


class RandomizationError(InvalidValueError):
    """The allocation cannot be made with the values given."""


@dataclass(frozen=True)
class ProtocolIssue:
    """One problem found in a protocol file, located by its TOML key path."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ProtocolError(Cairo6Error):
    """A protocol file is malformed; carries every problem found, not just the first."""

    def __init__(self, source: str, issues: Sequence[ProtocolIssue]) -> None:
        self.source = source
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(
            f"protocol {source} has {len(self.issues)} error(s):\n{lines}\n"
            "What to do: fix each key listed and run `cairo6 protocol check` again."
        )


@dataclass(frozen=True)
class StudyIssue:
    """One problem in a study definition: the file, the key inside it, and what is wrong."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class StudyError(Cairo6Error):
    """A study definition is malformed; carries every problem found in every file."""

    def __init__(self, source: str, issues: Sequence[StudyIssue]) -> None:
        self.source = source
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(
            f"study {source} has {len(self.issues)} error(s):\n{lines}\n"
            "What to do: fix each key listed and run `cairo6 study check` again."
        )


class PermissionDeniedError(Cairo6Error):
    """The user's role, or centre, does not allow the action."""

    def __init__(self, username: str, role: str, action: str, why: str, allowed: str) -> None:
        self.username = username
        self.role = role
        self.action = action
        super().__init__(
            f"{username} ({role}) may not {action.replace('_', ' ')}: {why}. "
            f"Allowed roles: {allowed}. What to do: ask the trial office for access."
        )


class NotFoundError(Cairo6Error):
    """A record that was named does not exist (or is not visible to this user)."""

    def __init__(self, what: str, key: str, action: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} {key!r} does not exist. What to do: {action}.")


class StateError(Cairo6Error):
    """The request does not fit the order of events (randomised twice, a visit before
    randomisation ...)."""

    def __init__(self, message: str, action: str) -> None:
        super().__init__(f"{message}. What to do: {action}.")


class BusyError(Cairo6Error):
    """Another change held the trial's write turn longer than the configured wait; nothing was
    changed and the same request can simply be sent again."""

    def __init__(self, waited_seconds: float) -> None:
        self.waited_seconds = waited_seconds
        super().__init__(
            f"busy, retry: the trial database is busy with another change (waited "
            f"{waited_seconds:g} s; nothing was saved). What to do: send the same request again "
            "in a few seconds; CAIRO6_WRITE_WAIT_SECONDS sets how long a change waits"
        )


class AuditError(Cairo6Error):
    """A change cannot be audited as the rules require (no actor, or no reason for a change)."""


@dataclass(frozen=True)
class FieldProblem:
    """One refused value in a form: which field, what was given, why."""

    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} (got {_show(self.value)})"


class FormError(InvalidValueError):
    """A whole form refused, with every problem found; nothing was saved."""

    def __init__(self, form: str, problems: Sequence[FieldProblem]) -> None:
        self.form = form
        self.problems = list(problems)
        first = self.problems[0]
        more = "; ".join(map(str, self.problems[1:]))
        super().__init__(
            f"{form}.{first.field}",
            first.value,
            first.message,
            "correct the fields listed and submit again" + (f" (also: {more})" if more else ""),
        )


# --- form lifecycle and database lock (P1) ---


class DatabaseLockedError(StateError):
    """The database is locked for the final analysis: nothing of the trial record can change."""

    def __init__(self, since: str, by: str) -> None:
        self.since = since
        self.by = by
        super().__init__(
            f"the database is locked (since {since}, by {by}): no record, enrolment, "
            "randomisation, query or import can be written, and nothing was saved",
            "ask the data manager to unlock it, with a reason (`cairo6 db unlock --reason ...`)",
        )


# --- P5 amendments ------------------------------------------------------------------------------


class AmendmentError(Cairo6Error):
    """A protocol amendment refused: every problem found against the data already collected
    (a form, item, code or field that holds data removed, an arm with allocations dropped ...).
    Nothing was recorded."""

    def __init__(self, study: str, issues: Sequence[StudyIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(
            f"the amendment of study {study} is refused; nothing was recorded. "
            f"{len(self.issues)} problem(s):\n{lines}\n"
            "What to do: keep what holds data (mark forms, items, codes and fields "
            "`retired = true` instead of removing them) and try again."
        )
