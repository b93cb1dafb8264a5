"""The JSON API under /api/, described by the OpenAPI document at /api/openapi.json.

Authentication: POST /api/login with JSON sets the session cookie and returns the CSRF token;
every other state-changing request sends that token in the `X-CSRF-Token` header. The same
services as the pages and the command line do the work and the checking.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from cairo6.errors import FormError
from cairo6.protocol.eligibility import reads
from cairo6.service import admin, audit_view, enrolment, queries, web_support
from cairo6.service.concealment import diagnostic_for, may_see_allocation
from cairo6.service.participants import view
from cairo6.service.permissions import Action, require
from cairo6.web import auth, pages_trial
from cairo6.web.context import (
    SESSION_COOKIE,
    Web,
    api_csrf,
    client_of,
    cookie_secure,
    jsonable,
    signed_in,
)
from cairo6.web.fields import parse_checklist
from cairo6.web.pages_trial import reference_date

Signed = Annotated[auth.SignedIn, Depends(signed_in)]
RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Number = Annotated[str, Path(min_length=1, max_length=32)]
Text = Annotated[str, Field(max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """One refused field."""

    field: str
    message: str


class ErrorOut(BaseModel):
    """Every refusal: a title, the message in plain words, and the fields concerned."""

    error: str
    message: str
    problems: list[Problem] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422)
}

public = APIRouter(prefix="/api", tags=["session"], responses=ERRORS)
router = APIRouter(prefix="/api", responses=ERRORS, dependencies=[Depends(api_csrf)])


# --- session ------------------------------------------------------------------------------------


class LoginIn(_In):
    """Credentials."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=auth.MAX_PASSWORD)


class SessionOut(BaseModel):
    """The signed-in user and the CSRF token to send in `X-CSRF-Token`."""

    username: str
    role: str
    centre: str | None
    full_name: str
    csrf_token: str


def _session_out(user: auth.SignedIn) -> SessionOut:
    return SessionOut(
        username=user.actor.username,
        role=user.actor.role,
        centre=user.centre_code,
        full_name=user.full_name,
        csrf_token=user.csrf_token,
    )


@public.post("/login", name="api_login", response_model=SessionOut)
def api_login(request: Request, web: Web, body: LoginIn) -> Response:
    """Sign in; the session cookie is set on the response.

    Only JSON is accepted, which a page on another site cannot send without the browser asking
    this server first (and this server never says yes).
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return JSONResponse(
            {"error": "Unsupported request", "message": "send JSON (application/json)"},
            status_code=415,
        )
    try:
        web.limiter.check(client_of(request))
        token, user = auth.sign_in(
            web.db, web.settings, body.username, body.password, client_of(request)
        )
    except auth.TooManyAttemptsError as exc:
        return JSONResponse(
            {
                "error": "Too many requests",
                "message": "too many sign-in attempts from your address; wait and try again",
            },
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except auth.SignInRefusedError:
        return JSONResponse(
            {
                "error": "Please sign in",
                "message": "the username or password is wrong, or the account is locked",
            },
            status_code=401,
        )
    response = JSONResponse(jsonable(_session_out(user)))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    return response


@public.get("/session", name="api_session", response_model=SessionOut)
def api_session(user: Signed) -> SessionOut:
    """Who is signed in, and the CSRF token."""
    return _session_out(user)


@router.post("/logout", name="api_logout", status_code=204, tags=["session"])
def api_logout(request: Request, web: Web, user: Signed) -> Response:
    """End the session."""
    auth.sign_out(web.db, user, client_of(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- dashboard ----------------------------------------------------------------------------------


class CentreAccrualOut(BaseModel):
    """Counts for one centre."""

    code: str
    name: str
    started_recruiting: dt.date | None
    randomised: int
    screened: int


class DueOut(BaseModel):
    """A window due or overdue."""

    study_number: str
    centre: str
    what: str
    status: str
    earliest: dt.date | None
    latest: dt.date | None
    days_overdue: int
    note: str


class DashboardOut(BaseModel):
    """Accrual against target; due windows and open queries for the roles that see them."""

    target: int
    total: int
    centres: list[CentreAccrualOut]
    due: list[DueOut] | None
    open_queries: int | None


@router.get("/dashboard", name="api_dashboard", response_model=DashboardOut, tags=["trial"])
def api_dashboard(web: Web, user: Signed, on: dt.date | None = None) -> DashboardOut:
    """The dashboard's figures on `on` (default today)."""
    trial = web.trial()
    actor = user.actor
    acc = web_support.accrual(trial, actor)
    due = None
    if web_support.may(actor, Action.VIEW_PARTICIPANT) and may_see_allocation(actor):
        due = [
            DueOut(
                study_number=d.study_number,
                centre=d.centre,
                what=d.item.what,
                status=d.item.status,
                earliest=d.item.earliest,
                latest=d.item.latest,
                days_overdue=d.item.days_overdue,
                note=d.item.note,
            )
            for d in web_support.due_worklist(trial, actor, on or dt.date.today())
        ]
    count = (
        len(web_support.query_list(trial, actor))
        if web_support.may(actor, Action.VIEW_QUERIES)
        else None
    )
    return DashboardOut(
        target=acc.target,
        total=acc.total,
        centres=[CentreAccrualOut(**vars(c)) for c in acc.centres],
        due=due,
        open_queries=count,
    )


