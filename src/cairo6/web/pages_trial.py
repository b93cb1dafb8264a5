"""The trial's pages: dashboard, screening and eligibility, randomisation, participants and
their forms, queries, central review worklists and the audit history.

Every page calls the services, which check the user's role and centre; a refused request ends
in the shared error page (403, or 404 for another centre's records) before any data is read.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cairo6.errors import (
    FieldProblem,
    FormError,
    InvalidValueError,
    StateError,
)
from cairo6.protocol import Protocol
from cairo6.protocol.eligibility import explain, reads
from cairo6.schedule import Calendar, PlannedCycle, Status
from cairo6.service import audit_view, enrolment, expected, queries, review, web_support
from cairo6.service.concealment import BLINDED, diagnostic_for, may_see_allocation
from cairo6.service.participants import view
from cairo6.service.permissions import Action, require
from cairo6.service.records import RECORD_ACTION
from cairo6.store.schema import Screening
from cairo6.web import auth, pages_safety, readable
from cairo6.web.context import Form, Web, page_csrf, signed_in
from cairo6.web.fields import (
    FieldSpec,
    checklist_groups,
    checklist_text,
    column_fields,
    parse_checklist,
    words,
)
from cairo6.web.listing import Filter, listing
from cairo6.web.pages_lifecycle import participant_lifecycle
from cairo6.web.recordfields import display
from cairo6.web.render import page, problems_by_field, redirect

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]

STATUS_CLASS = {
    Status.MET: "ok",
    Status.MISSED: "bad",
    Status.OVERDUE: "bad",
    Status.NOT_YET_DUE: "wait",
    Status.NOT_APPLICABLE: "muted",
}


def reference_date(request: Request) -> dt.date:
    """The date windows are judged on: `?on=YYYY-MM-DD`, else today."""
    try:
        return dt.date.fromisoformat(request.query_params.get("on", ""))
    except ValueError:
        return dt.date.today()


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- dashboard --------------------------------------------------------------------------------


@router.get("/", name="dashboard")
def dashboard(request: Request, web: Web, user: Signed) -> Response:
    """Accrual against target, windows due or overdue, open queries."""
    trial = web.trial()
    actor = user.actor
    on = reference_date(request)
    due = (
        web_support.due_worklist(trial, actor, on)
        if web_support.may(actor, Action.VIEW_PARTICIPANT) and may_see_allocation(actor)
        else None
    )
    open_queries = (
        web_support.query_list(trial, actor, on=on)
        if web_support.may(actor, Action.VIEW_QUERIES)
        else None
    )
    return page(
        request,
        "dashboard.html",
        {
            "trial": trial.protocol.trial,
            "accrual": web_support.accrual(trial, actor),
            "due": due,
            "queries": open_queries,
            "on": on,
            "safety": pages_safety.dashboard_panel(web, trial, actor),
            "expected": expected.dashboard_panel(trial, actor, on),
            "reviews": review.review_panel(trial, actor),
        },
    )


# --- screening, eligibility, randomisation -------------------------------------------------


def _screening_fields(web: Web) -> list[FieldSpec]:
    del web  # the screening log's columns are the same for every trial
    return [f for f in column_fields(Screening) if f.name != "screening_number"]


def _progress(row: web_support.ScreeningRow) -> str:
    """Where a screening entry got to, in the words the log's filter offers."""
    if row.study_number:
        return "randomised"
    if not row.approached or row.refused:
        return "not approached or refused"
    if row.eligible is None:
        return "eligibility not assessed"
    return "eligible, not randomised" if row.eligible else "not eligible"


def _screening_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    values: dict[str, str] | None = None,
    error: Exception | None = None,
) -> Response:
    trial = web.trial()
    fields = _screening_fields(web)
    rows = listing(
        request,
        web_support.screening_log(trial, user.actor, limit=None),
        text=lambda r: " ".join((r.number, r.centre, r.study_number or "", _progress(r))),
        filters=[
            Filter("centre", "Centre", lambda r: r.centre),
            Filter("progress", "Where it got to", _progress),
        ],
    )
    centres = web_support.centre_codes(trial, user.actor)
    errors, general = (
        problems_by_field(error, {f.name for f in fields} | {"centre"}) if error else ({}, [])
    )
    return page(
        request,
        "screening.html",
        {
            "rows": rows,
            "fields": fields,
            "centres": centres,
            "values": values or {"screened_on": dt.date.today().isoformat()},
            "errors": errors,
            "general": general,
        },
        status=422 if error else 200,
    )


