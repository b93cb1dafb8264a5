"""The lifecycle of every form record, investigator signatures and the database lock.

A record is entered (in progress), marked complete by the site, verified against the source by
the monitor (per item), signed by the investigator (one visit or the whole casebook), frozen
and locked by the data manager. Each step is an appended `RecordStep` or `Signature` row in
the step's own audited transaction, so the trail holds every step, who took it and when.

The state of a record is the fold of its steps checked against its current content: a
verification or signature names the SHA-256 of the records it covered, so a later change of a
record leaves the verification out of date and voids the signature ("re-signing needed"),
without anything having to remember to undo them. Frozen and locked records refuse changes;
a locked database refuses every change to the trial record (`store.lock`; locking and the
reports' INTERIM/FINAL label are in `trial_lock`, whose names this module also offers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from cairo6.errors import InvalidValueError, StateError
from cairo6.service import records
from cairo6.service.concealment import hidden_forms, require_unblinded_for
from cairo6.service.passwords import verify_password
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial, participant
from cairo6.service.trial_lock import (
    LockEvent,
    LockState,
    database_lock,
    ensure_unlocked,
    lock_database,
    lock_history,
    lock_state,
    open_query_count,
    reason_for,
    report_status,
    unlock_database,
)
from cairo6.store import audit
from cairo6.store.audit import Actor, canonical, jsonable, now_iso
from cairo6.store.engine import Database, StoreSession
from cairo6.store.schema import (
    AuditRecord,
    FormRecord,
    RecordStep,
    Signature,
    User,
)
from cairo6.study.study import Study

__all__ = [  # the database lock lives in `trial_lock`; one entry point for the lifecycle
    "Casebook",
    "Done",
    "ItemMark",
    "LockEvent",
    "LockState",
    "RecordState",
    "SignatureView",
    "SignedRecord",
    "Status",
    "casebook",
    "database_lock",
    "ensure_editable",
    "ensure_unlocked",
    "lock_database",
    "lock_history",
    "lock_state",
    "open_query_count",
    "record_hash",
    "record_states",
    "report_status",
    "sign",
    "signatures_of",
    "take_step",
    "unlock_database",
]


class Status(StrEnum):
    """Where a record is in its lifecycle, lowest first."""

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    VERIFIED = "verified"
    SIGNED = "signed"
    FROZEN = "frozen"
    LOCKED = "locked"


STATUS_LABEL = {
    Status.IN_PROGRESS: "In progress",
    Status.COMPLETE: "Complete",
    Status.VERIFIED: "Source verified",
    Status.SIGNED: "Signed",
    Status.FROZEN: "Frozen",
    Status.LOCKED: "Locked",
}


@dataclass(frozen=True)
class Done:
    """Who took a step, when, and why (unfreeze and unlock need a reason)."""

    username: str
    role: str
    at: str
    reason: str | None = None


@dataclass(frozen=True)
class ItemMark:
    """A monitor's source data verification mark on one item: the value it checked."""

    item: str
    value: Any
    username: str
    at: str


@dataclass(frozen=True)
class RecordState:
    """One record's lifecycle: its status, who/when of each step, the SDV marks in force."""

    record_id: int
    form: str
    record_key: str
    status: Status
    data_hash: str
    completed: Done | None = None
    verified: Done | None = None
    verification_outdated: bool = False
    """Verified once, changed since: the monitor must verify it again."""
    frozen: Done | None = None
    locked: Done | None = None
    sdv: dict[str, ItemMark] = field(default_factory=dict)
    """Items whose current value the monitor verified, by item id."""
    outdated_marks: tuple[str, ...] = ()
    """Items verified once whose value has changed since."""
    signatures: tuple[int, ...] = ()
    """Valid signatures that cover the record."""
    resign_needed: bool = False
    """A signature covering the record was voided by a change and none has replaced it."""

    @property
    def label(self) -> str:
        """The status in words."""
        return STATUS_LABEL[self.status]

    @property
    def editable(self) -> bool:
        """Whether the record's items may be changed (not frozen, not locked)."""
        return self.frozen is None and self.locked is None


@dataclass(frozen=True)
class SignedRecord:
    """One record as a signature covers it."""

    record_id: int
    form: str
    record_key: str
    data_hash: str
    audit_seq: int


