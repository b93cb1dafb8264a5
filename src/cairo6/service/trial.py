"""The trial service: a database and a protocol, and the lookups every use case shares."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cairo6.errors import NotFoundError, StateError
from cairo6.protocol import Protocol
from cairo6.service.permissions import CENTRE_BOUND, Action, require
from cairo6.service.usernames import normalise
from cairo6.service.versions import VersionBook
from cairo6.store.audit import Actor
from cairo6.store.engine import Database, StoreSession
from cairo6.store.schema import Centre, Participant, Randomisation, User
from cairo6.study import Study


class Trial:
    """What every use case needs: where the data live and which protocol governs them.

    `study` is the whole study definition (forms, checks, populations, endpoints) when the
    database was created from one; the protocol is always its protocol part. A trial whose
    definition has versions (protocol amendments) answers with the version in force today;
    `definition_on` and `definition_of` look up another day's or a record's own version.
    """

    def __init__(
        self,
        db: Database,
        protocol: Protocol,
        study: Study | None = None,
        *,
        versions: VersionBook | None = None,
    ) -> None:
        self.db = db
        self._protocol = protocol
        self._study = study
        self.versions = versions

    @property
    def study(self) -> Study | None:
        """The study definition in force today (None for a protocol-only database)."""
        if self.versions is not None:
            return self.versions.on(dt.date.today())
        return self._study

    @property
    def protocol(self) -> Protocol:
        """The protocol in force today."""
        if self.versions is not None:
            return self.versions.on(dt.date.today()).trial_protocol
        return self._protocol

    def definition(self) -> Study:
        """The study definition in force today; a clear error for a database created from a
        protocol file alone."""
        return self.definition_on(dt.date.today())

    def definition_on(self, day: dt.date, session: StoreSession | None = None) -> Study:
        """The study definition in force on `day` (with `session`, read inside its
        transaction, as a write that depends on it must)."""
        if self.versions is not None:
            return self.versions.on(day, session)
        return self._static()

    def definition_of(self, number: int, session: StoreSession | None = None) -> Study:
        """Version `number` of the study definition (the one a record was entered under)."""
        if self.versions is not None:
            return self.versions.of(number, session)
        return self._static()

    def _static(self) -> Study:
        if self._study is None:
            raise StateError(
                "this database was created from a protocol file alone, without a study "
                "definition (forms, endpoints)",
                "create it with `cairo6 db init --study DIR`",
            )
        return self._study


def centre_by_code(session: StoreSession, code: str) -> Centre:
    """The centre with this code."""
    centre = session.scalars(select(Centre).where(Centre.code == code)).first()
    if centre is None:
        known = ", ".join(session.scalars(select(Centre.code).order_by(Centre.code))) or "none yet"
        raise NotFoundError("centre", code, f"use one of the centre codes ({known})")
    return centre


def participant(
    session: StoreSession, actor: Actor, study_number: str, action: Action
) -> Participant:
    """The participant, after checking that the actor may do `action` on their centre's data.

    A participant of another centre is reported as not found to a centre-bound user, so that
    probing study numbers reveals nothing about other centres.
    """
    require(actor, action)
    found = session.scalars(
        select(Participant).where(Participant.study_number == study_number)
    ).first()
    if found is None or (actor.role in CENTRE_BOUND and found.centre_id != actor.centre_id):
        raise NotFoundError(
            "participant", study_number, "check the study number (format TRIAL-CENTRE-NNN)"
        )
    require(actor, action, found.centre_id)
    return found


def allocation(session: StoreSession, participant_id: int) -> Randomisation | None:
    """The participant's allocation, if randomised."""
    return session.scalars(
        select(Randomisation).where(Randomisation.participant_id == participant_id)
    ).first()


def find_user(session: StoreSession, username: str) -> User | None:
    """The account a typed username names: by its normal form (NFKC, case-folded), else, for
    accounts created before usernames were normalised, exactly as typed."""
    wanted = [normalise(username), username.strip()]
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_(wanted)))}
    return next((found[name] for name in wanted if name in found), None)


def actor_for(session: StoreSession, username: str) -> Actor:
    """The actor behind an active user account."""
    user = find_user(session, username)
    if user is None or not user.active:
        raise NotFoundError("user", username, "add the user with `cairo6 user add` first")
    return Actor(username=user.username, role=user.role, centre_id=user.centre_id, user_id=user.id)
