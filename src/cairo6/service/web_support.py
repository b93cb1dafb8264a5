"""Reads and small changes the web pages need that the other use cases do not offer.

Dashboard counts, lists and worklists, one form record for editing, passwords and the first-run
administrator. Every function checks the actor's permission before reading anything, exactly as
the other services do, so a page cannot show what its service would refuse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from cairo6.errors import Cairo6Error, InvalidValueError, NotFoundError, StateError
from cairo6.schedule import ActionItem, build_calendar, due_or_overdue
from cairo6.service import queries
from cairo6.service.admin import refuse_look_alike
from cairo6.service.concealment import arm_for, hidden_forms, may_see_allocation
from cairo6.service.participants import course_of
from cairo6.service.passwords import verify_password
from cairo6.service.permissions import CENTRE_BOUND, Action, Role, allowed, require
from cairo6.service.records import RECORD_ACTION, Records
from cairo6.service.throttle import clear_account
from cairo6.service.trial import Trial, find_user
from cairo6.service.usernames import check_username, normalise
from cairo6.store.audit import Actor, append
from cairo6.store.engine import StoreSession
from cairo6.store.schema import (
    Centre,
    EligibilityAssessment,
    FormRecord,
    Participant,
    Randomisation,
    Screening,
    User,
)
from cairo6.study.models import Form
from cairo6.study.study import Study
from cairo6.study.validate import typed_record


def _own_centre_only(actor: Actor) -> int | None:
    """The centre a centre-bound actor is limited to; None when the actor sees every centre."""
    return actor.centre_id if actor.role in CENTRE_BOUND else None


def _visible(actor: Actor, centre_id: int) -> bool:
    own = _own_centre_only(actor)
    return own is None or own == centre_id


# --- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CentreAccrual:
    """Participants randomised at one centre."""

    code: str
    name: str
    started_recruiting: dt.date | None
    randomised: int
    screened: int


@dataclass(frozen=True)
class Accrual:
    """Accrual per centre against the protocol's target."""

    target: int
    total: int
    centres: list[CentreAccrual]

    @property
    def percent(self) -> float:
        """Share of the target reached, in percent."""
        return 100.0 * self.total / self.target if self.target else 0.0


def accrual(trial: Trial, actor: Actor) -> Accrual:
    """Randomised and screened counts per centre; counts only, so every signed-in role sees it."""
    del actor  # counts per centre are shared with every role, as in the trial's newsletters
    with trial.db.read() as session:
        randomised = dict(
            session.execute(
                select(Participant.centre_id, func.count()).group_by(Participant.centre_id)
            ).all()
        )
        screened = dict(
            session.execute(
                select(Screening.centre_id, func.count()).group_by(Screening.centre_id)
            ).all()
        )
        centres = [
            CentreAccrual(
                c.code,
                c.name,
                c.started_recruiting,
                int(randomised.get(c.id, 0)),
                int(screened.get(c.id, 0)),
            )
            for c in session.scalars(select(Centre).order_by(Centre.code))
        ]
    total = sum(c.randomised for c in centres)
    return Accrual(trial.protocol.accrual.target, total, centres)


@dataclass(frozen=True)
class DueItem:
    """A participant's window that is due, overdue or in conflict on the reference date."""

    study_number: str
    centre: str
    item: ActionItem


def _records_by_participant(
    session: StoreSession, study: Study, forms: set[str], ids: list[int]
) -> dict[int, Records]:
    """The records of the named forms of many participants, in one read."""
    out: dict[int, Records] = {pid: {f: [] for f in forms} for pid in ids}
    rows = session.scalars(
        select(FormRecord)
        .where(FormRecord.form.in_(forms), FormRecord.participant_id.in_(ids))
        .order_by(FormRecord.id)
    )
    for row in rows:
        typed = typed_record(study, study.form(row.form), row.data)
        out[row.participant_id][row.form].append((row.record_key, typed))
    return out


def _ended(study: Study) -> list[str]:
    """The forms whose record ends a participant's time in the trial (`ends = true`)."""
    return [f.id for f in study.forms if f.ends]


