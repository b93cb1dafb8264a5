"""Shared test setup: a fresh CAIRO6 trial with a data manager, and the reference cohort in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.service import admin, exchange
from cairo6.service.setup import initialise
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.extract import extract
from cairo6.studies.cairo6 import REFERENCE_DATA

REFERENCE = REFERENCE_DATA


@contextmanager
def trial_with_data_manager(path: Path) -> Iterator[tuple[Trial, Actor]]:
    """A new SQLite trial at `path` with an administrator and a data manager `dm`."""
    db = Database(str(path))
    try:
        trial = initialise(db, default_protocol(), default_protocol_text())
        admin.bootstrap_admin(trial, "admin")
        with db.read() as session:
            boss = actor_for(session, "admin")
        admin.add_user(trial, boss, "dm", "data_manager")
        with db.read() as session:
            dm = actor_for(session, "dm")
        yield trial, dm
    finally:
        db.dispose()


def imported_extract(directory: Path, path: Path) -> dict[str, pd.DataFrame]:
    """The extract of a new trial at `path` after importing the exchange files of `directory`."""
    with trial_with_data_manager(path) as (trial, dm):
        exchange.import_directory(trial, dm, directory)
        return extract(trial.db)