# --- screening, eligibility, randomisation ------------------------------------------------------


class ScreeningIn(_In):
    """A screening-log entry."""

    centre: str = Field(max_length=16)
    screened_on: dt.date
    approached: bool
    refused: bool | None = None
    refusal_reason: str | None = Field(default=None, max_length=40)
    refusal_other: Text | None = None
    not_approached_reason: Text | None = None


class ScreeningOut(BaseModel):
    """A screening-log entry as listed."""

    number: str
    centre: str
    screened_on: dt.date
    approached: bool
    refused: bool | None
    refusal_reason: str | None
    eligible: bool | None
    study_number: str | None


class CreatedNumber(BaseModel):
    """The number given to a new screening entry."""

    screening_number: str


@router.get(
    "/screening", name="api_screening_list", response_model=list[ScreeningOut], tags=["trial"]
)
def api_screening_list(web: Web, user: Signed) -> list[ScreeningOut]:
    """The screening log (own centre for investigators)."""
    return [ScreeningOut(**vars(r)) for r in web_support.screening_log(web.trial(), user.actor)]


@router.post(
    "/screening",
    name="api_screening_add",
    status_code=201,
    response_model=CreatedNumber,
    tags=["trial"],
)
def api_screening_add(web: Web, user: Signed, body: ScreeningIn) -> CreatedNumber:
    """Log a potentially eligible patient."""
    require(user.actor, Action.SCREEN)
    data = body.model_dump(exclude={"centre"})
    number = enrolment.add_screening(web.trial(), user.actor, body.centre, data)
    return CreatedNumber(screening_number=number)


CheckValue = StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=200)]


class EligibilityIn(_In):
    """The checklist: protocol field id -> value (dates as YYYY-MM-DD); missing = unknown."""

    assessed_on: dt.date
    data: dict[Annotated[str, Field(max_length=64)], CheckValue | None]


class VerdictOut(BaseModel):
    """One criterion's verdict and why."""

    criterion: str
    kind: str
    text: str
    verdict: str
    reads: str
    """The verdict as a clinician reads it: meets / does not meet (inclusion), excluded / not
    excluded (exclusion), or not assessable."""
    explanation: str


class EligibilityOut(BaseModel):
    """The verdict on every criterion."""

    eligible: bool
    criteria: list[VerdictOut]


@router.post(
    "/screening/{number}/eligibility",
    name="api_eligibility",
    response_model=EligibilityOut,
    tags=["trial"],
)
def api_eligibility(web: Web, user: Signed, number: Number, body: EligibilityIn) -> EligibilityOut:
    """Assess the eligibility checklist; each failed criterion is explained."""
    trial = web.trial()
    web_support.screening_detail(trial, user.actor, number, Action.ASSESS_ELIGIBILITY)
    data, problems = parse_checklist(trial.protocol, body.data)
    if problems:
        raise FormError("eligibility", problems)
    record = enrolment.assess_eligibility(trial, user.actor, number, data, body.assessed_on)
    criteria = {c.id: c for c in trial.protocol.eligibility}
    return EligibilityOut(
        eligible=record.eligible,
        criteria=[
            VerdictOut(
                criterion=cid,
                kind=criteria[cid].kind,
                text=criteria[cid].text,
                verdict=v["verdict"],
                reads=reads(criteria[cid].kind, v["verdict"]),
                explanation=v["explanation"],
            )
            for cid, v in record.verdicts.items()
        ],
    )