def due_worklist(trial: Trial, actor: Actor, on: dt.date) -> list[DueItem]:
    """Every visible participant's due and overdue items, most overdue first."""
    require(actor, Action.VIEW_PARTICIPANT)
    study = trial.definition()
    if study.course is None or not trial.protocol.regimens or not may_see_allocation(actor):
        # The windows follow the arm (which treatment, when): a blinded reader gets none.
        return []
    course = study.course
    forms = {course.cycles} | {
        ref.partition(".")[0]
        for ref in (course.operation, course.operation_complete, course.scan)
        if ref is not None
    }
    own = _own_centre_only(actor)
    out: list[DueItem] = []
    with trial.db.read() as session:
        stmt = (
            select(Participant, Randomisation.arm, Centre.code)
            .join(Randomisation, Randomisation.participant_id == Participant.id)
            .join(Centre, Centre.id == Participant.centre_id)
            .where(
                Participant.id.not_in(
                    select(FormRecord.participant_id).where(FormRecord.form.in_(_ended(study)))
                )
            )
            .order_by(Participant.study_number)
        )
        if own is not None:
            stmt = stmt.where(Participant.centre_id == own)
        rows = session.execute(stmt).all()
        records = _records_by_participant(session, study, forms, [p.id for p, _, _ in rows])
    for person, arm, code in rows:
        found = course_of(study, records[person.id], arm, person.enrolled_on)
        if found is None:
            continue
        try:
            calendar = build_calendar(trial.protocol, found)
        except Cairo6Error:
            # A record the calendar cannot be built from is shown on the participant's page.
            continue
        out.extend(DueItem(person.study_number, code, i) for i in due_or_overdue(calendar, on))
    return sorted(out, key=lambda d: (-d.item.days_overdue, d.item.status != "overdue"))


# --- screening --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningRow:
    """One entry of the screening log, with where it got to."""

    number: str
    centre: str
    screened_on: dt.date
    approached: bool
    refused: bool | None
    refusal_reason: str | None
    eligible: bool | None
    study_number: str | None


def _latest_assessments(session: StoreSession, ids: list[int]) -> dict[int, EligibilityAssessment]:
    found: dict[int, EligibilityAssessment] = {}
    if not ids:
        return found
    for row in session.scalars(
        select(EligibilityAssessment)
        .where(EligibilityAssessment.screening_id.in_(ids))
        .order_by(EligibilityAssessment.id)
    ):
        found[row.screening_id] = row
    return found


