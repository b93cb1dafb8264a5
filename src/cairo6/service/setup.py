"""Opening a trial database: migrate, bind the protocol (and study definition), read them back."""

from __future__ import annotations

from cairo6.errors import ProtocolError
from cairo6.protocol import Protocol, parse_protocol
from cairo6.service.event_order import unknown_points
from cairo6.service.trial import Trial
from cairo6.service.versions import VersionBook, parsed_definition
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.meta import bind_protocol, bind_study, protocol_text, study_files
from cairo6.store.versions import first_effective_date, write_first_version
from cairo6.study import Study


def initialise(db: Database, protocol: Protocol, toml_text: str) -> Trial:
    """Create (or migrate) the schema and bind the trial's protocol to the database.

    The protocol of a bundled study (CAIRO6's, unchanged) binds that whole study, so a trial
    made from it has its forms, as with `initialise_study`.
    """
    bundled = _bundled_with(toml_text)
    if bundled is not None:
        return initialise_study(db, *bundled)
    issues = unknown_points(protocol)
    if issues:
        raise ProtocolError("protocol", issues)
    # Alembic is loaded only here: opening an existing trial (every other command) needs none.
    from cairo6.store.migrate import upgrade

    upgrade(db)
    bind_protocol(db, toml_text)
    return Trial(db, protocol)


def _bundled_with(toml_text: str) -> tuple[Study, dict[str, str]] | None:
    """The bundled study whose protocol file is exactly this text, with its files."""
    from cairo6.study.loader import bundled_studies, resolve_study

    for name in bundled_studies():
        study, files = resolve_study(name)
        if files.get(study.manifest.protocol) == toml_text:
            return study, files
    return None


def initialise_study(db: Database, study: Study, files: dict[str, str]) -> Trial:
    """Create (or migrate) the schema and bind a whole study definition to the database."""
    from cairo6.store.migrate import upgrade

    upgrade(db)
    bind_protocol(db, files[study.manifest.protocol])
    bind_study(db, files)
    with db.write(SYSTEM) as session:
        # Version 1 of the definition, from the accrual start on (`store.versions`).
        conn = session.connection()
        start = first_effective_date(conn, study.trial_protocol.accrual.start)
        write_first_version(conn, files, start, SYSTEM, "the definition the trial was created with")
    return open_trial(db)


SYSTEM = Actor(username="db-init", role="system")
"""Who records version 1 of a new trial's definition."""


def open_trial(db: Database) -> Trial:
    """The trial in a database, governed by the protocol (and study) stored in it: the version
    of the study definition in force today, and every other version by date or number."""
    text = protocol_text(db)
    files = study_files(db)
    if files is not None:
        bound = parsed_definition(files, "study stored in the database")
        return Trial(db, bound.trial_protocol, bound, versions=VersionBook(db, bound))
    return Trial(db, parse_protocol(text, "protocol stored in the database"))
