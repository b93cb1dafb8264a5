"""The demonstration accounts: one per role, each signs in with the published demo password.

On a real trial database (the service tests' two centres) through the real app: every role of
the permission table has a demo account, the investigators are at two different centres, a
password that is already set is kept, and running it twice changes nothing.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from cairo6.cli import app as cli_app
from cairo6.cli.common import settings
from cairo6.service.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, add_demo_accounts
from cairo6.service.permissions import CENTRE_BOUND, Role
from cairo6.store.schema import User
from tests.service.conftest import Site
from tests.web.conftest import PASSWORD, login


def test_every_role_has_a_demo_account() -> None:
    assert {a.role for a in DEMO_ACCOUNTS} == set(Role)
    investigators = [a.centre for a in DEMO_ACCOUNTS if a.role == Role.INVESTIGATOR]
    assert sorted(investigators) == [0, 1]  # two investigators at different centres
    assert all(a.centre is not None for a in DEMO_ACCOUNTS if a.role in CENTRE_BOUND)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_accounts_sign_in_and_keep_passwords_already_set(web_site: Site, app: FastAPI) -> None:
    trial = web_site.trial
    created = {c.account.username: c for c in add_demo_accounts(trial, web_site.admin)}
    assert set(created) == {a.username for a in DEMO_ACCOUNTS}
    # The test site has admin, dm, inv1, inv2, monitor, ... with a password already.
    assert not created["dm"].password_set
    assert not created["dm"].added
    assert created["nurse1"].added
    assert created["nurse1"].password_set
    assert created["nurse1"].centre == "C01"
    assert created["inv2"].centre == "C02"
    with trial.db.read() as session:
        roles = {u.username: u.role for u in session.scalars(select(User))}
    assert {roles[a.username] for a in DEMO_ACCOUNTS} == set(Role)
    again = add_demo_accounts(trial, web_site.admin)
    assert not any(c.added or c.password_set for c in again)
    for account in DEMO_ACCOUNTS:
        fresh = created[account.username].password_set
        client, _ = login(app, account.username, DEMO_PASSWORD if fresh else PASSWORD)
        me = client.get("/api/session").json()
        assert me["role"] == account.role.value
        client.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_accounts_command(site: Site) -> None:
    settings.cache_clear()
    result = CliRunner().invoke(
        cli_app,
        ["demo-accounts", "--user", "admin"],
        env={"CAIRO6_DATABASE_URL": site.trial.db.url, "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "DEMO ONLY" in result.output
    # The console may wrap the line (its width is fixed by the first test that prints).
    assert DEMO_PASSWORD in " ".join(result.output.split())
    assert "nurse1" in result.output
    assert "research_nurse" in result.output
    settings.cache_clear()
    refused = CliRunner().invoke(
        cli_app,
        ["demo-accounts", "--user", "dm"],
        env={"CAIRO6_DATABASE_URL": site.trial.db.url},
    )
    assert refused.exit_code != 0
    assert "manage users" in refused.output
