"""Facts about a database: above all, the protocol it was created for."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from cairo6.errors import StateError
from cairo6.store.engine import Database
from cairo6.store.schema import Meta

if TYPE_CHECKING:
    from cairo6.study.study import Study

PROTOCOL_KEY = "protocol_toml"


def _bind_once(db: Database, key: str, text: str, what: str) -> bool:
    """Store `text` under `key` once; the same text again is fine, another is refused."""
    with db.engine.begin() as conn:
        existing = conn.execute(select(Meta.value).where(Meta.key == key)).scalar()
        if existing is not None:
            if existing != text:
                raise StateError(
                    f"this database was initialised with a different {what}",
                    f"use the {what} it was created with, or a new database",
                )
            return False
        conn.execute(insert(Meta).values(key=key, value=text))
        return True


def bind_protocol(db: Database, toml_text: str) -> None:
    """Store the protocol text the trial runs under (once, at initialisation)."""
    if _bind_once(db, PROTOCOL_KEY, toml_text, "protocol"):
        with db.engine.begin() as conn:
            digest = hashlib.sha256(toml_text.encode()).hexdigest()
            conn.execute(insert(Meta).values(key="protocol_sha256", value=digest))


def protocol_text(db: Database) -> str:
    """The protocol text stored in the database."""
    with db.engine.connect() as conn:
        try:
            text = conn.execute(select(Meta.value).where(Meta.key == PROTOCOL_KEY)).scalar()
        except Exception as exc:  # no schema at all
            raise StateError(
                f"{db.url} is not a cairo6 database", "run `cairo6 db init` first"
            ) from exc
    if text is None:
        raise StateError(f"{db.url} has no protocol", "run `cairo6 db init` first")
    return str(text)


STUDY_KEY = "study_files"


def bind_study(db: Database, files: dict[str, str]) -> None:
    """Store the study definition's files (name -> text) the trial runs under, once."""
    _bind_once(db, STUDY_KEY, json.dumps(files, sort_keys=True, ensure_ascii=False), "study")


def study_files(db: Database) -> dict[str, str] | None:
    """The study definition's files stored in the database (None for a protocol-only one)."""
    with db.engine.connect() as conn:
        text = conn.execute(select(Meta.value).where(Meta.key == STUDY_KEY)).scalar()
    if text is None:
        return None
    files = json.loads(str(text))
    return {str(k): str(v) for k, v in files.items()}


def bound_study(db: Database) -> Study:
    """The study definition the database runs under: the version in force today, or, for a
    database created from a protocol file alone, the bundled study with that trial id."""
    protocol_text(db)  # a clear error for a database that is not a trial's
    from cairo6.store.versions import in_force, version_files, version_rows

    with db.engine.connect() as conn:
        rows = version_rows(conn)
        if not rows:
            return study_on(conn)
        # The version of the definition in force today (protocol amendments add versions).
        number = in_force(rows, dt.date.today())
        files = version_files(conn, number) or {}
    study = _study(json.dumps(files, sort_keys=True, ensure_ascii=False), "")
    return study.as_version(number)


def study_on(conn: Connection) -> Study:
    """`bound_study` on an open connection (migrations have no `Database`)."""
    meta = {str(k): str(v) for k, v in conn.execute(select(Meta.key, Meta.value))}
    return _study(meta.get(STUDY_KEY), meta.get(PROTOCOL_KEY, ""))


@lru_cache(maxsize=8)
def _study(files_json: str | None, protocol_toml: str) -> Study:
    # Parsing a definition costs more than reading a small trial; the texts are the key, so a
    # cached study is the one the database holds.
    from cairo6.study.loader import bundled_study_for, study_from_texts

    if files_json is not None:
        files = {str(k): str(v) for k, v in json.loads(files_json).items()}
        return study_from_texts(files, "study stored in the database")
    trial_id = str(tomllib.loads(protocol_toml).get("trial", {}).get("id", ""))
    study = bundled_study_for(trial_id)
    if study is None:
        raise StateError(
            f"the database of trial {trial_id or '(no id)'} has no study definition bound",
            "create it with `cairo6 db init --study FOLDER`",
        )
    return study