class RandomiseIn(_In):
    """Enrolment date, and the deviation when an ineligible patient is randomised."""

    enrolled_on: dt.date
    deviation: Text | None = None
    past_target: bool = False
    """Randomise although the protocol's accrual target is reached (refused otherwise)."""


class AllocationOut(BaseModel):
    """The allocation, shown once."""

    study_number: str
    arm: str
    arm_label: str
    sequence_number: int
    allocated_at: str
    diagnostic: dict[str, Any] | None


@router.post(
    "/screening/{number}/randomise",
    name="api_randomise",
    status_code=201,
    response_model=AllocationOut,
    tags=["trial"],
)
def api_randomise(web: Web, user: Signed, number: Number, body: RandomiseIn) -> AllocationOut:
    """Enrol and randomise; the allocation is final."""
    trial = web.trial()
    result = enrolment.randomise(
        trial,
        user.actor,
        number,
        body.enrolled_on,
        deviation=body.deviation,
        past_target=body.past_target,
    )
    return AllocationOut(
        study_number=result.study_number,
        arm=result.arm,
        arm_label=trial.protocol.arm(result.arm).label,
        sequence_number=result.sequence_number,
        allocated_at=result.allocated_at,
        diagnostic=diagnostic_for(user.actor, result.diagnostic),
    )


# --- participants and forms ----------------------------------------------------------------------


class ParticipantRowOut(BaseModel):
    """A participant as listed."""

    study_number: str
    centre: str
    enrolled_on: dt.date
    arm: str | None = Field(description="null for a blinded reviewer")
    off_study: bool


@router.get(
    "/participants",
    name="api_participant_list",
    response_model=list[ParticipantRowOut],
    tags=["participants"],
)
def api_participant_list(web: Web, user: Signed) -> list[ParticipantRowOut]:
    """Participants the user may see."""
    return [
        ParticipantRowOut(**vars(r)) for r in web_support.participant_list(web.trial(), user.actor)
    ]


@router.get("/participants/{study_number}", name="api_participant", tags=["participants"])
def api_participant(
    request: Request,
    web: Web,
    user: Signed,
    study_number: Number,
    on: Annotated[dt.date | None, Query(description="reference date (default today)")] = None,
) -> dict[str, Any]:
    """Records of every form (derived items included; `/api/participants/{n}/records` has
    them too), the calendar's windows and what is due, on `on`."""
    record = view(web.trial(), user.actor, study_number, on or reference_date(request))
    calendar = record.calendar
    return jsonable(
        {
            "study_number": record.study_number,
            "centre": record.centre,
            "enrolled_on": record.enrolled_on,
            "arm": record.arm,
            "sequence_number": record.sequence_number,
            "levels": record.levels,
            "diagnostic": record.diagnostic,
            "records": {
                form: [{"record_key": key, "items": values} for key, values in saved]
                for form, saved in record.records.items()
            },
            "problems": record.problems,
            "cycles": [
                {
                    "phase": c.phase.value,
                    "number": c.number,
                    "regimen": c.regimen,
                    "planned": c.planned,
                    "actual": c.actual,
                }
                for c in ((*calendar.neoadjuvant, *calendar.adjuvant) if calendar else ())
            ],
            "windows": [
                {
                    "window": w.window.id,
                    "label": w.window.label,
                    "status": w.status.value,
                    "description": w.describe(),
                    "earliest": w.earliest,
                    "latest": w.latest,
                    "actual": w.actual,
                }
                for w in record.compliance
            ],
            "actions": [
                {
                    "what": a.what,
                    "status": a.status,
                    "earliest": a.earliest,
                    "latest": a.latest,
                    "days_overdue": a.days_overdue,
                    "note": a.note,
                }
                for a in record.actions
            ],
        }
    )


@router.get(
    "/participants/{study_number}/audit", name="api_participant_audit", tags=["participants"]
)
def api_participant_audit(web: Web, user: Signed, study_number: Number) -> list[dict[str, Any]]:
    """Every change to the participant's record: who, when, field, old, new, why."""
    return jsonable(audit_view.history(web.trial(), user.actor, study_number))  # type: ignore[no-any-return]