@router.get("/screening", name="screening_list")
def screening_list(request: Request, web: Web, user: Signed) -> Response:
    """The screening log and the form to add to it."""
    return _screening_page(request, web, user)


@writes.post("/screening", name="screening_add")
def screening_add(request: Request, web: Web, user: Signed, data: Form) -> Response:
    """Log a potentially eligible patient."""
    require(user.actor, Action.SCREEN)  # before validation, so a refused role learns nothing
    trial = web.trial()
    fields = _screening_fields(web)
    values = {f.name: data.get(f.name, "") for f in fields}
    centre = data.get("centre", "")
    try:
        number = enrolment.add_screening(trial, user.actor, centre, values)
    except (InvalidValueError, StateError) as exc:
        return _screening_page(request, web, user, {**values, "centre": centre}, exc)
    return redirect(f"/screening/{number}", msg="screened")


def _criteria(protocol: Protocol, detail: web_support.ScreeningDetail) -> list[dict[str, str]]:
    """Each assessed criterion as a clinician reads it: its words, "meets / does not meet"
    (inclusion) or "excluded / not excluded" (exclusion), and the recorded values in labels."""
    rows = []
    for criterion in protocol.eligibility:
        stored = detail.verdicts.get(criterion.id)
        if stored is None:
            continue
        verdict = stored["verdict"]
        rows.append(
            {
                "text": criterion.text,
                "kind": criterion.kind,
                "reads": reads(criterion.kind, verdict),
                "why": explain(protocol, criterion, detail.data, assessable=verdict != "unknown"),
                "class": {"met": "ok", "not_met": "bad"}.get(verdict, "wait"),
            }
        )
    return rows


def _screening_detail(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    number: str,
    *,
    values: dict[str, str] | None = None,
    error: Exception | None = None,
) -> Response:
    trial = web.trial()
    detail = web_support.screening_detail(trial, user.actor, number, Action.ASSESS_ELIGIBILITY)
    criteria = _criteria(trial.protocol, detail)
    field_ids = {f.id for f in trial.protocol.fields} | {"assessed_on"}
    errors, general = problems_by_field(error, field_ids) if error else ({}, [])
    return page(
        request,
        "screening_detail.html",
        {
            "detail": detail,
            "criteria": criteria,
            "groups": checklist_groups(trial.protocol),
            "values": values
            or {
                **checklist_text(trial.protocol, detail.data),
                "assessed_on": (detail.assessed_on or dt.date.today()).isoformat(),
            },
            "errors": errors,
            "general": general,
        },
        status=422 if error else 200,
    )


@router.get("/screening/{number}", name="screening_detail")
def screening_detail(request: Request, web: Web, user: Signed, number: str) -> Response:
    """A screening entry: the eligibility checklist and each criterion's verdict."""
    return _screening_detail(request, web, user, number)


@writes.post("/screening/{number}/eligibility", name="eligibility_save")
def eligibility_save(request: Request, web: Web, user: Signed, number: str, data: Form) -> Response:
    """Assess the checklist; every failed criterion is explained on the page."""
    trial = web.trial()
    web_support.screening_detail(trial, user.actor, number, Action.ASSESS_ELIGIBILITY)
    known = {f.id for f in trial.protocol.fields}
    entered = {k: v for k, v in data.items() if k in known}
    values = {**entered, "assessed_on": data.get("assessed_on", "")}
    checklist, problems = parse_checklist(trial.protocol, entered)
    try:
        assessed_on = dt.date.fromisoformat(values["assessed_on"])
    except ValueError:
        problems.append(FieldProblem("assessed_on", values["assessed_on"], "not a date YYYY-MM-DD"))
    try:
        if problems:
            raise FormError("eligibility", problems)
        enrolment.assess_eligibility(trial, user.actor, number, checklist, assessed_on)
    except (InvalidValueError, StateError) as exc:
        return _screening_detail(request, web, user, number, values=values, error=exc)
    return redirect(f"/screening/{number}", msg="assessed")


