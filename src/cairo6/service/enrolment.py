"""Screening, eligibility, and enrolment by randomisation.

A participant exists only once randomised: enrolment and allocation are one transaction, which
also reads the minimisation counts and appends the audit record, under the trial's write lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, bindparam, func, select

from cairo6.errors import InvalidValueError, NotFoundError, StateError
from cairo6.protocol import Protocol
from cairo6.protocol.eligibility import assess, validate_record
from cairo6.randomization import (
    CENTRE,
    AllocationState,
    DrawSource,
    HistoryItem,
    SecureDrawSource,
    allocate,
    derive_levels,
    design_from_protocol,
    state_from_history,
)
from cairo6.service.event_order import check_dates, check_not_future
from cairo6.service.permissions import CENTRE_BOUND, Action, allowed, require
from cairo6.service.records import record_in
from cairo6.service.trial import Trial, centre_by_code
from cairo6.service.validation import clean_form
from cairo6.store import numbering
from cairo6.store.audit import Actor, now_iso
from cairo6.store.engine import StoreSession
from cairo6.store.schema import (
    Centre,
    EligibilityAssessment,
    Participant,
    Randomisation,
    Screening,
)
from cairo6.store.versions import in_force_number

SCREENING_NUMBERS = numbering.Numbering("screening", prefix="", infix="-S", width=4)
"""Screening numbers per centre: C03-S0001."""


def study_numbers(trial: Trial) -> numbering.Numbering:
    """Study numbers per centre: TRIAL-C03-001."""
    return numbering.Numbering("study", prefix=f"{trial.protocol.trial.id}-", infix="-", width=3)


@dataclass(frozen=True)
class Enrolment:
    """The result shown once after randomisation."""

    study_number: str
    arm: str
    sequence_number: int
    allocated_at: str
    diagnostic: dict[str, Any]


def add_screening(trial: Trial, actor: Actor, centre_code: str, data: Mapping[str, Any]) -> str:
    """Log a potentially eligible patient; returns the screening number."""
    with trial.db.write(actor) as session:
        return add_screening_in(session, actor, centre_code, data, trial=trial)


def add_screening_in(
    session: StoreSession,
    actor: Actor,
    centre_code: str,
    data: Mapping[str, Any],
    *,
    number: str | None = None,
    trial: Trial | None = None,
) -> str:
    """`add_screening` inside the caller's transaction; `number` keeps an imported number.

    With `trial`, the date is checked against its protocol's order of events (e.g. not
    before recruitment started); without, only that it does not lie in the future.
    """
    values = clean_form("screening", Screening, {**data, "screening_number": number or "new"})
    _check_screening(values)
    if trial is not None:
        check_dates(trial, session, "screening", values)
    else:
        check_not_future("screening", values)
    centre = centre_by_code(session, centre_code)
    require(actor, Action.SCREEN, centre.id)

    def stored() -> Iterable[str]:
        return session.scalars(select(Screening.screening_number))

    if number is None:
        values["screening_number"] = numbering.issue(
            session, SCREENING_NUMBERS, centre.code, stored
        )
    elif session.scalar(select(func.count()).where(Screening.screening_number == number)):
        raise StateError(f"screening number {number} already exists", "use a new number")
    else:
        numbering.reserve(session, SCREENING_NUMBERS, number, stored)
    session.add(Screening(centre_id=centre.id, **values))
    session.flush()
    return str(values["screening_number"])


def _check_screening(values: Mapping[str, Any]) -> None:
    if not values["approached"] and values.get("refused"):
        raise InvalidValueError(
            "screening.refused",
            True,
            "empty when the patient was not approached",
            "set approached = true or leave refused empty",
        )
    if values.get("refused") and not values.get("refusal_reason"):
        raise InvalidValueError(
            "screening.refusal_reason",
            None,
            "a reason when the patient refused",
            "choose the main reason for refusal",
        )
    if values.get("refusal_reason") == "other" and not values.get("refusal_other"):
        raise InvalidValueError(
            "screening.refusal_other",
            None,
            "a description for reason 'other'",
            "describe the reason in refusal_other",
        )


def _screening(session: StoreSession, actor: Actor, number: str, action: Action) -> Screening:
    require(actor, action)
    found = session.scalars(select(Screening).where(Screening.screening_number == number)).first()
    if found is None or (actor.role in CENTRE_BOUND and found.centre_id != actor.centre_id):
        raise NotFoundError("screening entry", number, "check the screening number")
    require(actor, action, found.centre_id)
    return found


def assess_eligibility(
    trial: Trial,
    actor: Actor,
    screening_number: str,
    data: Mapping[str, Any],
    assessed_on: dt.date,
) -> EligibilityAssessment:
    """Check the protocol's criteria against the checklist and store the verdicts."""
    with trial.db.write(actor) as session:
        return assess_eligibility_in(session, trial, actor, screening_number, data, assessed_on)