# --- queries ------------------------------------------------------------------------------------


class QueryStepOut(BaseModel):
    """One step of a query's thread."""

    step: str
    username: str
    role: str
    at: str
    text: str | None


class QueryOut(BaseModel):
    """A data query on one item of one record, its state, who and when, and its thread."""

    id: int
    study_number: str
    centre: str
    form: str
    record_key: str | None
    record_id: int | None
    field_name: str
    question: str
    status: str
    raised_by: str
    raised_at: str | None
    answer: str | None
    answered_by: str | None
    answered_at: str | None
    closed_by: str | None
    closed_at: str | None
    close_note: str | None
    age_days: int | None
    thread: list[QueryStepOut]


class QueryIn(_In):
    """A question about one item of one record: participant, form, record key, item."""

    study_number: str = Field(max_length=32)
    form: str = Field(max_length=40)
    item: str = Field(max_length=64)
    record_key: str | None = Field(
        default=None,
        max_length=120,
        description="the record's key (see the participant's records); may be left out when "
        "the participant has one record of the form",
    )
    question: Text


class AnswerIn(_In):
    """The site's answer."""

    answer: Text


class CloseIn(_In):
    """A closing note."""

    note: Annotated[str, Field(max_length=500)] = "resolved"


class ReopenIn(_In):
    """Why the query is opened again."""

    reason: Annotated[str, Field(max_length=500)]


class Created(BaseModel):
    """The id of what was created."""

    id: int


def _query_out(row: queries.QueryRow) -> QueryOut:
    fields = {k: v for k, v in vars(row).items() if k in QueryOut.model_fields}
    return QueryOut(**{**fields, "thread": [QueryStepOut(**vars(s)) for s in row.thread]})


@router.get("/queries", name="api_query_list", response_model=list[QueryOut], tags=["queries"])
def api_query_list(
    request: Request,
    response: Response,
    web: Web,
    user: Signed,
    include_closed: bool = False,
) -> list[QueryOut]:
    """Queries the user may see. Filters: `state` (unresolved, open, answered, closed, all),
    `centre`, `form`, `age` (at least so many days open), `q` (search), `page` (25 a page;
    the headers X-Total-Count and X-Pages give the totals)."""
    wanted = pages_trial.query_filter(request)
    if include_closed and "state" not in request.query_params:
        wanted = queries.QueryFilter(**{**vars(wanted), "state": "all"})
    found = queries.query_page(web.trial(), user.actor, wanted, reference_date(request))
    response.headers["X-Total-Count"] = str(found.total)
    response.headers["X-Pages"] = str(found.pages)
    return [_query_out(r) for r in found.rows]


@router.get("/queries/{query_id}", name="api_query", response_model=QueryOut, tags=["queries"])
def api_query(web: Web, user: Signed, query_id: RecordId) -> QueryOut:
    """One query with its thread."""
    return _query_out(queries.query_row(web.trial(), user.actor, query_id))


@router.post(
    "/queries", name="api_query_raise", status_code=201, response_model=Created, tags=["queries"]
)
def api_query_raise(web: Web, user: Signed, body: QueryIn) -> Created:
    """Raise a query on one item of one record (trial office, monitors)."""
    qid = queries.raise_query(
        web.trial(),
        user.actor,
        body.study_number,
        body.form,
        body.item,
        body.question,
        record_key=body.record_key,
    )
    return Created(id=qid)


@router.post(
    "/queries/{query_id}/answer", name="api_query_answer", status_code=204, tags=["queries"]
)
def api_query_answer(web: Web, user: Signed, query_id: RecordId, body: AnswerIn) -> Response:
    """Answer an open query (site); an answered query cannot be answered again."""
    queries.answer_query(web.trial(), user.actor, query_id, body.answer)
    return Response(status_code=204)


@router.post("/queries/{query_id}/close", name="api_query_close", status_code=204, tags=["queries"])
def api_query_close(web: Web, user: Signed, query_id: RecordId, body: CloseIn) -> Response:
    """Close a query with a note (trial office)."""
    queries.close_query(web.trial(), user.actor, query_id, body.note.strip() or "resolved")
    return Response(status_code=204)


