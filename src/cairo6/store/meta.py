"""Facts about a database: above all, the protocol it was created for."""

from __future__ import annotations

import hashlib

from sqlalchemy import insert, select

from cairo6.errors import StateError
from cairo6.store.engine import Database
from cairo6.store.schema import Meta

PROTOCOL_KEY = "protocol_toml"


def bind_protocol(db: Database, toml_text: str) -> None:
    """Store the protocol text the trial runs under (once, at initialisation)."""
    with db.engine.begin() as conn:
        existing = conn.execute(select(Meta.value).where(Meta.key == PROTOCOL_KEY)).scalar()
        if existing is not None:
            if existing != toml_text:
                raise StateError(
                    "this database was initialised with a different protocol",
                    "use the protocol it was created with, or a new database",
                )
            return
        conn.execute(insert(Meta).values(key=PROTOCOL_KEY, value=toml_text))
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