def assess_eligibility_in(
    session: StoreSession,
    trial: Trial,
    actor: Actor,
    screening_number: str,
    data: Mapping[str, Any],
    assessed_on: dt.date,
) -> EligibilityAssessment:
    """`assess_eligibility` inside the caller's transaction."""
    retired = sorted(
        f.id for f in trial.protocol.fields if f.retired and data.get(f.id) not in (None, "")
    )
    if retired:
        raise InvalidValueError(
            "field",
            ", ".join(retired),
            "fields in force (retired by a protocol amendment: no longer entered)",
            "leave them empty",
        )
    clean = validate_record(trial.protocol, data)
    result = assess(trial.protocol, clean)
    screening = _screening(session, actor, screening_number, Action.ASSESS_ELIGIBILITY)
    check_dates(trial, session, "eligibility", {"assessed_on": assessed_on}, screening=screening)
    record = EligibilityAssessment(
        screening_id=screening.id,
        assessed_on=assessed_on,
        data={k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in clean.items()},
        verdicts={
            r.criterion.id: {"verdict": r.verdict.value, "explanation": r.explanation}
            for r in result.results
        },
        eligible=result.eligible,
    )
    session.add(record)
    session.flush()
    return record


def _latest_assessment(session: StoreSession, screening_id: int) -> EligibilityAssessment | None:
    return session.scalars(
        select(EligibilityAssessment)
        .where(EligibilityAssessment.screening_id == screening_id)
        .order_by(EligibilityAssessment.id.desc())
    ).first()


def _history_items(rows: Sequence[Any], protocol: Protocol) -> list[HistoryItem]:
    """Past allocations as the protocol in force counts them: the levels of the factors it
    still has (an amendment that drops a factor carries the counts of the others on)."""
    design = design_from_protocol(protocol)
    kept = {f.id for f in design.factors} | ({CENTRE} if design.uses_centre else set())
    items: list[HistoryItem] = []
    for levels, arm, diagnostic in rows:
        counted = {k: v for k, v in levels.items() if k in kept}
        block = diagnostic.get("block_size") if isinstance(diagnostic, dict) else None
        items.append((counted, arm, int(block)) if block else (counted, arm))
    return items


def _history(session: StoreSession, protocol: Protocol, after: int = 0) -> list[HistoryItem]:
    """Allocations after sequence `after`, in order; a permuted-block allocation carries its
    block size, without which a stratum's tally cannot tell a finished block of 2 from half a
    block of 4."""
    rows = session.execute(
        select(Randomisation.levels, Randomisation.arm, Randomisation.diagnostic)
        .where(Randomisation.sequence_number > after)
        .order_by(Randomisation.sequence_number)
    ).all()
    return _history_items(rows, protocol)


@dataclass(frozen=True)
class _InForce:
    """The protocol that randomises on a day, and the number of its study version."""

    protocol: Protocol
    version: int


def _in_force(trial: Trial, session: StoreSession, day: dt.date) -> _InForce:
    if trial.versions is None:
        return _InForce(trial.protocol, 1)
    study = trial.definition_on(day, session)
    return _InForce(study.trial_protocol, study.version)


@dataclass(frozen=True)
class _Counted:
    sequence: int
    last_arm: str
    last_at: str
    state: AllocationState

    @property
    def key(self) -> tuple[int, str, str]:
        """What identifies the allocation the state ends with."""
        return (self.sequence, self.last_arm, self.last_at)


# Per process, database and study version: the minimisation state as of a committed sequence
# number. Rebuilding it from every allocation inside the write lock made each randomisation
# slower as the trial grew and made concurrent clients queue; now each call reads only the
# allocations it has not seen.
_STATE_CACHE: dict[tuple[str, str, int], _Counted] = {}