def _randomise_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    number: str,
    values: dict[str, str] | None = None,
    error: Exception | None = None,
) -> Response:
    trial = web.trial()
    detail = web_support.screening_detail(trial, user.actor, number, Action.RANDOMISE)
    accrual = web_support.accrual(trial, user.actor)
    fields = {"enrolled_on", "deviation", "confirm", "past_target"}
    errors, general = problems_by_field(error, fields) if error else ({}, [])
    return page(
        request,
        "randomise.html",
        {
            "detail": detail,
            "next_number": accrual.total + 1,
            "target": accrual.target,
            "values": values or {"enrolled_on": dt.date.today().isoformat()},
            "errors": errors,
            "general": general,
        },
        status=(400 if isinstance(error, StateError) else 422) if error else 200,
    )


@router.get("/screening/{number}/randomise", name="randomise_confirm")
def randomise_confirm(request: Request, web: Web, user: Signed, number: str) -> Response:
    """The confirmation step before an allocation that cannot be undone."""
    return _randomise_page(request, web, user, number)


@writes.post("/screening/{number}/randomise", name="randomise")
def randomise(request: Request, web: Web, user: Signed, number: str, data: Form) -> Response:
    """Randomise, then show the allocation once (reloading cannot allocate again)."""
    trial = web.trial()
    values = {k: data.get(k, "") for k in ("enrolled_on", "deviation", "confirm", "past_target")}
    web_support.screening_detail(trial, user.actor, number, Action.RANDOMISE)
    try:
        # Every problem of the form at once, at its field.
        problems = []
        if values["confirm"] != "yes":
            problems.append(
                FieldProblem("confirm", None, "tick the box to confirm the allocation is final")
            )
        accrual = web_support.accrual(trial, user.actor)
        if accrual.total >= accrual.target and values["past_target"] != "yes":
            problems.append(
                FieldProblem(
                    "past_target",
                    None,
                    f"this would be participant {accrual.total + 1} of a target of "
                    f"{accrual.target}; tick the box to randomise past the target",
                )
            )
        try:
            enrolled_on = dt.date.fromisoformat(values["enrolled_on"])
        except ValueError:
            problems.append(
                FieldProblem("enrolled_on", values["enrolled_on"], "a date YYYY-MM-DD; enter it")
            )
        if problems:
            raise FormError("randomise", problems)
        result = enrolment.randomise(
            trial,
            user.actor,
            number,
            enrolled_on,
            deviation=values["deviation"].strip() or None,
            past_target=values["past_target"] == "yes",
        )
    except (InvalidValueError, StateError) as exc:
        return _randomise_page(request, web, user, number, values, exc)
    response = page(
        request,
        "randomised.html",
        {
            "result": result,
            "arm": trial.protocol.arm(result.arm),
            "diagnostic": diagnostic_for(user.actor, result.diagnostic),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- participants ------------------------------------------------------------------------------


@router.get("/participants", name="participant_list")
def participant_list(request: Request, web: Web, user: Signed) -> Response:
    """Participants the user may see."""
    trial = web.trial()
    arms = {a.id: a.label for a in trial.protocol.arms}
    # Only roles that may see an allocation can search or filter by it.
    shows_arm = web_support.may(user.actor, Action.VIEW_ALLOCATION)

    def status(row: web_support.ParticipantRow) -> str:
        return "off study" if row.off_study else "on study"

    def text(row: web_support.ParticipantRow) -> str:
        arm = arms.get(row.arm, row.arm) if shows_arm and row.arm else ""
        return f"{row.study_number} {row.centre} {status(row)} {arm}"

    filters = [Filter("centre", "Centre", lambda r: r.centre), Filter("status", "Status", status)]
    if shows_arm:
        filters.append(Filter("arm", "Arm", lambda r: r.arm or "", lambda a: arms.get(a, a)))
    rows = listing(
        request, web_support.participant_list(trial, user.actor), text=text, filters=filters
    )
    return page(request, "participants.html", {"rows": rows, "arms": arms, "shows_arm": shows_arm})


def _levels(protocol: Protocol, levels: dict[str, Any]) -> list[tuple[str, str]]:
    """Minimisation levels as people read them: the factor's and the level's labels."""
    factors = {f.id: f for f in protocol.randomization.factors}
    shown = []
    for key, value in levels.items():
        factor = factors.get(key)
        if factor is None:
            shown.append((words(key).capitalize(), words(str(value))))
            continue
        level = next((lv.label for lv in factor.levels if lv.id == str(value)), str(value))
        shown.append((factor.label, level))
    return shown


def _cycle_rows(protocol: Protocol, cycles: tuple[PlannedCycle, ...]) -> list[dict[str, Any]]:
    regimens = {r.id: r.label for r in protocol.regimens}
    rows = []
    for c in cycles:
        shift = (c.actual - c.planned).days if c.actual and c.planned else None
        flag = "" if shift is None else ("on plan" if shift == 0 else f"{shift:+d} days")
        rows.append(
            {
                "number": c.number,
                "regimen": regimens.get(c.regimen, c.regimen),
                "planned": c.planned,
                "actual": c.actual,
                "flag": flag,
                "flag_class": "muted" if shift in (None, 0) else "wait",
                "bev_planned": c.antiangiogenic_planned,
                "bev_given": c.antiangiogenic_given,
                "reduced": c.reduced_dose,
            }
        )
    return rows


def _event_rows(calendar: Calendar) -> list[dict[str, Any]]:
    rows = []
    for event, span in calendar.ranges.items():
        notes = []
        if span.conflict is not None:
            notes.append("conflict: " + span.conflict)
        if span.waiting:
            notes.append("waiting for: " + ", ".join(span.waiting))
        rows.append(
            {
                "label": calendar.label(event),
                "earliest": span.earliest,
                "latest": span.latest,
                "actual": calendar.events[event].actual,
                "note": "; ".join(notes),
            }
        )
    return rows


def _item_rows(
    study: Any,
    form: Any,
    key: str,
    values: dict[str, Any],
    on_items: dict[tuple[str, str, str], list[queries.QueryRow]],
) -> list[tuple[str, str, str, list[queries.QueryRow]]]:
    """(item id, label, value people read, the item's queries) for every item with a value."""
    ids = [i.id for i in form.items() if values.get(i.id) is not None]
    shown = display(study, form, values)
    return [
        (item, label, text, on_items.get((form.id, key, item), []))
        for item, (label, text) in zip(ids, shown, strict=True)
    ]


def _participant_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    study_number: str,
    *,
    query_values: dict[str, str] | None = None,
    query_error: Exception | None = None,
) -> Response:
    trial = web.trial()
    actor = user.actor
    on = reference_date(request)
    record = view(trial, actor, study_number, on)
    study = trial.definition()
    query_rows = (
        web_support.query_list(trial, actor, study_number=study_number, include_closed=True)
        if web_support.may(actor, Action.VIEW_QUERIES)
        else []
    )
    on_items = queries.item_queries(query_rows)
    forms = [
        {
            "form": form,
            "records": [
                (key, study.key_label(form, key), _item_rows(study, form, key, values, on_items))
                for key, values in saved
            ],
            "can_add": (form.repeating or not saved) and not form.retired,
            "editable": web_support.may(actor, RECORD_ACTION[form.recorded_by]),
        }
        for form in study.forms
        if form.id in record.records  # a blinded reader gets no form that reveals the arm
        for saved in [record.records[form.id]]
    ]
    calendar = record.calendar
    errors, general = (
        problems_by_field(query_error, {"form", "field_name", "question", "record_key"})
        if query_error
        else ({}, [])
    )
    return page(
        request,
        "participant.html",
        {
            "p": record,
            "study": study,
            "arm": trial.protocol.arm(record.arm) if record.arm else None,
            "blinded_text": BLINDED,
            "on": on,
            "forms": forms,
            "levels": _levels(trial.protocol, record.levels),
            "neoadjuvant": _cycle_rows(trial.protocol, calendar.neoadjuvant) if calendar else [],
            "adjuvant": _cycle_rows(trial.protocol, calendar.adjuvant) if calendar else [],
            "events": _event_rows(calendar) if calendar else [],
            "checks": record.compliance,
            "status_class": STATUS_CLASS,
            "query_rows": query_rows,
            "expected": expected.expected_rows(trial, actor, on, study_number=study_number)
            if web_support.may(actor, Action.VIEW_EXPECTED_FORMS)
            else None,
            "query_values": query_values or {},
            "query_forms": [(f.id, f.label) for f in study.forms if f.id in record.records],
            "lifecycle": participant_lifecycle(trial, actor, study_number),
            "errors": errors,
            "general": general,
        },
        status=422 if query_error else 200,
    )


@router.get("/participants/{study_number}", name="participant_page")
def participant_page(request: Request, web: Web, user: Signed, study_number: str) -> Response:
    """A participant: allocation, calendar with windows, every form's records, queries."""
    return _participant_page(request, web, user, study_number)


@router.get("/participants/{study_number}/audit", name="participant_audit")
def participant_audit(request: Request, web: Web, user: Signed, study_number: str) -> Response:
    """Who changed which field of this participant's record, when, and why."""
    trial = web.trial()
    rows = readable.audit_rows(trial.study, audit_view.history(trial, user.actor, study_number))
    shown = listing(
        request,
        rows,
        text=lambda r: " ".join(
            str(r[k] or "")
            for k in (
                "username",
                "action",
                "record",
                "item",
                "old_text",
                "new_text",
                "reason",
                "field",
            )
        ),
        filters=[
            Filter("record", "Record", lambda r: str(r["record"])),
            Filter("action", "Action", lambda r: str(r["action"])),
            Filter("who", "Who", lambda r: str(r["username"])),
        ],
    )
    return page(request, "audit.html", {"study_number": study_number, "rows": shown})


# --- queries -----------------------------------------------------------------------------------

_RAISE_FIELDS = ("form", "field_name", "record_key", "question")
_FILTERS = ("state", "centre", "form", "age", "q")


def _raise_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    study_number: str,
    values: dict[str, str],
    error: Exception | None = None,
) -> Response:
    target = queries.query_target(
        web.trial(),
        user.actor,
        study_number,
        values.get("form", ""),
        values.get("field_name", ""),
        values.get("record_key") if "record_key" in values else None,
    )
    errors, general = problems_by_field(error, set(_RAISE_FIELDS)) if error else ({}, [])
    return page(
        request,
        "query_raise.html",
        {"t": target, "values": values, "errors": errors, "general": general},
        status=422 if error else 200,
    )