def screening_log(trial: Trial, actor: Actor, limit: int | None = 500) -> list[ScreeningRow]:
    """The newest screening entries the actor may see (all of them with `limit=None`)."""
    require(actor, Action.SCREEN)
    own = _own_centre_only(actor)
    with trial.db.read() as session:
        stmt = (
            select(Screening, Centre.code, Participant.study_number)
            .join(Centre, Centre.id == Screening.centre_id)
            .outerjoin(Participant, Participant.screening_id == Screening.id)
            .order_by(Screening.id.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        if own is not None:
            stmt = stmt.where(Screening.centre_id == own)
        rows = session.execute(stmt).all()
        latest = _latest_assessments(session, [s.id for s, _, _ in rows])
    return [
        ScreeningRow(
            s.screening_number,
            code,
            s.screened_on,
            s.approached,
            s.refused,
            s.refusal_reason,
            latest[s.id].eligible if s.id in latest else None,
            study,
        )
        for s, code, study in rows
    ]


@dataclass(frozen=True)
class ScreeningDetail:
    """One screening entry with its latest eligibility assessment."""

    row: ScreeningRow
    assessed_on: dt.date | None
    data: dict[str, Any]
    verdicts: dict[str, dict[str, Any]]


def screening_detail(trial: Trial, actor: Actor, number: str, action: Action) -> ScreeningDetail:
    """A screening entry, after checking `action` for its centre (hidden from other centres)."""
    require(actor, action)
    with trial.db.read() as session:
        found = session.execute(
            select(Screening, Centre.code, Participant.study_number)
            .join(Centre, Centre.id == Screening.centre_id)
            .outerjoin(Participant, Participant.screening_id == Screening.id)
            .where(Screening.screening_number == number)
        ).first()
        if found is None or not _visible(actor, found[0].centre_id):
            raise NotFoundError("screening entry", number, "check the screening number")
        screening, code, study = found
        require(actor, action, screening.centre_id)
        latest = _latest_assessments(session, [screening.id]).get(screening.id)
    row = ScreeningRow(
        screening.screening_number,
        code,
        screening.screened_on,
        screening.approached,
        screening.refused,
        screening.refusal_reason,
        latest.eligible if latest else None,
        study,
    )
    return ScreeningDetail(
        row,
        latest.assessed_on if latest else None,
        dict(latest.data) if latest else {},
        dict(latest.verdicts) if latest else {},
    )


# --- participants and review worklists --------------------------------------------------------


@dataclass(frozen=True)
class ParticipantRow:
    """One participant in a list."""

    study_number: str
    centre: str
    enrolled_on: dt.date
    arm: str | None
    """None for a blinded reader."""
    off_study: bool


def _participants(session: StoreSession, actor: Actor, study: Study | None) -> list[ParticipantRow]:
    own = _own_centre_only(actor)
    stmt = (
        select(Participant, Centre.code, Randomisation.arm)
        .join(Centre, Centre.id == Participant.centre_id)
        .join(Randomisation, Randomisation.participant_id == Participant.id)
        .order_by(Participant.study_number)
    )
    if own is not None:
        stmt = stmt.where(Participant.centre_id == own)
    ended = set(
        session.scalars(
            select(FormRecord.participant_id).where(
                FormRecord.form.in_(_ended(study) if study else [])
            )
        )
    )
    return [
        ParticipantRow(p.study_number, code, p.enrolled_on, arm_for(actor, arm), p.id in ended)
        for p, code, arm in session.execute(stmt).all()
    ]


def participant_list(trial: Trial, actor: Actor) -> list[ParticipantRow]:
    """Every participant the actor may see."""
    require(actor, Action.VIEW_PARTICIPANT)
    with trial.db.read() as session:
        return _participants(session, actor, trial.study)


@dataclass(frozen=True)
class ReviewRow:
    """A participant on a central review worklist: what is done and what is still to do."""

    study_number: str
    centre: str
    done: dict[str, str] = field(default_factory=dict)
    """Reviewed keys (time points, sites), each with its record key (for editing)."""
    pending: list[str] = field(default_factory=list)
    note: str = ""


def review_forms(study: Study, recorded_by: str) -> list[Form]:
    """The forms a central reviewer records (`recorded_by` radiology or pathology)."""
    return [f for f in study.forms if f.recorded_by == recorded_by]


def _wanted(
    study: Study, form: Form, present: Records, hidden: frozenset[str] = frozenset()
) -> tuple[list[str], str]:
    """The keys a review form still needs for a participant, and what they hang on.

    A review form keyed by a coded item wants one record per code; a code that names a
    scheduled event is wanted once that event's form is recorded, the others once the forms
    the review requires are there. The note gives the date of what the review follows.
    """
    if any(not present.get(need) for need in form.requires):
        return [], ""
    key = form.item(form.key_items[0]) if form.key_items else None
    codes = study.codelist(key.codelist).values() if key and key.codelist else ("",)
    events = {e.id: e.form for e in study.schedule if e.form}
    wanted = [c for c in codes if c not in events or present.get(events[c] or "")]
    notes = []
    for need in [*form.requires, *(events[c] for c in wanted if c in events)]:
        follows = study.form(need or "")
        if follows.id in hidden:
            continue  # a blinded reviewer is not told the date of a form that reveals the arm
        if follows.date_item and present.get(follows.id):
            notes.append(f"{follows.label} {present[follows.id][0][1].get(follows.date_item)}")
    return wanted, "; ".join(dict.fromkeys(notes))


def review_worklist(trial: Trial, actor: Actor, recorded_by: str) -> list[ReviewRow]:
    """Participants with their central reviews done and to do, pending ones first."""
    action = RECORD_ACTION[recorded_by]
    require(actor, action)
    study = trial.definition()
    rows: list[ReviewRow] = []
    with trial.db.read() as session:
        people = _participants(session, actor, study)
        visible = {p.study_number for p in people}
        ids: dict[str, int] = {
            sn: pid
            for sn, pid in session.execute(select(Participant.study_number, Participant.id))
            if sn in visible
        }
        records = _records_by_participant(
            session, study, {f.id for f in study.forms}, list(ids.values())
        )
    for form in review_forms(study, recorded_by):
        for p in people:
            present = records[ids[p.study_number]]
            wanted, note = _wanted(study, form, present, hidden_forms(actor, study))
            have = {key or form.label: key for key, _ in present.get(form.id, [])}
            if not wanted and not have:
                continue
            pending = [c for c in wanted if c not in have]
            rows.append(ReviewRow(p.study_number, p.centre, have, pending, note))
    return sorted(rows, key=lambda r: (not r.pending, r.study_number))


# --- queries ----------------------------------------------------------------------------------

# The query list lives with the queries; the pages and the API found it here.
QueryRow = queries.QueryRow
query_list = queries.query_list
query_row = queries.query_row


def query_centres(trial: Trial, actor: Actor) -> list[str]:
    """The centre codes the query list can be filtered by: site staff see their own only."""
    require(actor, Action.VIEW_QUERIES)
    return _centres_of(trial, actor)


def _centres_of(trial: Trial, actor: Actor) -> list[str]:
    own = _own_centre_only(actor)
    with trial.db.read() as session:
        stmt = select(Centre.code).order_by(Centre.code)
        if own is not None:
            stmt = stmt.where(Centre.id == own)
        return list(session.scalars(stmt))


# --- administration ---------------------------------------------------------------------------


def centres_for_admin(trial: Trial, actor: Actor) -> list[Centre]:
    """All centres, for the administration page."""
    require(actor, Action.MANAGE_CENTRES)
    with trial.db.read() as session:
        return list(session.scalars(select(Centre).order_by(Centre.code)))


def centre_codes(trial: Trial, actor: Actor) -> list[str]:
    """The centres the actor may screen at."""
    require(actor, Action.SCREEN)
    return _centres_of(trial, actor)


def _user(session: StoreSession, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFoundError("user", username, "check the username")
    return user


def set_password(
    trial: Trial,
    actor: Actor,
    username: str,
    password_hash: str,
    reason: str = "password set",
    *,
    current_password: str | None = None,
    host_administrator: bool = False,
) -> None:
    """Store a new password hash: an administrator for anyone, everyone for themselves.

    One's own password is changed only with the current one (unless the account has none yet,
    or the host's administrator sets it from the command line). The change is audited as an
    event of its own — who, whose, when; never the hash. Clears any lockout, since whoever sets
    the password has just proved who they are.
    """
    with trial.db.read() as session:
        stored = _user(session, username)
        own = stored.username == normalise(actor.username) or stored.username == actor.username
        if not own:
            require(actor, Action.MANAGE_USERS)
        needs_current = own and stored.password_hash and not host_administrator
        if needs_current and not verify_password(stored.password_hash, current_password or ""):
            raise InvalidValueError(
                "current", "(hidden)", "your current password", "type your current password"
            )
    with trial.db.write(actor, reason=reason) as session:
        user = _user(session, username)
        user.password_hash = password_hash
        user.failed_logins = 0
        user.locked_until = None
        session.flush()
        conn = session.connection()
        clear_account(conn, user.username)
        append(
            conn,
            actor,
            "password_change" if own else "password_reset",
            "app_user",
            str(user.id),
            {"account": [None, user.username], "password": [None, "changed"]},
            reason=reason,
        )


def set_active(trial: Trial, actor: Actor, username: str, active: bool, reason: str) -> None:
    """Switch an account on or off (accounts are never deleted: the audit trail names them)."""
    require(actor, Action.MANAGE_USERS)
    if not reason.strip():
        raise InvalidValueError("reason", reason, "why the account changes", "say why")
    if username == actor.username and not active:
        raise StateError("you cannot switch off your own account", "ask another administrator")
    with trial.db.write(actor, reason=reason.strip()) as session:
        _user(session, username).active = active


def needs_first_admin(trial: Trial) -> bool:
    """True while no account has a password, so nobody can sign in yet."""
    with trial.db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(User).where(User.password_hash.is_not(None))
        )
    return not count


def first_admin(trial: Trial, username: str, full_name: str, password_hash: str) -> None:
    """Create (or give a password to) the first administrator, once.

    The check that no account has a password runs inside the write transaction, under the
    trial's write lock, so two visitors racing through the set-up page cannot both succeed.
    An administrator created without a password (`cairo6 db init --admin`) is claimed by name.
    """
    username = check_username(username)
    actor = Actor(username=username, role=Role.ADMINISTRATOR)
    with trial.db.write(actor, reason="first administrator set up") as session:
        taken = session.scalar(
            select(func.count()).select_from(User).where(User.password_hash.is_not(None))
        )
        if taken:
            raise StateError("the system is already set up", "sign in instead")
        existing = find_user(session, username)
        if existing is not None:
            if existing.role != Role.ADMINISTRATOR or not existing.active:
                raise StateError(
                    f"{username} exists and is not an active administrator",
                    "choose the administrator's username or a new one",
                )
            existing.password_hash = password_hash
            return
        refuse_look_alike(session, username)
        session.add(
            User(
                username=username,
                role=Role.ADMINISTRATOR,
                full_name=full_name.strip()[:200],
                password_hash=password_hash,
            )
        )


def may(actor: Actor, action: Action) -> bool:
    """Whether the actor's role may do this at all (to hide links, never to grant access)."""
    return allowed(actor.role, action)