def _current_state(
    trial: Trial, session: StoreSession, rules: _InForce
) -> tuple[AllocationState, int]:
    """The state and the number of allocations so far, read under the write lock.

    One query: the allocation the cached state ends with (to check it is still there) and
    every allocation after it, in order; the last row read is the newest.
    """
    protocol = rules.protocol
    key = (trial.db.url, protocol.trial.id, rules.version)
    cached = _STATE_CACHE.get(key)
    rows = _allocations_from(session, cached.sequence if cached else 0)
    start: AllocationState | None = None
    # A restored or replaced database must not inherit another history's counts.
    if cached is not None and rows and tuple(rows[0][:3]) == cached.key:
        start, rows = cached.state, rows[1:]
    if start is None and cached is not None:
        rows = _allocations_from(session, 0)
    history = _history_items([(r.levels, r.arm, r.diagnostic) for r in rows], protocol)
    state = state_from_history(protocol, history, start=start)
    if rows:
        newest = rows[-1]
        if newest.sequence_number != state.allocated:
            # Gaps or reordering: never trust an incremental count; rebuild from every one.
            state = state_from_history(protocol, _history(session, protocol))
        _STATE_CACHE[key] = _Counted(newest.sequence_number, newest.arm, newest.allocated_at, state)
    return state, state.allocated


# The statements of the serialised section are built once: building one costs more CPU than
# running it, and every client waits while the lock holder spends it.
_ALLOCATIONS_FROM = (
    select(
        Randomisation.sequence_number,
        Randomisation.arm,
        Randomisation.allocated_at,
        Randomisation.levels,
        Randomisation.diagnostic,
    )
    .where(Randomisation.sequence_number >= bindparam("first"))
    .order_by(Randomisation.sequence_number)
)


def _allocations_from(session: StoreSession, first: int) -> list[Any]:
    """Allocations from sequence `first` on, in order, with what the state and cache need."""
    return list(session.execute(_ALLOCATIONS_FROM, {"first": first}).all())


def randomise(
    trial: Trial,
    actor: Actor,
    screening_number: str,
    enrolled_on: dt.date,
    *,
    deviation: str | None = None,
    draws: DrawSource | None = None,
    past_target: bool = False,
) -> Enrolment:
    """Enrol and randomise an eligible patient; the allocation is final.

    An ineligible patient is randomised only with a recorded deviation, by a role allowed to;
    the deviation is stored with the allocation in the same transaction. Once the protocol's
    accrual target is reached, a further patient is randomised only with `past_target` (the
    user confirmed it), judged under the write lock so two sites cannot both slip past it.
    """
    source = draws if draws is not None else SecureDrawSource()
    # The protocol in force on the day of the allocation randomises (a protocol amendment may
    # change the factors); the clock is read once, here.
    today = dt.date.today()
    # A database that keeps versions of its study definition: the fingerprint also names the
    # version in force (without the table, as without versions, it is always the first).
    day = today if trial.versions is not None and trial.versions.rows() else None
    # Checks and factor levels are prepared before taking the write lock, so that the
    # serialised section only confirms nothing changed, reads new allocations, allocates, writes.
    with trial.db.read() as session:
        rules = _in_force(trial, session, today)
        prepared = _prepare_enrolment(
            session, rules.protocol, actor, screening_number, enrolled_on, deviation, day
        )
        # Brings this process's counts up to date outside the lock (the first call of a process
        # reads the whole history here), so that inside it only the allocations made since are
        # read.
        _current_state(trial, session, rules)
    with trial.db.write(actor) as session:
        now = _fingerprint(session, prepared.screening.id, day)
        if now != prepared.fingerprint or (day is not None and now[-1] != rules.version):
            # Changed meanwhile (randomised, re-assessed, edited, amended): check again, under
            # the lock.
            rules = _in_force(trial, session, today)
            prepared = _prepare_enrolment(
                session, rules.protocol, actor, screening_number, enrolled_on, deviation, day
            )
        state, allocated = _current_state(trial, session, rules)
        target = rules.protocol.accrual.target
        if allocated >= target and not past_target:
            raise StateError(
                f"this would be participant {allocated + 1} of a target of {target}",
                "confirm that the trial randomises past its accrual target (web: tick the box; "
                "API: past_target true; CLI: --past-target)",
            )
        result, _ = allocate(rules.protocol, state, prepared.levels, source)
        diagnostic = result.diagnostic.to_dict()
        if trial.versions is not None:
            # Which version's factors and rules made it, for whoever replays the allocation.
            diagnostic["study_version"] = rules.version
        return _write_enrolment(
            trial,
            session,
            actor,
            prepared.screening,
            prepared.centre,
            enrolled_on,
            prepared.levels,
            result.arm,
            diagnostic,
            "live",
            deviation,
            allocated + 1,
        )


