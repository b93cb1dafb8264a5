"""Create and migrate the database schema with Alembic (`cairo6 db init|upgrade`)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cairo6.store.engine import Database


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("cairo6.store") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest migration shipped with this version of cairo6."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (creating it on an empty database)."""
    cfg = alembic_config()
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            # Two processes starting at once must not both create the schema.
            conn.execute(text("SELECT pg_advisory_xact_lock(20260)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
