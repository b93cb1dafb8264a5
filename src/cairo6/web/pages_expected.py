"""Expected forms: the page, its CSV download and its JSON.

Every figure comes from `service.expected`, which decides who sees which centre; the reference
date is read from `?on=YYYY-MM-DD` or, failing that, from the clock, once, here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.service import expected
from cairo6.web import auth
from cairo6.web.context import Web, api_csrf, signed_in
from cairo6.web.listing import listing
from cairo6.web.pages_trial import reference_date
from cairo6.web.render import page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", dependencies=[Depends(api_csrf)], tags=["expected forms"])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]


def _filters(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "")[:32] for k in ("centre", "status")}


@router.get("/expected", name="expected_list")
def expected_list(request: Request, web: Web, user: Signed) -> Response:
    """Forms overdue, due or missing on the reference date, per participant and per centre."""
    trial = web.trial()
    on = reference_date(request)
    wanted = _filters(request)
    rows = expected.expected_rows(trial, user.actor, on, **wanted)
    # Searched and paged like every list; the per-centre counts are of everything filtered.
    shown = listing(
        request, rows, text=lambda r: f"{r.study_number} {r.centre} {r.form_label} {r.what}"
    )
    return page(
        request,
        "expected.html",
        {
            "rows": shown,
            "centres": expected.per_centre(rows),
            "on": on,
            "wanted": wanted,
            "statuses": expected.STATUSES,
            "query": "&".join(f"{k}={v}" for k, v in {**wanted, "on": on.isoformat()}.items() if v),
        },
    )


@router.get("/expected.csv", name="expected_csv")
def expected_csv(request: Request, web: Web, user: Signed) -> Response:
    """The same rows as a CSV file (for the data manager's follow-up of the sites)."""
    on = reference_date(request)
    rows = expected.expected_rows(web.trial(), user.actor, on, **_filters(request))
    return Response(
        expected.as_csv(rows, on),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="expected-forms-{on}.csv"'},
    )


@api.get("/expected", name="api_expected", response_model=list[expected.ExpectedRow])
def api_expected(
    request: Request, web: Web, user: Signed, centre: str = "", status: str = ""
) -> list[expected.ExpectedRow]:
    """Expected forms not yet entered on `on` (default today): status overdue, due, missing."""
    return expected.expected_rows(
        web.trial(), user.actor, reference_date(request), centre=centre, status=status
    )
