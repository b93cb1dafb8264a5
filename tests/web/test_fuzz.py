"""A bounded, deterministic fuzz run of the JSON API against its own OpenAPI schema.

Schemathesis generates requests from /api/openapi.json for every operation, valid ones and
invalid ones, signed in as the data manager (the administrator for the administration
operations). Path parameters are often swapped for identifiers that exist, so that requests get
past "not found" into the services. However odd the input, the answer is never a 5xx.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web.conftest import World, login

pytestmark = pytest.mark.slow

EXAMPLES = 25
SKIP = {"POST /api/logout"}
"""Ending the session would only turn the remaining calls into 401s."""
ADMIN_PATHS = {"/api/centres", "/api/users"}


def _operation_test(
    operation: Any,
    mode: GenerationMode,
    session: tuple[dict[str, str], dict[str, str]],
    known: dict[str, list[Any]],
    failures: list[str],
    calls: list[int],
) -> Any:
    headers, cookies = session

    @given(pair=st.tuples(operation.as_strategy(generation_mode=mode), st.integers(0, 3)))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(pair: tuple[Any, int]) -> None:
        case, pick = pair
        if mode is GenerationMode.POSITIVE and pick < 3:
            for name in case.path_parameters or {}:
                if name in known:
                    case.path_parameters[name] = known[name][pick % len(known[name])]
        response = case.call(headers=headers, cookies=cookies)
        calls[0] += 1
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} {case.body!r}: {response.status_code}"
            )

    return call


def _fuzz(app: FastAPI, world: World, mode: GenerationMode) -> tuple[list[str], int]:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    sessions = {}
    for user in ("dm", "admin"):
        client, csrf = login(app, user)
        sessions[user] = (
            {"X-CSRF-Token": csrf},
            {"cairo6_session": client.cookies["cairo6_session"]},
        )
    known: dict[str, list[Any]] = {
        "study_number": [world.p1, world.p2],
        "number": [world.screening, world.screened(), world.screened(assessed=False)],
        "record_id": [1, 2, 3],
        "key": [world.toxicity_id, world.surgery_id, world.radiology_id],
        "form_id": ["toxicity", "surgery", "radiology"],
        "query_id": [world.query_id, world.query()],
    }
    failures: list[str] = []
    calls = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIP:
            continue
        user = "admin" if operation.path in ADMIN_PATHS else "dm"
        run = _operation_test(operation, mode, sessions[user], known, failures, calls)
        try:
            run()
        except Unsatisfiable:
            continue  # nothing about this operation can be made invalid (it has no input)
    return failures, calls[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_for_any_input(app: FastAPI, world: World, mode: GenerationMode) -> None:
    failures, calls = _fuzz(app, world, mode)
    assert calls > 200
    assert not failures, "\n".join(failures[:20])
