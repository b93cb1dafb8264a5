"""Safety pages: the serious-adverse-event line listing (page and CSV), one event with its
reporting clock and the site's reports (also as PDF for the sponsor), and the dashboard panel
of overdue reports. The service decides who sees which event; the clock is the app's `now`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.errors import InvalidValueError, StateError
from cairo6.service import safety
from cairo6.service.permissions import Action, allowed
from cairo6.service.safety_pdf import sae_pdf
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.web import auth
from cairo6.web.context import Form, Web, WebApp, page_csrf, signed_in
from cairo6.web.listing import Filter, listing
from cairo6.web.render import page, redirect

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]


def dashboard_panel(web: WebApp, trial: Trial, actor: Actor) -> dict[str, Any] | None:
    """The dashboard's overdue SAE reports (None for a role that does not follow safety)."""
    if not allowed(actor.role, Action.VIEW_SAFETY):
        return None
    now = web.now()
    return {"overdue": safety.overdue_events(trial, actor, now), "now": now}


def _download(body: bytes | str, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/safety", name="safety_list")
def safety_list(request: Request, web: Web, user: Signed, overdue: str = "") -> Response:
    """Every serious adverse event the user may see, overdue reports first when asked;
    searched, filtered and paged like every list."""
    now = web.now()
    events = safety.serious_events(web.trial(), user.actor, now)
    shown = [e for e in events if e.clock.overdue] if overdue else events

    def reporting(e: safety.SaeView) -> str:
        return "overdue" if e.clock.overdue else e.clock.state

    rows = listing(
        request,
        shown,
        text=lambda e: f"{e.study_number} {e.term} {e.form_label} {e.centre} {e.outcome}",
        filters=[
            Filter("centre", "Centre", lambda e: e.centre),
            Filter("reporting", "Reporting", reporting),
            Filter("form", "Form", lambda e: e.form_label),
        ],
    )
    return page(
        request,
        "safety.html",
        {"events": rows.rows, "rows": rows, "total": len(events), "overdue_only": bool(overdue),
         "now": now},
    )  # fmt: skip


@router.get("/safety.csv", name="safety_csv")
def safety_csv(web: Web, user: Signed) -> Response:
    """The SAE line listing as CSV, for the sponsor and the safety committee."""
    now = web.now()
    events = safety.serious_events(web.trial(), user.actor, now)
    return _download(
        safety.listing_csv(events),
        "text/csv; charset=utf-8",
        f"sae-listing-{now.date().isoformat()}.csv",
    )


def _event_page(
    request: Request, web: WebApp, user: auth.SignedIn, record_id: int, **extra: Any
) -> Response:
    view = safety.serious_event(web.trial(), user.actor, record_id, web.now())
    context = {"event": view, "narrative": "", "errors": {}, **extra}
    status = 422 if extra.get("errors") else 200
    return page(request, "safety_event.html", context, status=status)


@router.get("/safety/{record_id}", name="safety_event")
def safety_event(request: Request, web: Web, user: Signed, record_id: int) -> Response:
    """One SAE: the event, its clock, the reports sent and the e-mail attempts."""
    return _event_page(request, web, user, record_id)


@router.get("/safety/{record_id}/report.pdf", name="safety_pdf")
def safety_event_pdf(web: Web, user: Signed, record_id: int) -> Response:
    """One SAE as a PDF report for the sponsor."""
    now = web.now()
    trial = web.trial()
    view = safety.serious_event(trial, user.actor, record_id, now)
    body = sae_pdf(view, trial.protocol.trial.acronym, now)
    return _download(body, "application/pdf", f"sae-{view.study_number}-{record_id}.pdf")


@writes.post("/safety/{record_id}/report", name="safety_report")
def safety_report(request: Request, web: Web, user: Signed, record_id: int, data: Form) -> Response:
    """Send the next report (initial, follow-up or final) of an SAE."""
    narrative = data.get("narrative", "")
    try:
        safety.submit_report(
            web.trial(),
            user.actor,
            record_id,
            narrative,
            final=data.get("final", "") == "true",
            now=web.now(),
            mail=web.settings.mail,
        )
    except (InvalidValueError, StateError) as exc:
        return _event_page(
            request, web, user, record_id, narrative=narrative, errors={"narrative": [str(exc)]}
        )
    return redirect(f"/safety/{record_id}", msg="reported")