@router.post(
    "/queries/{query_id}/reopen", name="api_query_reopen", status_code=204, tags=["queries"]
)
def api_query_reopen(web: Web, user: Signed, query_id: RecordId, body: ReopenIn) -> Response:
    """Re-open an answered or closed query, saying why (trial office)."""
    queries.reopen_query(web.trial(), user.actor, query_id, body.reason)
    return Response(status_code=204)


# --- central review worklists -------------------------------------------------------------------


class ReviewOut(BaseModel):
    """A participant on a review worklist."""

    study_number: str
    centre: str
    done: dict[str, str]
    """Reviewed keys (time points, sites) -> record key, for `/api/participants/{n}/records`."""
    pending: list[str]
    note: str


@router.get(
    "/worklists/radiology",
    name="api_radiology_worklist",
    response_model=list[ReviewOut],
    tags=["review"],
)
def api_radiology_worklist(web: Web, user: Signed) -> list[ReviewOut]:
    """Central radiology reviews to do and done."""
    rows = web_support.review_worklist(web.trial(), user.actor, "radiology")
    return [ReviewOut(**vars(r)) for r in rows]


@router.get(
    "/worklists/pathology",
    name="api_pathology_worklist",
    response_model=list[ReviewOut],
    tags=["review"],
)
def api_pathology_worklist(web: Web, user: Signed) -> list[ReviewOut]:
    """Operated participants to review centrally."""
    rows = web_support.review_worklist(web.trial(), user.actor, "pathology")
    return [ReviewOut(**vars(r)) for r in rows]


# --- administration -----------------------------------------------------------------------------


class CentreIn(_In):
    """A new centre."""

    code: str = Field(max_length=16)
    name: str = Field(min_length=1, max_length=200)
    started_recruiting: dt.date | None = None


class CentreOut(BaseModel):
    """A centre."""

    code: str
    name: str
    started_recruiting: dt.date | None


class UserIn(_In):
    """A new account; investigators need a centre."""

    username: str = Field(max_length=64)
    role: str = Field(max_length=32)
    centre: str | None = Field(default=None, max_length=16)
    full_name: str = Field(default="", max_length=200)
    password: str | None = Field(default=None, max_length=auth.MAX_PASSWORD)


class UserOut(BaseModel):
    """An account (never its password hash)."""

    username: str
    full_name: str
    role: str
    centre: str | None
    active: bool
    has_password: bool
    locked_until: str | None


@router.get("/centres", name="api_centres", response_model=list[CentreOut], tags=["admin"])
def api_centres(web: Web, user: Signed) -> list[CentreOut]:
    """All centres."""
    return [
        CentreOut(code=c.code, name=c.name, started_recruiting=c.started_recruiting)
        for c in web_support.centres_for_admin(web.trial(), user.actor)
    ]


@router.post(
    "/centres", name="api_centre_add", status_code=201, response_model=CentreOut, tags=["admin"]
)
def api_centre_add(web: Web, user: Signed, body: CentreIn) -> CentreOut:
    """Register a centre."""
    centre = admin.add_centre(
        web.trial(), user.actor, body.code, body.name, body.started_recruiting
    )
    return CentreOut(
        code=centre.code, name=centre.name, started_recruiting=centre.started_recruiting
    )


@router.get("/users", name="api_users", response_model=list[UserOut], tags=["admin"])
def api_users(web: Web, user: Signed) -> list[UserOut]:
    """All accounts."""
    trial = web.trial()
    accounts = admin.list_users(trial, user.actor)
    codes = {c.id: c.code for c in admin.list_centres(trial)}
    return [
        UserOut(
            username=u.username,
            full_name=u.full_name,
            role=u.role,
            centre=codes.get(u.centre_id) if u.centre_id else None,
            active=u.active,
            has_password=bool(u.password_hash),
            locked_until=u.locked_until,
        )
        for u in accounts
    ]


@router.post("/users", name="api_user_add", status_code=201, tags=["admin"])
def api_user_add(web: Web, user: Signed, body: UserIn) -> Response:
    """Add an account, with a first password if given."""
    require(user.actor, Action.MANAGE_USERS)
    hashed = auth.hash_password(body.password, body.username) if body.password else None
    created = admin.add_user(
        web.trial(),
        user.actor,
        body.username,
        body.role,
        centre_code=body.centre,
        full_name=body.full_name,
        password_hash=hashed,
    )
    return JSONResponse({"username": created.username}, status_code=201)
