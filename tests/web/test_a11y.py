"""Every page of the app, as every role, has no serious or critical axe-core violation.

The database is the demo's: the study's bundled (SYNTHETIC) data imported through the services,
with the demonstration account of every role (`cairo6 demo-accounts`). The pages are every GET
route of the app (walked from `app.routes`, so pages added later are visited too), their path
parameters filled from that data: a participant and a screening entry of each of the first two
centres, every form, a query. Each role visits each route once (the first filling it may see,
or the refusal page when it may see none), and each form's entry and correction pages are
visited once; axe-core (see a11y.py) runs on each page in Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cairo6.service import queries
from cairo6.service.admin import add_user, bootstrap_admin
from cairo6.service.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, add_demo_accounts
from cairo6.service.exchange_import import import_directory
from cairo6.service.setup import initialise_study
from cairo6.service.trial import Trial, actor_for
from cairo6.store.engine import Database
from cairo6.store.schema import Centre, Participant, Screening
from cairo6.study.loader import DEFAULT_STUDY, bundled_study_folder, resolve_study
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.web.a11y import describe, violations
from tests.web.routes import RouteData, get_paths, route_data
from tests.web.test_browser import ARGS, CHROMIUM, sync_api
from tests.web.test_browser import server as server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trial]:
    """The demo database: the bundled study's data imported, every role's demo account."""
    definition, files = resolve_study(DEFAULT_STUDY)
    db = Database(tmp_path_factory.mktemp("demo") / "demo.db")
    trial = initialise_study(db, definition, files)
    bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    add_user(trial, boss, "dm", "data_manager")
    with db.read() as session:
        dm = actor_for(session, "dm")
    import_directory(trial, dm, bundled_study_folder() / "data")
    add_demo_accounts(trial, boss)
    first = _first_participants(trial)[0]
    queries.raise_query(trial, dm, first, "surgery", "cc_score", "Please check the CC score.")
    yield trial
    db.dispose()


def _first_participants(trial: Trial) -> list[str]:
    """The first participant of each of the first two centres (the investigators' centres)."""
    with trial.db.read() as session:
        centres = list(session.scalars(select(Centre.id).order_by(Centre.code).limit(2)))
        return [
            session.scalars(
                select(Participant.study_number)
                .where(Participant.centre_id == c)
                .order_by(Participant.study_number)
            ).first()
            or ""
            for c in centres
        ]


def _visit_data(trial: Trial) -> RouteData:
    """Every form and query, but only two participants and two screening entries: a page's
    markup depends on the form, not on which participant fills it."""
    data = route_data(trial)
    people = _first_participants(trial)
    with trial.db.read() as session:
        ids = dict(session.execute(select(Participant.study_number, Participant.id)).all())
        numbers = [
            session.scalars(
                select(Screening.screening_number)
                .join(Participant, Participant.screening_id == Screening.id)
                .where(Participant.id == ids[p])
            ).one()
            for p in people
        ]
    data.values["study_number"] = people
    data.values["number"] = numbers
    return data


@pytest.fixture(scope="module")
def demo_app(demo: Trial) -> FastAPI:
    """The real app on the demo database."""
    return create_app(demo.db, WebSettings())


@pytest.fixture
def app(demo_app: FastAPI) -> FastAPI:
    """The app the `server` fixture serves."""
    return demo_app


@pytest.fixture(scope="module")
def forms_seen() -> set[str]:
    """The form pages already checked, by any role."""
    return set()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, shared by every role's visits."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _is_page(path: str) -> bool:
    """HTML pages only: the JSON API and the htmx fragments are parts of pages, not pages, and
    a download (CSV, PDF, zip) is a file, not a page."""
    downloads = (".csv", ".pdf", ".zip", ".xlsx", ".docx")
    return not path.startswith(("/api/", "/fragments/")) and not path.split("?")[0].endswith(
        downloads
    )


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


@pytest.mark.parametrize("account", [a.username for a in DEMO_ACCOUNTS])
def test_every_page_as_every_role_has_no_serious_violation(
    demo: Trial, demo_app: FastAPI, server: str, browser: Any, forms_seen: set[str], account: str
) -> None:
    context = browser.new_context(base_url=server)
    page = context.new_page()
    _sign_in(page, account)
    seen: set[tuple[str, ...]] = set()
    failures: list[str] = []
    visited = 0
    for name, url in get_paths(demo_app, _visit_data(demo)):
        if not _is_page(url):
            continue
        status = context.request.get(url, max_redirects=0).status
        form = url.split("/records/")[1].split("/")[0] if "/records/" in url else ""
        # One visit per route a role may see; a form's pages once in all (the same template
        # for every role); one refusal page per status.
        key = (name,) if status < 300 else ("refused", str(status))
        if form and status < 300:
            key = (name, form)
            if f"{name}/{form}" in forms_seen:
                continue
            forms_seen.add(f"{name}/{form}")
        if key in seen:
            continue
        seen.add(key)
        page.goto(url)
        visited += 1
        found = violations(page)
        if found:
            failures.append(f"{account} {url} ({status}):\n{describe(found)}")
    context.close()
    assert visited > 3, f"{account} visited only {visited} pages"
    assert not failures, "\n".join(failures)