@dataclass(frozen=True)
class SignatureView:
    """A signature as shown and printed: who, in what name, meaning, when, what, valid or why
    not."""

    id: int
    scope: str
    """`visit` (one record) or `casebook` (every record of the participant when signed)."""
    label: str
    """What was signed, in words: the visit's form and key, or "Casebook"."""
    record_id: int | None
    printed_name: str
    username: str
    role: str
    meaning: str
    signed_at: str
    records: tuple[SignedRecord, ...]
    manifest_hash: str
    valid: bool
    voided_because: str = ""


# --- reading states ----------------------------------------------------------------------------


def record_hash(row: FormRecord) -> str:
    """SHA-256 of a record's identity and content, as steps and signatures bind to it."""
    body = {"id": row.id, "form": row.form, "record_key": row.record_key, "data": row.data}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _done(step: RecordStep) -> Done:
    return Done(step.username, step.role, step.at, step.reason)


def _changed_after(session: StoreSession, record_id: int, seq: int) -> str:
    """Who changed a record after audit record `seq`, when and why, for a voided signature."""
    row = session.execute(
        select(AuditRecord.at, AuditRecord.username, AuditRecord.reason)
        .where(
            AuditRecord.table_name == FormRecord.__tablename__,
            AuditRecord.record_id == str(record_id),
            AuditRecord.seq > seq,
        )
        .order_by(AuditRecord.seq)
        .limit(1)
    ).first()
    if row is None:
        return ""
    return f" on {row.at[:16].replace('T', ' ')} UTC by {row.username}" + (
        f" ({row.reason})" if row.reason else ""
    )


def _signature_views(
    session: StoreSession, study: Study | None, signatures: Sequence[Signature]
) -> list[SignatureView]:
    ids = {int(r["record_id"]) for s in signatures for r in s.records}
    current = {
        row.id: row for row in session.scalars(select(FormRecord).where(FormRecord.id.in_(ids)))
    }
    views = []
    for sig in signatures:
        covered = tuple(SignedRecord(**r) for r in sig.records)
        why = ""
        for item in covered:
            row = current.get(item.record_id)
            what = _record_words(study, item.form, item.record_key)
            if row is None:
                why = f"{what} was removed after signing"
                break
            if record_hash(row) != item.data_hash:
                why = f"{what} changed after signing" + _changed_after(
                    session, item.record_id, item.audit_seq
                )
                break
        views.append(
            SignatureView(
                id=sig.id,
                scope=sig.scope,
                label=(
                    _record_words(study, covered[0].form, covered[0].record_key)
                    if sig.scope == "visit" and covered
                    else "Casebook"
                ),
                record_id=sig.record_id,
                printed_name=sig.printed_name,
                username=sig.username,
                role=sig.role,
                meaning=sig.meaning,
                signed_at=sig.signed_at,
                records=covered,
                manifest_hash=sig.manifest_hash,
                valid=not why,
                voided_because=why,
            )
        )
    return views


def _record_words(study: Study | None, form_id: str, key: str) -> str:
    if study is None or not study.has_form(form_id):
        return f"{form_id} {key}".strip()
    form = study.form(form_id)
    return f"{form.label} {study.key_label(form, key)}" if key else form.label


def _resign_needed(views: Sequence[SignatureView]) -> set[tuple[str, int | None]]:
    """The scopes (visit record or casebook) whose latest signature is voided."""
    latest: dict[tuple[str, int | None], SignatureView] = {}
    for view in sorted(views, key=lambda v: v.id):
        latest[(view.scope, view.record_id)] = view
    return {scope for scope, view in latest.items() if not view.valid}


def record_states(
    session: StoreSession, record_ids: Iterable[int], study: Study | None = None
) -> dict[int, RecordState]:
    """The lifecycle state of each record, by record id (ids that do not exist are left out).

    The caller has checked that the actor may see these records. `study` only words the
    reasons a signature was voided.
    """
    ids = sorted(set(record_ids))
    if not ids:
        return {}
    rows = {r.id: r for r in session.scalars(select(FormRecord).where(FormRecord.id.in_(ids)))}
    steps: dict[int, list[RecordStep]] = {}
    for step in session.scalars(
        select(RecordStep).where(RecordStep.record_id.in_(ids)).order_by(RecordStep.id)
    ):
        steps.setdefault(step.record_id, []).append(step)
    people = {r.participant_id for r in rows.values()}
    signatures = session.scalars(
        select(Signature).where(Signature.participant_id.in_(people)).order_by(Signature.id)
    ).all()
    views = _signature_views(session, study, signatures)
    resign = _resign_needed(views)
    return {rid: _fold(row, steps.get(rid, []), views, resign) for rid, row in rows.items()}


