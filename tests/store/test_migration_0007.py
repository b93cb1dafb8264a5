"""Migration 0007 (the form lifecycle) builds exactly the tables the models declare, and goes
down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cairo6.store.engine import Database
from cairo6.store.migrate import alembic_config, upgrade
from cairo6.store.schema import Base

TABLES = {"record_step", "signature", "database_lock"}


def _differences(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in found if TABLES & {getattr(part, "name", None) for part in _parts(d)}]


def _parts(difference: object) -> list[object]:
    items = difference if isinstance(difference, list) else [difference]
    out: list[object] = []
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            out.append(getattr(part, "table", part))
    return out


def test_the_migration_matches_the_models(tmp_path: Path) -> None:
    db = Database(tmp_path / "trial.db")
    try:
        upgrade(db)
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        assert _differences(db) == []
    finally:
        db.dispose()


def test_down_and_up_again(tmp_path: Path) -> None:
    db = Database(tmp_path / "trial.db")
    try:
        # Up to 0007 only: a later migration (0010, the study's versions) cannot be undone.
        upgrade(db, "0007")
        cfg = alembic_config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade(db, "0007")
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.dispose()
