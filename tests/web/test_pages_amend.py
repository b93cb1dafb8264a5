"""The protocol versions page over HTTP, on SQLite and PostgreSQL: the administrator checks and
records an amendment; a refused one shows every problem and records nothing."""

from __future__ import annotations

import re

from cairo6.service import amendments
from cairo6.service.setup import open_trial
from cairo6.study.loader import bundled_study_folder
from tests.web.conftest import login

PHASE3 = "cairo6/phase3"


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, text
    return found.group(1)


def test_versions_page_checks_and_records_an_amendment(app: object, web_site: object) -> None:
    client, _ = login(app, "admin")  # type: ignore[arg-type]
    shown = client.get("/admin/versions")
    assert shown.status_code == 200
    assert "version 1" in shown.text
    assert PHASE3 in shown.text
    form = {"csrf_token": _csrf(shown.text), "shipped": PHASE3, "effective": "2020-01-01"}

    checked = client.post("/admin/versions", data={**form, "reason": "phase 3", "do": "check"})
    assert checked.status_code == 200, checked.text
    assert "minimisation factor hipec_drug dropped" in checked.text
    assert "accrual target 80 -&gt; 358" in checked.text
    assert "Check of version 2 (nothing recorded)" in checked.text
    trial = web_site.trial  # type: ignore[attr-defined]
    assert [v.number for v in amendments.versions(trial, web_site.admin)] == [1]  # type: ignore[attr-defined]

    no_reason = client.post("/admin/versions", data={**form, "reason": " ", "do": "record"})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text

    recorded = client.post(
        "/admin/versions",
        data={**form, "reason": "phase 3 approved", "do": "record"},
        follow_redirects=False,
    )
    assert recorded.status_code == 303, recorded.text
    listed = client.get("/admin/versions").text
    assert "phase 3 approved" in listed
    assert "2 (in force)" in listed
    # Another process (here: the test's own trial object) follows within a second; a fresh
    # one at once.
    assert open_trial(trial.db).protocol.accrual.target == 358


def test_a_refused_amendment_names_every_problem(app: object, web_site: object) -> None:
    client, _ = login(app, "admin")  # type: ignore[arg-type]
    token = _csrf(client.get("/admin/versions").text)
    forms = (bundled_study_folder("cairo6") / "forms.toml").read_text(encoding="utf-8")
    broken = {
        "csrf_token": token,
        "effective": "2020-01-01",
        "reason": "test",
        "do": "record",
        "file:forms.toml": forms.replace('id = "surgery"', 'id = "surgery2"', 1),
    }
    refused = client.post("/admin/versions", data=broken)
    assert refused.status_code == 422
    assert "does not load" in refused.text
    assert "surgery" in refused.text
    before = client.post(
        "/admin/versions", data={**broken, "file:forms.toml": "", "shipped": PHASE3,
                                 "effective": "2017-01-01"},
    )  # fmt: skip
    assert before.status_code == 422
    assert "2017-06-15" in before.text
    sneaky = client.post(
        "/admin/versions", data={**broken, "file:forms.toml": "", "shipped": "../../etc"}
    )
    assert sneaky.status_code == 422
    trial = web_site.trial  # type: ignore[attr-defined]
    assert [v.number for v in amendments.versions(trial, web_site.admin)] == [1]  # type: ignore[attr-defined]


def test_only_the_administrator_amends(app: object) -> None:
    client, csrf = login(app, "dm")  # type: ignore[arg-type]
    assert client.get("/admin/versions").status_code == 403
    posted = client.post(
        "/admin/versions",
        data={"csrf_token": csrf, "shipped": PHASE3, "effective": "2020-01-01", "reason": "x",
              "do": "record"},
    )  # fmt: skip
    assert posted.status_code == 403