def _fold(
    row: FormRecord,
    steps: Sequence[RecordStep],
    views: Sequence[SignatureView],
    resign: set[tuple[str, int | None]],
) -> RecordState:
    now = record_hash(row)
    completed = verified = frozen = locked = None
    outdated = False
    marks: dict[str, ItemMark] = {}
    stale: set[str] = set()
    for step in steps:
        if step.step == "complete":
            completed = _done(step)
        elif step.step in ("sdv", "verify"):
            for item, value in (step.items or {}).items():
                marks[item] = ItemMark(item, value, step.username, step.at)
            if step.step == "verify":
                verified, outdated = (_done(step), False) if step.data_hash == now else (None, True)
        elif step.step == "freeze":
            frozen = _done(step)
        elif step.step == "unfreeze":
            frozen = None
        elif step.step == "lock":
            locked = _done(step)
        elif step.step == "unlock":
            locked = None
    for item, mark in list(marks.items()):
        if jsonable(row.data.get(item)) != jsonable(mark.value):
            stale.add(item)
            del marks[item]
    covering = tuple(
        v.id for v in views if v.valid and any(r.record_id == row.id for r in v.records)
    )
    voided = any(not v.valid and any(r.record_id == row.id for r in v.records) for v in views) and (
        ("casebook", None) in resign or ("visit", row.id) in resign
    )
    status = (
        Status.LOCKED
        if locked
        else Status.FROZEN
        if frozen
        else Status.SIGNED
        if covering
        else Status.VERIFIED
        if verified
        else Status.COMPLETE
        if completed
        else Status.IN_PROGRESS
    )
    return RecordState(
        record_id=row.id,
        form=row.form,
        record_key=row.record_key,
        status=status,
        data_hash=now,
        completed=completed,
        verified=verified,
        verification_outdated=outdated,
        frozen=frozen,
        locked=locked,
        sdv=marks,
        outdated_marks=tuple(sorted(stale)),
        signatures=covering,
        resign_needed=voided and not covering,
    )


def signatures_of(
    session: StoreSession, participant_id: int, study: Study | None = None
) -> list[SignatureView]:
    """Every signature of a participant's records, oldest first, each valid or voided and why.

    The caller has checked that the actor may see the participant.
    """
    signatures = session.scalars(
        select(Signature).where(Signature.participant_id == participant_id).order_by(Signature.id)
    ).all()
    return _signature_views(session, study, signatures)


@dataclass(frozen=True)
class Casebook:
    """A participant's records' states by (form, record key), signatures, re-signing needed."""

    study_number: str
    states: dict[tuple[str, str], RecordState]
    signatures: list[SignatureView]
    resign_needed: bool
    locked: LockState | None

    def state(self, form: str, key: str) -> RecordState | None:
        """The state of one record, if it exists."""
        return self.states.get((form, key))


def casebook(trial: Trial, actor: Actor, study_number: str) -> Casebook:
    """The lifecycle of every record of a participant, for the participant and record pages."""
    study = trial.definition()
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.VIEW_PARTICIPANT)
        # A blinded reviewer learns nothing, not even that a record exists, of a form that
        # reveals the arm.
        ids = session.scalars(
            select(FormRecord.id).where(
                FormRecord.participant_id == person.id,
                FormRecord.form.not_in(hidden_forms(actor, study)),
            )
        ).all()
        states = record_states(session, ids, study)
        views = signatures_of(session, person.id, study)
        return Casebook(
            study_number=study_number,
            states={(s.form, s.record_key): s for s in states.values()},
            signatures=views,
            resign_needed=bool(_resign_needed(views)),
            locked=database_lock(session),
        )


# --- steps ---------------------------------------------------------------------------------------


def _words(study: Study, row: FormRecord, number: str) -> str:
    return f"{_record_words(study, row.form, row.record_key)} of {number}"


def _when(done: Done) -> str:
    return f"by {done.username} on {done.at[:16].replace('T', ' ')} UTC"


def ensure_editable(session: StoreSession, study: Study, row: FormRecord, number: str) -> None:
    """Refuse a change to a frozen or locked record (called before a record is changed)."""
    state = record_states(session, [row.id])[row.id]
    what = _words(study, row, number)
    if state.locked:
        raise StateError(
            f"{what} is locked ({_when(state.locked)}) and cannot be changed; nothing was saved",
            "ask the data manager to unlock it, with a reason",
        )
    if state.frozen:
        raise StateError(
            f"{what} is frozen ({_when(state.frozen)}) and cannot be changed; nothing was saved",
            "ask the data manager to unfreeze it, with a reason",
        )