@router.get("/participants/{study_number}/queries/new", name="query_new")
def query_new(
    request: Request,
    web: Web,
    user: Signed,
    study_number: str,
    form: str = "",
    item: str = "",
    key: str | None = None,
) -> Response:
    """The raise-a-query form for one item of one record (the control beside each item)."""
    values = {"form": form, "field_name": item}
    if key is not None:
        values["record_key"] = key
    return _raise_page(request, web, user, study_number, values)


@writes.post("/participants/{study_number}/queries", name="query_raise")
def query_raise(
    request: Request, web: Web, user: Signed, study_number: str, data: Form
) -> Response:
    """Raise a query on one item of one of the participant's records."""
    values = {k: data.get(k, "") for k in _RAISE_FIELDS}
    # The control beside an item names its record exactly ("" is a once-per-participant
    # record); the participant page's form may leave the key out when there is one record.
    key = values["record_key"].strip()
    exact = data.get("from") == "item"
    try:
        queries.raise_query(
            web.trial(),
            user.actor,
            study_number,
            values["form"],
            values["field_name"],
            values["question"],
            record_key=key if key or exact else None,
        )
    except (InvalidValueError, StateError) as exc:
        if isinstance(exc, InvalidValueError) and exc.field == "item":
            exc = InvalidValueError("field_name", exc.value, exc.allowed, exc.action)
        if isinstance(exc, InvalidValueError) and exc.field == "record":
            exc = InvalidValueError("record_key", exc.value, exc.allowed, exc.action)
        if exact and not (
            isinstance(exc, InvalidValueError) and exc.field in ("form", "field_name", "record_key")
        ):
            return _raise_page(request, web, user, study_number, values, exc)
        return _participant_page(
            request, web, user, study_number, query_values=values, query_error=exc
        )
    return redirect(f"/participants/{study_number}", msg="raised")


