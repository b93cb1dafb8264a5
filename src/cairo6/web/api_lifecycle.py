"""JSON API of the form lifecycle: each record's status with who/when of each step and its
item marks, and the participant's signatures (valid, or voided and why). The lifecycle service
checks the permission, as for the pages and the command line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from cairo6.service import lifecycle
from cairo6.web import auth
from cairo6.web.api import ERRORS
from cairo6.web.context import Web, api_csrf, signed_in

router = APIRouter(
    prefix="/api", tags=["form lifecycle"], responses=ERRORS, dependencies=[Depends(api_csrf)]
)
Signed = Annotated[auth.SignedIn, Depends(signed_in)]
Number = Annotated[str, Path(min_length=1, max_length=32)]


class StepOut(BaseModel):
    """Who took a step, when, and why."""

    username: str
    at: str
    reason: str | None


class RecordStateOut(BaseModel):
    """One record's place in its lifecycle."""

    form: str
    record_key: str
    status: str
    data_hash: str
    completed: StepOut | None
    verified: StepOut | None
    verification_outdated: bool
    frozen: StepOut | None
    locked: StepOut | None
    sdv: dict[str, Any]
    """Items verified against the source: the value checked, by whom and when."""
    resign_needed: bool


class SignatureOut(BaseModel):
    """A signature: printed name, meaning, time, what it covers, valid or why not."""

    scope: str
    label: str
    printed_name: str
    username: str
    meaning: str
    signed_at: str
    records: list[dict[str, Any]]
    manifest_hash: str
    valid: bool
    voided_because: str


class LifecycleOut(BaseModel):
    """Every record's state and every signature of one participant."""

    study_number: str
    records: list[RecordStateOut]
    signatures: list[SignatureOut]
    resign_needed: bool
    database_locked_at: str | None


def _step(done: lifecycle.Done | None) -> StepOut | None:
    return None if done is None else StepOut(username=done.username, at=done.at, reason=done.reason)


@router.get("/participants/{study_number}/lifecycle", response_model=LifecycleOut)
def api_participant_lifecycle(web: Web, user: Signed, study_number: Number) -> LifecycleOut:
    """The status of each record of the participant and the signatures of their casebook."""
    book = lifecycle.casebook(web.trial(), user.actor, study_number)
    states = sorted(book.states.values(), key=lambda s: s.record_id)
    return LifecycleOut(
        study_number=book.study_number,
        records=[
            RecordStateOut(
                form=s.form,
                record_key=s.record_key,
                status=s.status.value,
                data_hash=s.data_hash,
                completed=_step(s.completed),
                verified=_step(s.verified),
                verification_outdated=s.verification_outdated,
                frozen=_step(s.frozen),
                locked=_step(s.locked),
                sdv={
                    i: {"value": m.value, "username": m.username, "at": m.at}
                    for i, m in s.sdv.items()
                },
                resign_needed=s.resign_needed,
            )
            for s in states
        ],
        signatures=[
            SignatureOut(
                scope=v.scope,
                label=v.label,
                printed_name=v.printed_name,
                username=v.username,
                meaning=v.meaning,
                signed_at=v.signed_at,
                records=[r.__dict__ for r in v.records],
                manifest_hash=v.manifest_hash,
                valid=v.valid,
                voided_because=v.voided_because,
            )
            for v in book.signatures
        ],
        resign_needed=book.resign_needed,
        database_locked_at=book.locked.at if book.locked else None,
    )