ACTIONS = {
    "complete": Action.MARK_COMPLETE,
    "sdv": Action.VERIFY_SOURCE,
    "verify": Action.VERIFY_SOURCE,
    "freeze": Action.FREEZE,
    "unfreeze": Action.FREEZE,
    "lock": Action.LOCK_RECORDS,
    "unlock": Action.LOCK_RECORDS,
}
"""The permission each step of a record needs (from the one permission table)."""


def _refusal(step: str, state: RecordState, what: str) -> StateError | None:
    """Why `step` may not be taken from `state`, or None."""
    if state.locked and step != "unlock":
        return StateError(
            f"{what} is locked ({_when(state.locked)}); nothing was changed",
            "ask the data manager to unlock it first, with a reason",
        )
    needs_complete = step in ("sdv", "verify", "freeze", "lock")
    if needs_complete and state.completed is None:
        return StateError(
            f"{what} is in progress: it can be {_PAST[step]} only once the site has marked it "
            "complete; nothing was changed",
            "mark it complete first (`cairo6 record complete`, or Mark complete on its page)",
        )
    if step == "complete" and state.completed is not None:
        return StateError(
            f"{what} is already complete ({_when(state.completed)}); nothing was changed",
            "nothing to do",
        )
    if step == "complete" and state.frozen:
        return StateError(f"{what} is frozen; nothing was changed", "ask the data manager")
    if step == "freeze" and state.frozen:
        return StateError(
            f"{what} is already frozen ({_when(state.frozen)}); nothing was changed",
            "nothing to do",
        )
    if step == "unfreeze" and not state.frozen:
        return StateError(f"{what} is not frozen; nothing was changed", "nothing to do")
    if step == "unlock" and not state.locked:
        return StateError(f"{what} is not locked; nothing was changed", "nothing to do")
    if step == "verify" and state.verified is not None:
        return StateError(
            f"{what} is already verified ({_when(state.verified)}) and has not changed since; "
            "nothing was changed",
            "nothing to do",
        )
    return None


_PAST = {"sdv": "marked", "verify": "verified", "freeze": "frozen", "lock": "locked"}


def _marks(
    study: Study, row: FormRecord, items: Sequence[str] | None, final: bool, what: str
) -> dict[str, Any]:
    form = study.form(row.form)
    entered = [
        i.id for i in form.items() if i.derived is None and row.data.get(i.id) not in (None, "")
    ]
    chosen = list(entered) if items is None else list(dict.fromkeys(items))
    unknown = [i for i in chosen if form.item(i) is None]
    if unknown:
        raise InvalidValueError(
            "items",
            ", ".join(unknown),
            f"items of {form.label}: {', '.join(i.id for i in form.items())}",
            "tick items of this form only",
        )
    if not chosen:
        raise InvalidValueError(
            "items", "", "at least one item checked against the source", "tick the items checked"
        )
    left = [i for i in entered if i not in chosen]
    if final and left:
        labels = ", ".join(form.item(i).label for i in left)  # type: ignore[union-attr]
        raise StateError(
            f"{what} cannot be verified while items are not checked against the source "
            f"({labels}); nothing was changed",
            "tick every entered item, or save the marks and verify later",
        )
    return {i: row.data.get(i) for i in chosen}


def take_step(
    trial: Trial,
    actor: Actor,
    study_number: str,
    form_id: str,
    step: str,
    *,
    record_key: str = "",
    reason: str | None = None,
    items: Sequence[str] | None = None,
) -> RecordState:
    """Take one lifecycle step of a record: complete, sdv (marks only), verify, freeze,
    unfreeze, lock or unlock. One audited transaction; a step that does not fit the record's
    state is refused with the reason, and nothing changes."""
    if step not in ACTIONS:
        raise InvalidValueError("step", step, ", ".join(ACTIONS), "choose one of the steps")
    study = trial.definition()
    form = study.form(form_id)
    require_unblinded_for(actor, form)
    if step in ("unfreeze", "unlock"):
        reason = reason_for(reason, f"{step} the record")
    with trial.db.write(actor, insert_reason=reason) as session:
        person = participant(session, actor, study_number, ACTIONS[step])
        if step == "complete":
            # A reviewer completes the review forms they record; a nurse, the clinical ones.
            require(actor, records.RECORD_ACTION[form.recorded_by], person.centre_id)
        row = records.record_row(session, person, form, record_key)
        what = _words(study, row, study_number)
        state = record_states(session, [row.id], study)[row.id]
        refusal = _refusal(step, state, what)
        if refusal is not None:
            raise refusal
        marks = (
            _marks(study, row, items, step == "verify", what) if step in ("sdv", "verify") else None
        )
        session.add(
            RecordStep(
                record_id=row.id,
                participant_id=person.id,
                step=step,
                data_hash=state.data_hash,
                items=marks,
                username=actor.username,
                role=actor.role,
                at=now_iso(),
                reason=reason,
            )
        )
        session.flush()
        return record_states(session, [row.id], study)[row.id]


