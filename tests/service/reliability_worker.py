"""Patients and worker functions for the reliability tests.

The workers live in an importable module, not in the test file, because the 'spawn' start method
re-imports a child's target by module name; a child must never inherit the parent's connections.
Children report through shared memory (`RawValue`, `Event`) rather than a `Queue` wherever the
parent may SIGKILL them: a child killed while writing to a queue's pipe can leave a torn message
that the parent would then block on.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cairo6.service import enrolment
from cairo6.service.setup import open_trial
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.store.engine import Database, StoreSession
from tests.service.conftest import PATIENT

SCREENED_ON = dt.date(2018, 1, 10)
ENROLLED_ON = dt.date(2018, 1, 20)


class Barrier(Protocol):
    """What the workers need of `threading.Barrier` and of `multiprocessing`'s barrier."""

    def wait(self, timeout: float | None = None) -> int: ...


class Counter(Protocol):
    """A shared integer (`multiprocessing`'s `RawValue`)."""

    value: int


class Flag(Protocol):
    """What the workers need of a `multiprocessing` event."""

    def set(self) -> None: ...


class Outbox(Protocol):
    """What the workers need of a `multiprocessing` queue."""

    def put(self, obj: Any) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """One randomisation as the worker saw it."""

    screening_number: str
    study_number: str
    sequence_number: int
    arm: str


def patient_record(rng: random.Random) -> dict[str, Any]:
    """An eligible patient with every minimisation factor drawn at random."""
    record = {
        **PATIENT,
        "pci_at_staging": rng.choice([0, 4, 10, 11, 15, 20]),
        "onset": rng.choice(["synchronous", "metachronous"]),
        "planned_hipec": rng.choice(["mitomycin_c", "oxaliplatin"]),
    }
    if rng.random() < 0.4:
        # Earlier chemotherapy is eligible only when it ended at least 6 months ago.
        record["previous_systemic_therapy"] = True
        record["months_since_systemic_therapy"] = rng.choice([6, 9.5, 24])
    return record


def prepare(
    trial: Trial, actor: Actor, centres: Sequence[str], count: int, seed: int
) -> dict[str, list[str]]:
    """Screen and assess `count` eligible patients round-robin over `centres`, in one transaction;
    returns the screening numbers per centre."""
    rng = random.Random(seed)
    numbers: dict[str, list[str]] = {code: [] for code in centres}
    screening = {"screened_on": SCREENED_ON, "approached": True, "refused": False}
    with trial.db.write(actor) as session:
        for i in range(count):
            code = centres[i % len(centres)]
            number = enrolment.add_screening_in(session, actor, code, screening)
            enrolment.assess_eligibility_in(
                session, trial, actor, number, patient_record(rng), SCREENED_ON
            )
            numbers[code].append(number)
    return numbers


def randomise_each(trial: Trial, actor: Actor, numbers: Sequence[str]) -> list[Outcome]:
    """Randomise the patients one transaction each, in order."""
    out = []
    for number in numbers:
        result = enrolment.randomise(trial, actor, number, ENROLLED_ON, past_target=True)
        out.append(Outcome(number, result.study_number, result.sequence_number, result.arm))
    return out


def _warm(db: Database) -> Trial:
    # Reading the protocol opens the first connection, so the timed part starts connected.
    return open_trial(db)


def randomise_in_process(
    index: int,
    url: str,
    actor: Actor,
    numbers: Sequence[str],
    start: Barrier,
    results: Outbox,
) -> None:
    """A spawned client: its own `Database`, started together with the others by `start`."""
    db = Database(url)
    try:
        trial = _warm(db)
        start.wait(timeout=120)
        results.put((index, randomise_each(trial, actor, numbers), None))
    except BaseException:
        results.put((index, [], traceback.format_exc()))
    finally:
        db.dispose()


def randomise_until_killed(
    url: str,
    actor: Actor,
    numbers: Sequence[str],
    done: Counter,
    in_commit: Flag | None,
) -> None:
    """Randomise `numbers` one by one, counting completed allocations in `done`.

    With `in_commit`, the child stops inside its first transaction once the Participant, the
    Randomisation and their audit records are flushed but not committed, signals, and waits to be
    killed: the worst moment, holding the write lock with everything written.
    """
    db = Database(url)
    trial = _warm(db)
    if in_commit is not None:
        from sqlalchemy import event

        def stall(_session: StoreSession) -> None:
            in_commit.set()
            time.sleep(600)

        event.listen(StoreSession, "before_commit", stall)
    for number in numbers:
        enrolment.randomise(trial, actor, number, ENROLLED_ON, past_target=True)
        done.value += 1


def import_until_killed(url: str, actor: Actor, directory: str, applied: Counter) -> None:
    """Import `directory`, publishing in `applied` how many rows are applied (not committed)."""
    from cairo6.service.exchange import import_directory

    db = Database(url)
    trial = _warm(db)

    def progress(done: int, _total: int) -> None:
        applied.value = done

    import_directory(trial, actor, Path(directory), progress)


def write_import(directory: Path, centres: Sequence[str], rows: int) -> int:
    """An exchange directory (`cairo6.service.exchange` format): `centres` in centre.csv and
    `rows` screening-log rows spread over them, approached or not, refusing or consenting;
    returns the number of rows an import applies."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "centre.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "started_recruiting"])
        for code in centres:
            writer.writerow([code, f"Imported centre {code}", "2019-01-01"])
    header = ["screening_number", "centre", "screened_on", "approached"]
    header += ["not_approached_reason", "refused", "refusal_reason"]
    kinds = (
        ["false", "unknown", "", ""],
        ["true", "", "true", "logistical"],
        ["true", "", "false", ""],
    )
    with (directory / "screening.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i in range(rows):
            code = centres[i % len(centres)]
            writer.writerow([f"{code}-I{i:06d}", code, "2019-02-01", *kinds[i % len(kinds)]])
    return len(centres) + rows
