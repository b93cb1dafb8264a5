"""What a user is told when entering and randomising, over HTTP with the real app.

Every problem of a form comes back in one answer, at its item (the page's own widgets, the
items' checks and the hard cross-form edit checks together), on the page and in the API; a
randomisation past the accrual target is refused until the user confirms it, on the page, in
the API and on the command line.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from cairo6.cli import app as cli
from cairo6.cli.common import settings
from cairo6.store.schema import FormRecord, Participant
from tests.web.conftest import World, login, surgery
from tests.web.toy_site import Toy, toy_site


def _error_at(html: str, item: str) -> str:
    found = re.search(rf'<span class="error" id="{item}-error">(.*?)</span>', html)
    assert found, f"no error shown at {item}"
    return found.group(1)


def _records(toy_or_world_db: object, form: str) -> int:
    db = toy_or_world_db
    with db.read() as session:  # type: ignore[attr-defined]
        return int(
            session.scalar(
                select(func.count()).select_from(FormRecord).where(FormRecord.form == form)
            )
        )


def test_a_cycle_form_reports_its_widget_item_and_cross_form_problems_at_once(
    app: FastAPI, world: World
) -> None:
    """The cycle of the issue: the date, the dose list and the regimen of the wrong phase were
    reported one save at a time; now in one answer, each at its item."""
    client, csrf = login(app, "inv1")
    before = _records(world.site.trial.db, "cycle")
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    answer = client.post(
        f"/participants/{world.p1}/records/cycle",
        data={
            "csrf_token": csrf,
            "phase": "adjuvant",
            "regimen": "CAPOX-B",  # a neoadjuvant regimen
            "cycle_number": "1",
            "given_on": future,
            "doses": "oxaliplatin = lots",
            "bevacizumab_given": "true",
        },
    )
    assert answer.status_code == 422
    assert "drug = dose in mg" in _error_at(answer.text, "doses")
    assert "not one of the chosen phase" in _error_at(answer.text, "regimen")
    # The summary at the top names each item to correct by its label, linked to it.
    assert '<a href="#f-doses">Doses given per drug</a>' in answer.text
    assert "cannot be in the future" in _error_at(answer.text, "given_on")
    assert _records(world.site.trial.db, "cycle") == before


def test_a_correction_without_a_reason_reports_the_records_problems_too(
    app: FastAPI, world: World
) -> None:
    client, csrf = login(app, "inv1")
    answer = client.post(
        f"/participants/{world.p1}/records/surgery/update",
        data={
            "csrf_token": csrf,
            "record_key": "",
            **{k: str(v) for k, v in surgery(dt.date(2018, 4, 20)).items() if k != "pci_regions"},
            **{f"pci_{r}": str(s) for r, s in surgery(dt.date(2018, 4, 20))["pci_regions"].items()},
            "cc_score": "9",
            "reason": "",
        },
    )
    assert answer.status_code == 422
    assert "why it changed" in _error_at(answer.text, "reason")
    assert _error_at(answer.text, "cc_score")


def test_the_api_names_every_item_and_check_in_one_answer(tmp_path: Path) -> None:
    toy = toy_site(tmp_path)
    number = toy.randomised()
    client, csrf = login(toy.app, "nurse")
    headers = {"X-CSRF-Token": csrf}
    base = client.post(
        f"/api/participants/{number}/records/baseline",
        json={"visit_date": "2024-02-01", "systolic": 150, "smoking": "never"},
        headers=headers,
    )
    assert base.status_code == 200, base.text
    refused = client.post(
        f"/api/participants/{number}/records/visit",
        json={"week": 4, "visit_date": "2024-01-20", "systolic": 999},
        headers=headers,
    )
    assert refused.status_code == 422
    problems = {p["field"]: p["message"] for p in refused.json()["problems"]}
    assert "after the baseline visit" in problems["visit_date"]  # a cross-form hard check
    assert "260" in problems["systolic"]  # the item's range
    assert _records(toy.trial.db, "visit") == 0


def _randomise_page(client: object, number: str, csrf: str, **extra: str) -> object:
    return client.post(  # type: ignore[attr-defined]
        f"/screening/{number}/randomise",
        data={"csrf_token": csrf, "enrolled_on": "2024-01-12", "confirm": "yes", **extra},
    )


def _participants(toy: Toy) -> int:
    with toy.trial.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Participant)))


def test_randomising_past_the_target_warns_and_needs_a_confirmation(tmp_path: Path) -> None:
    toy = toy_site(tmp_path, target=2)
    client, csrf = login(toy.app, "nurse")
    first = toy.screened()
    page = client.get(f"/screening/{first}/randomise")
    assert re.search(
        r"participant <strong data-next-number>1</strong> of a target of <strong>2", page.text
    )
    assert 'name="past_target"' not in page.text
    assert _randomise_page(client, first, csrf).status_code == 200
    toy.randomised()
    third = toy.screened()
    warned = client.get(f"/screening/{third}/randomise")
    assert "data-next-number>3<" in warned.text
    assert "target of 2 is already reached" in warned.text
    assert 'name="past_target"' in warned.text
    refused = _randomise_page(client, third, csrf)
    assert refused.status_code == 422
    assert "participant 3 of a target of 2" in _error_at(refused.text, "past_target")
    assert _participants(toy) == 2
    done = _randomise_page(client, third, csrf, past_target="yes")
    assert done.status_code == 200
    assert "data-study-number" in done.text
    assert _participants(toy) == 3


def test_the_api_and_the_cli_need_a_flag_past_the_target(tmp_path: Path) -> None:
    toy = toy_site(tmp_path, target=1)
    toy.randomised()
    client, csrf = login(toy.app, "nurse")
    number = toy.screened()
    body = {"enrolled_on": "2024-01-12"}
    refused = client.post(
        f"/api/screening/{number}/randomise", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code in (400, 409), refused.text
    assert "participant 2 of a target of 1" in refused.text
    assert _participants(toy) == 1
    done = client.post(
        f"/api/screening/{number}/randomise",
        json={**body, "past_target": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 201, done.text
    runner = CliRunner()
    another = toy.screened()
    args = ["randomise", another, "--date", "2024-01-12"]
    args += ["--db", str(tmp_path / "toy.db"), "--user", "dm"]
    settings.cache_clear()  # settings are read once per process; this stands for a new one
    stopped = runner.invoke(cli, args)
    assert stopped.exit_code != 0
    # `main()` turns the error into its one-line message; the runner keeps the error itself.
    assert "participant 3 of a target of 1" in str(stopped.exception)
    assert "--past-target" in str(stopped.exception)
    assert _participants(toy) == 2
    settings.cache_clear()
    went = runner.invoke(cli, [*args, "--past-target"])
    assert went.exit_code == 0, went.output
    assert re.search(r"\(sequence 3, \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC\)", went.output)
    assert not re.search(r"\d{4}-\d\d-\d\dT", went.output)  # never raw ISO
    assert _participants(toy) == 3