def query_filter(request: Request) -> queries.QueryFilter:
    """The list's filters from the address: state, centre, form, age (days), q, page."""
    params = request.query_params
    try:
        age = int(params["age"]) if params.get("age", "").strip() else None
        number = int(params.get("page", "1") or 1)
    except ValueError:
        raise InvalidValueError(
            "age", params.get("age"), "a whole number of days", "give the minimum age in days"
        ) from None
    return queries.QueryFilter(
        state=params.get("state", "") or ("all" if params.get("all") == "1" else "unresolved"),
        centre=params.get("centre", ""),
        form=params.get("form", ""),
        min_age_days=age,
        search=params.get("q", "")[:200],
        page=number,
    )


def _query_page(
    request: Request, web: Web, user: auth.SignedIn, general: list[str] | None = None
) -> Response:
    trial = web.trial()
    wanted = query_filter(request)
    found = queries.query_page(trial, user.actor, wanted, reference_date(request))
    keep = {
        k: v
        for k, v in request.query_params.items()
        if k in ("state", "centre", "form", "age", "q")
    }
    return page(
        request,
        "queries.html",
        {
            "found": found,
            "rows": found.rows,
            "wanted": wanted,
            "keep": keep,
            "states": queries.STATE_FILTERS,
            "centres": web_support.query_centres(trial, user.actor),
            "forms": [(f.id, f.label) for f in trial.definition().forms],
            "general": general or [],
        },
        status=422 if general else 200,
    )


