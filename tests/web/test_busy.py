"""A change that cannot get its turn to write is answered 503 with Retry-After."""

from __future__ import annotations

from cairo6.store.engine import Database
from cairo6.web.app import create_app
from cairo6.web.settings import WebSettings
from tests.service.conftest import Site
from tests.store.locking import write_lock_held
from tests.web.conftest import login


def test_a_write_that_waits_too_long_gets_503_busy_retry(web_site: Site) -> None:
    impatient = Database(web_site.trial.db.url, write_wait_seconds=0.3)
    app = create_app(impatient, WebSettings())
    client, csrf = login(app, "inv1")
    body = {"centre": "C01", "screened_on": "2018-02-01", "approached": True, "refused": False}
    with write_lock_held(web_site.trial.db):
        answer = client.post("/api/screening", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert "busy, retry" in answer.json()["message"]
    # Nothing was left half-done: the same request now goes through.
    again = client.post("/api/screening", json=body, headers={"X-CSRF-Token": csrf})
    assert again.status_code in (200, 201), again.text
    client.close()
    impatient.dispose()
