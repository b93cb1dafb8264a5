"""Facts about a database: above all, the protocol it was created for."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import insert, select

from cairo6.errors import StateError
from cairo6.store.engine import Database
from cairo6.store.schema import Meta

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