@dataclass(frozen=True)
class _Prepared:
    """What randomisation needs to know about a patient, and the state it was checked in."""

    screening: Screening
    centre: Centre
    levels: dict[str, str]
    fingerprint: tuple[Any, ...]


_SCREENING_FINGERPRINT = select(
    Screening.centre_id,
    Screening.approached,
    Screening.refused,
    Screening.screened_on,
    select(func.count())
    .select_from(Participant)
    .where(Participant.screening_id == Screening.id)
    .scalar_subquery(),
    select(func.max(EligibilityAssessment.id))
    .where(EligibilityAssessment.screening_id == Screening.id)
    .scalar_subquery(),
).where(Screening.id == bindparam("screening_id"))
# ... and the number of the study version in force on the day, so that the serialised section
# learns in the same round trip whether an amendment changed the rules meanwhile.
_FINGERPRINT_ON_DAY = _SCREENING_FINGERPRINT.add_columns(
    in_force_number(bindparam("day", type_=Date))
)


def _fingerprint(session: StoreSession, screening_id: int, day: dt.date | None) -> tuple[Any, ...]:
    """Everything the enrolment checks read about one screening entry, in one query; with
    `day`, ending with the number of the study version in force on it."""
    if day is None:
        row = session.execute(_SCREENING_FINGERPRINT, {"screening_id": screening_id})
    else:
        row = session.execute(_FINGERPRINT_ON_DAY, {"screening_id": screening_id, "day": day})
    found = row.one_or_none()
    return tuple(found) if found is not None else ()


def _prepare_enrolment(
    session: StoreSession,
    protocol: Protocol,
    actor: Actor,
    screening_number: str,
    enrolled_on: dt.date,
    deviation: str | None,
    day: dt.date | None,
) -> _Prepared:
    screening = _screening(session, actor, screening_number, Action.RANDOMISE)
    centre = session.get_one(Centre, screening.centre_id)
    assessment = _enrolment_checks(session, actor, screening, enrolled_on, deviation)
    levels = derive_levels(protocol, {**assessment.data, "centre": centre.code})
    return _Prepared(screening, centre, dict(levels), _fingerprint(session, screening.id, day))


def import_allocation(
    trial: Trial,
    actor: Actor,
    screening_number: str,
    enrolled_on: dt.date,
    arm: str,
    allocated_at: str,
    *,
    deviation: str | None = None,
) -> Enrolment:
    """Enter an allocation that was made elsewhere (trial history), keeping the counts true."""
    with trial.db.write(actor, insert_reason="allocation imported from trial history") as session:
        return import_allocation_in(
            session,
            trial,
            actor,
            screening_number,
            enrolled_on,
            arm,
            allocated_at,
            deviation=deviation,
        )


def import_allocation_in(
    session: StoreSession,
    trial: Trial,
    actor: Actor,
    screening_number: str,
    enrolled_on: dt.date,
    arm: str,
    allocated_at: str,
    *,
    deviation: str | None = None,
    study_number: str | None = None,
) -> Enrolment:
    """`import_allocation` inside the caller's transaction; keeps a given study number."""
    require(actor, Action.IMPORT_HISTORY)
    arms = [a.id for a in trial.protocol.arms]
    if arm not in arms:
        raise InvalidValueError("arm", arm, "one of " + ", ".join(arms), "use a protocol arm id")
    screening = _screening(session, actor, screening_number, Action.IMPORT_HISTORY)
    centre = session.get_one(Centre, screening.centre_id)
    assessment = _enrolment_checks(session, actor, screening, enrolled_on, deviation)
    levels = derive_levels(trial.protocol, {**assessment.data, "centre": centre.code})
    sequence = (session.scalar(select(func.max(Randomisation.sequence_number))) or 0) + 1
    diagnostic = {"source": "history", "allocated_at": allocated_at}
    return _write_enrolment(
        trial,
        session,
        actor,
        screening,
        centre,
        enrolled_on,
        levels,
        arm,
        diagnostic,
        "history",
        deviation,
        sequence,
        allocated_at=allocated_at,
        study_number=study_number,
    )


