"""Every GET route of the app, with its path parameters filled from the data of a database.

Walks `app.routes`, so a page or API route added later (by any part of the app) is visited too.
A path parameter is filled with every value the data offer for its name (every participant,
every form of the study, every screening entry, every query, every centre, every adverse
event); a route whose parameter this
module has no values for is reported, so the walk can never quietly skip a new route.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.routing import Route

from cairo6.service.trial import Trial
from cairo6.store.schema import Centre, FormRecord, Participant, Query, Screening

PARAM = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")
SKIPPED = {"logout"}
"""GET routes not worth a visit (none today: sign-out is a POST)."""


@dataclass
class RouteData:
    """The values each path parameter takes, and the record keys of each participant's forms."""

    values: dict[str, list[str]]
    keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(study number, form) -> the record keys it holds, for the `?key=` of an edit page."""


def route_data(trial: Trial) -> RouteData:
    """Every study number, screening number, form and query of the database (read directly:
    what a route may show is the route's business, not this walker's)."""
    study = trial.definition()
    with trial.db.read() as session:
        numbers = dict(session.execute(select(Participant.id, Participant.study_number)).all())
        records = session.execute(
            select(FormRecord.participant_id, FormRecord.form, FormRecord.record_key)
        ).all()
        events = [
            str(i)
            for i in session.scalars(
                select(FormRecord.id).where(
                    FormRecord.form.in_([f.id for f in study.forms if f.adverse_event])
                )
            )
        ]
        centres = list(session.scalars(select(Centre.code)))
        screening = list(session.scalars(select(Screening.screening_number)))
        queries = [str(q) for q in session.scalars(select(Query.id))]
    keys: dict[tuple[str, str], list[str]] = {}
    for pid, form, key in records:
        keys.setdefault((numbers[pid], form), []).append(key)
    return RouteData(
        {
            "study_number": sorted(numbers.values()),
            "number": screening,
            "form_id": [f.id for f in study.forms],
            "query_id": queries,
            "code": centres,
            "record_id": events,  # the adverse events (the safety pages' records)
        },
        keys,
    )


def _flatten(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Route):  # a page, an API route, or the OpenAPI document
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
            inner = prefix + getattr(getattr(route, "include_context", None), "prefix", "")
            yield from _flatten(route.original_router.routes, inner)


def get_routes(app: FastAPI) -> list[tuple[str, Route]]:
    """Every GET route of the app (pages and API), with its full path."""
    return [
        (path, r)
        for path, r in _flatten(app.routes)
        if "GET" in (r.methods or ()) and r.name not in SKIPPED
    ]


def get_paths(app: FastAPI, data: RouteData) -> list[tuple[str, str]]:
    """(route name, URL) for every GET route and every filling of its path parameters; a route
    that names one record by `?key=` once per record of that participant's form."""
    out: list[tuple[str, str]] = []
    for full, route in get_routes(app):
        names = PARAM.findall(full)
        missing = [n for n in names if n not in data.values]
        assert not missing, f"route {route.name} ({full}) takes {missing}: add values"
        for combo in itertools.product(*(data.values[n] for n in names)):
            filled = dict(zip(names, combo, strict=True))
            path = PARAM.sub(lambda m, f=filled: quote(f[m.group(1)], safe=""), full)
            if (
                isinstance(route, APIRoute)
                and "form_id" in filled
                and "key" in {q.name for q in route.dependant.query_params}
            ):
                # A page of one saved record: one visit per record the participant has.
                found = data.keys.get((filled["study_number"], filled["form_id"]), [])
                out += [(route.name, f"{path}?key={quote(k, safe='')}") for k in found]
                continue
            out.append((route.name, path))
    return out
