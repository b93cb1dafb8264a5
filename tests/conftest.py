"""Shared fixtures: the bundled protocol, its raw TOML, and a second, unrelated protocol."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from cairo6.protocol import Protocol, default_protocol, default_protocol_text, read_protocol_file

TESTS = Path(__file__).parent
THREE_ARM = TESTS / "protocol" / "data" / "three_arm.toml"


@pytest.fixture(scope="session")
def cairo6() -> Protocol:
    """The CAIRO6 protocol shipped in the package."""
    return default_protocol()


@pytest.fixture(scope="session")
def _raw_cairo6() -> dict[str, Any]:
    return tomllib.loads(default_protocol_text())


@pytest.fixture
def raw_cairo6(_raw_cairo6: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy of the CAIRO6 TOML as plain data, for tests that break it."""
    return copy.deepcopy(_raw_cairo6)


@pytest.fixture(scope="session")
def three_arm() -> Protocol:
    """A made-up three-arm 2:1:1 protocol with other factors."""
    return read_protocol_file(THREE_ARM)


# --- databases: every store and service test runs on SQLite and on a real PostgreSQL server ---

import os  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from cairo6.store.anchor import create_key  # noqa: E402
from cairo6.store.engine import Database  # noqa: E402
from cairo6.store.migrate import upgrade  # noqa: E402

# The audit anchor key and the anchor files of server databases go to a directory of this test
# run, never to the home directory; servers the tests start inherit the same places.
_ANCHOR_HOME = Path(tempfile.mkdtemp(prefix="cairo6-anchor-"))
os.environ.setdefault("CAIRO6_AUDIT_KEY", str(_ANCHOR_HOME / "audit-anchor.key"))
os.environ.setdefault("XDG_STATE_HOME", str(_ANCHOR_HOME / "state"))
create_key(Path(os.environ["CAIRO6_AUDIT_KEY"]))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server: $CAIRO6_TEST_POSTGRES_URL, or one started from the pgserver wheel."""
    given = os.environ.get("CAIRO6_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    # pgserver asks platformdirs for a runtime directory, which warns when none is set.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="cairo6-xdg-"))
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="cairo6-pg-")
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _fresh_postgres(base_url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from cairo6.store.engine import database_url

    name = f"cairo6_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(database_url(base_url)).set(database=name).render_as_string(hide_password=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on PostgreSQL, so `make test-fast` can leave them out."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        fixtures = getattr(item, "fixturenames", ())
        if params.get("db_url") == "postgresql" or "postgres_url" in fixtures:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "trial.db")
    return _fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty trial database on each backend."""
    database = Database(db_url)
    upgrade(database)
    yield database
    database.dispose()