@router.get("/queries", name="query_list")
def query_list(request: Request, web: Web, user: Signed) -> Response:
    """The queries the user may see: filters by state, centre, form, age; search; pages."""
    return _query_page(request, web, user)


def _query_done(
    request: Request, web: Web, user: auth.SignedIn, query_id: int, msg: str, error: str = ""
) -> Response:
    if _is_htmx(request):
        row = web_support.query_row(web.trial(), user.actor, query_id)
        return page(request, "_query_row.html", {"q": row, "row_error": error})
    if error:
        return _query_page(request, web, user, [error])
    return redirect("/queries", msg=msg)


@writes.post("/queries/{query_id}/answer", name="query_answer")
def query_answer(request: Request, web: Web, user: Signed, query_id: int, data: Form) -> Response:
    """The site's answer to a query."""
    try:
        queries.answer_query(web.trial(), user.actor, query_id, data.get("answer", ""))
    except (InvalidValueError, StateError) as exc:
        return _query_done(request, web, user, query_id, "", str(exc))
    return _query_done(request, web, user, query_id, "answered")


@writes.post("/queries/{query_id}/close", name="query_close")
def query_close(request: Request, web: Web, user: Signed, query_id: int, data: Form) -> Response:
    """The trial office closes a query, with a note everybody sees."""
    try:
        queries.close_query(
            web.trial(), user.actor, query_id, data.get("note", "").strip() or "resolved"
        )
    except (InvalidValueError, StateError) as exc:
        return _query_done(request, web, user, query_id, "", str(exc))
    return _query_done(request, web, user, query_id, "closed")


@writes.post("/queries/{query_id}/reopen", name="query_reopen")
def query_reopen(request: Request, web: Web, user: Signed, query_id: int, data: Form) -> Response:
    """The trial office re-opens an answered or closed query, saying why."""
    try:
        queries.reopen_query(web.trial(), user.actor, query_id, data.get("reason", ""))
    except (InvalidValueError, StateError) as exc:
        return _query_done(request, web, user, query_id, "", str(exc))
    return _query_done(request, web, user, query_id, "reopened")


@router.get("/fragments/query-fields", name="query_fields", response_class=HTMLResponse)
def query_fields(request: Request, web: Web, user: Signed, form: str = "") -> Response:
    """The fields of a form, as options for the raise-a-query form (htmx)."""
    del user  # signing in is all this needs: it lists the data dictionary, not data
    study = web.trial().definition()
    found = study.form(form) if study.has_form(form) else None
    options = [(i.id, i.label) for i in found.items() if i.derived is None] if found else []
    return page(request, "_field_options.html", {"options": options})


# --- central review worklists ------------------------------------------------------------------


def _worklist(request: Request, web: Web, user: auth.SignedIn, recorded_by: str) -> Response:
    trial = web.trial()
    forms = web_support.review_forms(trial.definition(), recorded_by)
    rows = web_support.review_worklist(trial, user.actor, recorded_by)
    form = forms[0] if forms else None
    return page(
        request,
        "worklist.html",
        {
            "rows": rows,
            "form": form,
            "key": form.key_items[0] if form and form.key_items else "",
            "title": form.label if form else "Central review",
        },
    )


@router.get("/review/radiology", name="radiology_worklist")
def radiology_worklist(request: Request, web: Web, user: Signed) -> Response:
    """Central radiology reviews to do and done (the study's radiology forms)."""
    return _worklist(request, web, user, "radiology")


@router.get("/review/pathology", name="pathology_worklist")
def pathology_worklist(request: Request, web: Web, user: Signed) -> Response:
    """Central pathology reviews to do and done (the study's pathology forms)."""
    return _worklist(request, web, user, "pathology")
