"""Opening a trial database: migrate, bind the protocol, and read it back."""

from __future__ import annotations

from cairo6.protocol import Protocol, parse_protocol
from cairo6.service.trial import Trial
from cairo6.store.engine import Database
from cairo6.store.meta import bind_protocol, protocol_text


def initialise(db: Database, protocol: Protocol, toml_text: str) -> Trial:
    """Create (or migrate) the schema and bind the trial's protocol to the database."""
    # Alembic is loaded only here: opening an existing trial (every other command) needs none.
    from cairo6.store.migrate import upgrade

    upgrade(db)
    bind_protocol(db, toml_text)
    return Trial(db, protocol)


def open_trial(db: Database) -> Trial:
    """The trial in a database, governed by the protocol stored in it."""
    text = protocol_text(db)
    return Trial(db, parse_protocol(text, "protocol stored in the database"))
