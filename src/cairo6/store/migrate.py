"""Create and migrate the database schema with Alembic (`cairo6 db init|upgrade`)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cairo6.store.anchor import read_key
from cairo6.store.audit import HEAD_KEY
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
    """Bring the schema up to `revision` (creating it on an empty database).

    A migration that appends to the audit trail (0006 does, for each record it moves) leaves
    the new head on the connection; it is anchored once the upgrade has committed, as every
    other write is, so the anchors keep up with the trail.
    """
    cfg = alembic_config()
    if db.anchors is not None and current_revision(db) != head_revision():
        read_key(db.anchors.key_path)  # no key, no change to the trail: refuse before starting
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            # Two processes starting at once must not both create the schema.
            conn.execute(text("SELECT pg_advisory_xact_lock(20260)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        head = conn.info.pop(HEAD_KEY, None)
    if head is not None and db.anchors is not None:
        seq, digest = head
        db.anchors.append(seq, digest, "migrate")
