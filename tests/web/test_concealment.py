"""Allocation concealment, for every role, over every reader of an allocation.

Generated from the permission table: every route of the matrix (`test_permissions.CASES`), the
exports (CSV, Parquet, ODM) and the command line's participant, randomise and audit views are
read by every account, and the minimisation diagnostic (arm totals, counts per factor level,
draws, probabilities, preferred arm) must reach exactly the roles with
VIEW_ALLOCATION_DIAGNOSTIC. A role with the permission must see it (so the check can fail).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from cairo6.cli import app as cli_app
from cairo6.cli.common import settings
from cairo6.service import exchange_export
from cairo6.service.audit_view import history
from cairo6.service.permissions import Action, allowed
from cairo6.service.record_exchange import export_records_odm
from tests.web.conftest import USERS, World, login
from tests.web.test_permissions import CASES, _send

# Keys that only a serialised diagnostic carries, in any rendering (JSON, HTML, a Python repr).
MARKERS = ("chosen_preferred", "block_counts", "new_block", "probabilities")


def _leaks(text: str) -> list[str]:
    return [m for m in MARKERS if m in text]


def _role(world: World, user: str) -> str:
    return str(getattr(world.site, user).role)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("user", USERS)
def test_no_route_shows_the_diagnostic_without_the_permission(
    app: FastAPI, world: World, user: str
) -> None:
    may = allowed(_role(world, user), Action.VIEW_ALLOCATION_DIAGNOSTIC)
    client, csrf = login(app, user)
    leaks: list[str] = []
    shown = False
    for case in CASES:
        path, body = case.build(world)
        answer = _send(client, csrf, case, path, body)
        if answer.status_code == 303:
            answer = client.get(answer.headers["location"])
        found = _leaks(answer.text)
        shown = shown or bool(found)
        if found and not may:
            leaks.append(f"{case.method} {path}: {found}")
    assert not leaks, f"{user} was shown the allocation diagnostic:\n" + "\n".join(leaks)
    if may:
        assert shown, f"{user} may see the diagnostic, yet no route showed it"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_exports_and_audit_history_conceal_the_diagnostic(world: World, tmp_path: Path) -> None:
    trial = world.site.trial
    for user in USERS:
        actor = getattr(world.site, user)
        may = allowed(actor.role, Action.VIEW_ALLOCATION_DIAGNOSTIC)
        if allowed(actor.role, Action.VIEW_AUDIT) and user != "inv2":  # inv2: another centre
            rows = history(trial, actor, world.p1)
            diagnostic = [r for r in rows if r["field"] == "diagnostic"]
            assert diagnostic, "the randomisation's audit record names its diagnostic"
            assert bool(_leaks(repr(rows))) == may, user
        if allowed(actor.role, Action.EXPORT):
            out = tmp_path / user
            exchange_export.export_csv(trial, actor, out / "csv")
            exchange_export.export_parquet(trial, actor, out / "parquet")
            export_records_odm(trial, actor, out / "odm.xml")
            for file in out.rglob("*"):
                if file.is_file():
                    text = file.read_bytes().decode("utf-8", "replace")
                    assert not (_leaks(text) and not may), f"{user}: {file.name} leaks"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_command_line_views_conceal_the_diagnostic(world: World) -> None:
    runner = CliRunner()
    env = {"CAIRO6_DATABASE_URL": world.site.trial.db.url}
    for user in USERS:
        actor = getattr(world.site, user)
        may = allowed(actor.role, Action.VIEW_ALLOCATION_DIAGNOSTIC)
        commands = [
            ["participant", "show", world.p1, "--on", "2018-03-01"],
            ["audit", "show", world.p1, "--json"],
            ["audit", "show", world.p1],
        ]
        if allowed(actor.role, Action.RANDOMISE):
            commands.append(["randomise", world.screened(), "--date", "2018-01-12"])
        for args in commands:
            settings.cache_clear()
            result = runner.invoke(cli_app, [*args, "--user", user], env=env)
            if result.exit_code != 0:
                continue  # refused: nothing shown
            found = _leaks(result.output)
            assert not (found and not may), f"{user}: {' '.join(args)} shows {found}"
            if may and args[0] == "participant":
                assert found, "the statistician sees the diagnostic on the command line"