def _signer(session: StoreSession, actor: Actor, password: str) -> User:
    user = session.scalars(select(User).where(User.username == actor.username)).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise InvalidValueError(
            "password",
            "(hidden)",
            f"the password of {actor.username}, the signer",
            "type your own password again; a signature needs it every time",
        )
    return user


def _sign_failed(db: Database, actor: Actor, study_number: str) -> None:
    # A wrong password at signing is an attempted use of the signer's identity: kept in the
    # trail (21 CFR 11.300(d)), in its own transaction since the signature's rolled back.
    with db.write(actor) as session:
        audit.append(
            session.connection(),
            actor,
            "sign_failed",
            Signature.__tablename__,
            "-",
            {"participant": study_number},
            participant=study_number,
        )


def _latest_seqs(session: StoreSession, study_number: str, ids: Sequence[int]) -> dict[int, int]:
    # By participant first: that column is indexed, so a long trail is not read whole.
    rows = session.execute(
        select(AuditRecord.record_id, func.max(AuditRecord.seq))
        .where(
            AuditRecord.participant == study_number,
            AuditRecord.table_name == FormRecord.__tablename__,
            AuditRecord.record_id.in_([str(i) for i in ids]),
        )
        .group_by(AuditRecord.record_id)
    ).all()
    return {int(rid): int(seq) for rid, seq in rows}


def sign(
    trial: Trial,
    actor: Actor,
    study_number: str,
    password: str,
    *,
    form_id: str | None = None,
    record_key: str = "",
) -> SignatureView:
    """The investigator signs one visit (a record: `form_id`, `record_key`) or, without
    `form_id`, the participant's whole casebook, re-entering their password.

    Every record signed must be complete. The signature records the printed name, the meaning
    declared by the study, the time, and each record's SHA-256 and latest audit sequence number.
    """
    study = trial.definition()
    meaning = study.manifest.data_management.signature_meaning
    try:
        with trial.db.write(actor) as session:
            person = participant(session, actor, study_number, Action.SIGN)
            user = _signer(session, actor, password)
            if form_id is not None:
                rows = [records.record_row(session, person, study.form(form_id), record_key)]
            else:
                rows = list(
                    session.scalars(
                        select(FormRecord)
                        .where(FormRecord.participant_id == person.id)
                        .order_by(FormRecord.id)
                    )
                )
                if not rows:
                    raise StateError(
                        f"{study_number} has no records to sign; nothing was signed",
                        "enter and complete the participant's forms first",
                    )
            states = record_states(session, [r.id for r in rows], study)
            open_ = [_words(study, r, study_number) for r in rows if not states[r.id].completed]
            if open_:
                raise StateError(
                    f"only complete records can be signed; in progress: {', '.join(open_)}; "
                    "nothing was signed",
                    "ask the site to mark them complete, then sign",
                )
            seqs = _latest_seqs(session, study_number, [r.id for r in rows])
            covered = [
                {
                    "record_id": r.id,
                    "form": r.form,
                    "record_key": r.record_key,
                    "data_hash": states[r.id].data_hash,
                    "audit_seq": seqs.get(r.id, 0),
                }
                for r in rows
            ]
            scope = "visit" if form_id is not None else "casebook"
            printed = user.full_name.strip() or user.username
            at = now_iso()
            manifest = {
                "participant": study_number,
                "scope": scope,
                "records": covered,
                "printed_name": printed,
                "username": user.username,
                "meaning": meaning,
                "signed_at": at,
            }
            signature = Signature(
                participant_id=person.id,
                scope=scope,
                record_id=rows[0].id if scope == "visit" else None,
                username=user.username,
                printed_name=printed,
                role=actor.role,
                meaning=meaning,
                signed_at=at,
                records=covered,
                manifest_hash=hashlib.sha256(canonical(manifest).encode("utf-8")).hexdigest(),
            )
            session.add(signature)
            session.flush()
            return _signature_views(session, study, [signature])[0]
    except InvalidValueError as exc:
        if exc.field == "password":
            _sign_failed(trial.db, actor, study_number)
        raise