def _enrolment_checks(
    session: StoreSession,
    actor: Actor,
    screening: Screening,
    enrolled_on: dt.date,
    deviation: str | None,
) -> EligibilityAssessment:
    taken = session.scalar(
        select(func.count())
        .select_from(Participant)
        .where(Participant.screening_id == screening.id)
    )
    if taken:
        raise StateError(
            f"screening {screening.screening_number} is already randomised",
            "a patient is randomised once; look up the participant instead",
        )
    if not screening.approached or screening.refused:
        raise StateError(
            f"screening {screening.screening_number} was not approached or refused",
            "only a consenting patient can be randomised",
        )
    if enrolled_on < screening.screened_on:
        raise InvalidValueError(
            "enrolled_on",
            enrolled_on.isoformat(),
            f"on or after the screening date {screening.screened_on.isoformat()}",
            "check the enrolment date",
        )
    assessment = _latest_assessment(session, screening.id)
    if assessment is None:
        raise StateError(
            f"screening {screening.screening_number} has no eligibility assessment",
            "complete the eligibility checklist first",
        )
    if not assessment.eligible:
        failing = [
            f"{cid} ({v['verdict']})"
            for cid, v in assessment.verdicts.items()
            if v["verdict"] != "met"
        ]
        if not deviation:
            raise StateError(
                "the patient does not meet every criterion: " + ", ".join(failing),
                "correct the checklist, or have the trial office randomise with a recorded "
                "deviation",
            )
        if not allowed(actor.role, Action.RANDOMISE_DEVIATION):
            require(actor, Action.RANDOMISE_DEVIATION)
    return assessment


def _write_enrolment(
    trial: Trial,
    session: StoreSession,
    actor: Actor,
    screening: Screening,
    centre: Centre,
    enrolled_on: dt.date,
    levels: Mapping[str, str],
    arm: str,
    diagnostic: dict[str, Any],
    source: str,
    deviation: str | None,
    sequence: int,
    *,
    allocated_at: str | None = None,
    study_number: str | None = None,
) -> Enrolment:
    check_dates(trial, session, "participant", {"enrolled_on": enrolled_on}, screening=screening)

    def stored() -> Iterable[str]:
        return session.scalars(select(Participant.study_number))

    if study_number is None:
        study_number = numbering.issue(session, study_numbers(trial), centre.code, stored)
    elif session.scalar(select(func.count()).where(Participant.study_number == study_number)):
        raise StateError(f"study number {study_number} already exists", "use a new number")
    else:
        numbering.reserve(session, study_numbers(trial), study_number, stored)
    person = Participant(
        study_number=study_number,
        centre_id=centre.id,
        screening_id=screening.id,
        enrolled_on=enrolled_on,
    )
    session.add(person)
    session.flush()
    # The audit trail labels the allocation's record with the study number; known here, so the
    # audit hook need not read it back inside the serialised section.
    session.info.setdefault("participant_labels", {})[person.id] = study_number
    at = allocated_at or now_iso()
    session.add(
        Randomisation(
            participant_id=person.id,
            sequence_number=sequence,
            arm=arm,
            allocated_at=at,
            allocated_by=actor.username,
            levels=dict(levels),
            diagnostic=diagnostic,
            source=source,
            deviation=deviation,
        )
    )
    session.flush()
    if deviation:
        _record_deviation(trial, session, person, enrolled_on, deviation)
    return Enrolment(study_number, arm, sequence, at, diagnostic)


def _record_deviation(
    trial: Trial, session: StoreSession, person: Participant, on: dt.date, text: str
) -> None:
    """The protocol's `[deviation_record]`: a record of the study's deviation form, in the
    enrolment's transaction. A protocol without one, or a database bound to a protocol alone
    (no forms), keeps the text on the allocation only."""
    declared = trial.protocol.deviation_record
    study = trial.study
    if declared is None or study is None:
        return
    form = study.form(declared.form)
    values: dict[str, Any] = {**declared.values, declared.text_item: text}
    if form.date_item:
        values[form.date_item] = on
    record_in(session, study, person, form, values, max(on, dt.date.today()))
