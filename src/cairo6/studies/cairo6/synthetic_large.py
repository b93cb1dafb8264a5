"""A large SYNTHETIC trial for benchmarks: the reference cohort resampled to any size, fast.

Each generated participant is a copy of one of the 80 reference patients (drawn with
replacement by a seeded numpy Generator) with a new centre, new study and screening numbers and
all its dates shifted by one random number of days, so every copy keeps the intervals, the
treatment course and the internal consistency the reference builder guarantees (the services'
validation accepts it). Screened patients who were not randomised are resampled in the same
proportion as in the paper (153 of 233). Nothing is real patient data.

Everything is vectorised per form (row indices by `np.repeat`, dates shifted as whole
columns), so 100,000 participants take seconds. Two outputs:

* `extract_frames`: the frames `cairo6.store.extract.extract` returns for such a database
  (centre, screening, participant and one frame per participant form), for timing the
  analysis and the report without a database;
* `write_exchange`: the exchange CSV files, for `cairo6 import` (the database path).

    python -m cairo6.studies.cairo6.synthetic_large --participants 10000 --out DIR
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from cairo6.protocol import Protocol, default_protocol
from cairo6.randomization.levels import derive_levels
from cairo6.service.exchange_tables import cell_text
from cairo6.store.audit import Actor, Entry, append_many, insert_changes
from cairo6.store.documents import context_of, entered, record_keys, with_derived
from cairo6.store.engine import Database
from cairo6.store.extract import QUERY_COLUMNS
from cairo6.store.schema import Centre, FormRecord, Participant, Randomisation, Screening
from cairo6.studies.cairo6 import builder
from cairo6.studies.cairo6.builder import FILE_ORDER, file_variables
from cairo6.study import bundled_study_folder
from cairo6.study.loader import read_study
from cairo6.study.study import Study

__all__ = [
    "SEED",
    "SyntheticTrial",
    "extract_frames",
    "generate",
    "main",
    "reference_trial",
    "to_extract",
    "write_database",
    "write_exchange",
]

SEED = 20240601
ENTERED_AFTER_LATER_FILES: dict[str, tuple[dict[str, str], ...]] = {
    "cycle": ({"phase": "adjuvant"},)
}
"""Rows the import enters only after a later file's rows (an adjuvant cycle needs the surgery
first, checks.toml's `adjuvant_after_surgery`), so they get later record ids."""
SCREENED_PER_RANDOMISED = 153 / 80
"""Screened but not randomised, per randomised patient, as in the paper's Figure (233 - 80)."""
SHIFT_DAYS = 3 * 365
"""Dates of each copy move by 0..SHIFT_DAYS days, spreading accrual over about three years."""
PER_CENTRE = 200
TEMPLATE_START = dt.date(2017, 6, 1)
"""Every generated centre starts recruiting on the reference's first start date."""

Frames = dict[str, pd.DataFrame]
_SCREENING = (
    "screening_number",
    "centre",
    "screened_on",
    "approached",
    "not_approached_reason",
    "refused",
    "refusal_reason",
    "refusal_other",
    "study_number",
)
"""Columns of the extract's screening frame: the form's, then the study number if randomised."""
# Forms of the exchange format keyed by study number; the others go by screening number.
_BY_STUDY = tuple(f for f in FILE_ORDER if f not in ("centre", "screening", "eligibility"))


@dataclass(frozen=True)
class SyntheticTrial:
    """The generated trial in the exchange format (one DataFrame per file) plus the levels."""

    tables: Frames
    levels: list[dict[str, str]]
    """Minimisation levels per randomisation row, as the import would derive them."""


@cache
def _study() -> Study:
    return read_study(bundled_study_folder("cairo6"))


def _derived(tables: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[Any]]]:
    """Each form's derived items for each builder row, as a save stores them. Computed once on
    the template: copies shift all of a patient's dates alike, which no derivation sees."""
    study = _study()
    once: dict[str, dict[str, dict[str, Any]]] = {}
    for form in study.forms:
        if not form.repeating:
            for row in tables.get(form.id, []):
                once.setdefault(row["study_number"], {})[form.id] = entered(form, row)
    contexts = {number: context_of(study, documents) for number, documents in once.items()}
    out: dict[str, dict[str, list[Any]]] = {}
    for form in study.forms:
        derived = [item.id for item in form.items() if item.derived is not None]
        if derived:
            documents = [
                with_derived(study, form, entered(form, row), contexts.get(row["study_number"], {}))
                for row in tables.get(form.id, [])
            ]
            out[form.id] = {k: [d.get(k) for d in documents] for k in derived}
    return out


@cache
def _template() -> tuple[Frames, tuple[dict[str, str], ...]]:
    protocol = default_protocol()
    tables = builder.build(protocol=protocol)
    variables = file_variables(protocol)
    frames = {
        form: pd.DataFrame(tables.get(form, []), columns=[e.variable for e in variables[form]])
        for form in FILE_ORDER
    }
    for form, derived in _derived(tables).items():
        for item, values in derived.items():
            frames[form][item] = values
    for frame in frames.values():
        for column in frame.columns:
            if _is_date_column(frame[column]):
                frame[column] = pd.to_datetime(frame[column])
            elif frame[column].dtype == object:
                # Builder rows leave out empty fields: None, as the store returns them.
                frame[column] = _none_for_missing(frame[column])
    eligibility = {row["screening_number"]: row for row in tables["eligibility"]}
    centre_of = {row["screening_number"]: row["centre"] for row in tables["screening"]}
    levels = tuple(
        derive_levels(
            protocol,
            {**eligibility[row["screening_number"]], "centre": centre_of[row["screening_number"]]},
        )
        for row in tables["randomisation"]
    )
    return frames, levels


def _none_for_missing(series: pd.Series) -> pd.Series:
    present = series.notna().tolist()
    values = [v if ok else None for v, ok in zip(series.tolist(), present, strict=True)]
    return pd.Series(values, index=series.index, dtype=object)


def _is_date_column(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and all(
        isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values
    )


def _rows_for(keys: pd.Series, wanted: np.ndarray, universe: Sequence[str]) -> tuple[Any, Any]:
    """Row positions of `keys` for each wanted key index (repeated), and the owner of each row."""
    code = pd.Categorical(keys, categories=list(universe)).codes.astype(np.int64)
    order = np.argsort(code, kind="stable")
    counts = np.bincount(code, minlength=len(universe))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    per = counts[wanted]
    owner = np.repeat(np.arange(len(wanted)), per)
    within = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    return order[np.repeat(starts[wanted], per) + within], owner


def _shift(frame: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    delta = pd.to_timedelta(days, unit="D")
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column] + delta
    return frame


def generate(participants: int, seed: int = SEED) -> SyntheticTrial:
    """A SYNTHETIC trial of `participants` randomised patients in the exchange format."""
    if participants < 1:
        raise ValueError("participants must be at least 1")
    template, template_levels = _template()
    rng = np.random.default_rng(seed)
    randomised = template["randomisation"]
    studies = randomised["study_number"].tolist()
    screened_as = randomised["screening_number"].tolist()
    n_centres = max(1, -(-participants // PER_CENTRE))
    centres = np.array([f"S{c + 1:03d}" for c in range(n_centres)], dtype=object)

    pick = rng.integers(0, len(studies), participants)
    offset = rng.integers(0, SHIFT_DAYS + 1, participants)
    centre = centres[rng.integers(0, n_centres, participants)]
    # Numbered in order of enrolment, as a trial numbers its patients (and the import's
    # allocation sequence follows the file order).
    enrolled = randomised["enrolled_on"].to_numpy()[pick] + pd.to_timedelta(offset, unit="D")
    order = np.argsort(enrolled, kind="stable")
    pick, offset, centre = pick[order], offset[order], centre[order]
    number = np.arange(1, participants + 1)
    study = pd.Series(centre).str.cat(pd.Series(number).map("{:06d}".format), sep="-")
    study = "SYN-" + study
    screening = pd.Series(centre) + "-R" + pd.Series(number).map("{:06d}".format)

    others = template["screening"][~template["screening"]["screening_number"].isin(screened_as)]
    n_others = round(participants * SCREENED_PER_RANDOMISED)
    other_pick = rng.integers(0, len(others), n_others)
    other_offset = rng.integers(0, SHIFT_DAYS + 1, n_others)
    other_centre = centres[rng.integers(0, n_centres, n_others)]
    other_number = pd.Series(np.arange(1, n_others + 1)).map("{:06d}".format)

    out: Frames = {
        "centre": pd.DataFrame(
            {
                "code": centres,
                "name": [f"Centre {c} (synthetic)" for c in centres],
                "started_recruiting": pd.Timestamp(TEMPLATE_START),
            }
        )
    }
    # Randomised patients' screening and eligibility rows, then the others' screening rows.
    by_screening = template["screening"].set_index("screening_number").loc[screened_as]
    own = _shift(by_screening.iloc[pick].reset_index(drop=True), offset)
    own["screening_number"], own["centre"] = screening.to_numpy(), centre
    rest = _shift(others.iloc[other_pick].reset_index(drop=True), other_offset)
    rest["screening_number"] = (pd.Series(other_centre) + "-N" + other_number).to_numpy()
    rest["centre"] = other_centre
    columns = list(template["screening"].columns)
    out["screening"] = pd.concat([own[columns], rest[columns]], ignore_index=True)
    eligibility = template["eligibility"].set_index("screening_number").loc[screened_as]
    assessed = _shift(eligibility.iloc[pick].reset_index(), offset)
    assessed["screening_number"] = screening.to_numpy()
    out["eligibility"] = assessed[list(template["eligibility"].columns)]
    for form in _BY_STUDY:
        source = template[form]
        rows, owner = _rows_for(source["study_number"], pick, studies)
        frame = _shift(source.iloc[rows].reset_index(drop=True), offset[owner])
        frame["study_number"] = study.to_numpy()[owner]
        if form == "randomisation":
            frame["screening_number"] = screening.to_numpy()[owner]
            at = pd.to_datetime(frame["allocated_at"], utc=True) + pd.to_timedelta(
                offset[owner], unit="D"
            )
            frame["allocated_at"] = at.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        out[form] = frame
    levels = [dict(template_levels[i]) for i in pick]
    return SyntheticTrial(out, levels)


def reference_trial() -> SyntheticTrial:
    """The reference cohort itself (80 patients, original numbers) in the same form."""
    template, levels = _template()
    return SyntheticTrial({k: v.copy() for k, v in template.items()}, [dict(x) for x in levels])


def _like_extract(frame: pd.DataFrame) -> pd.DataFrame:
    """Dtypes as pandas infers them from database rows: a column with no value is object."""
    for column in frame.columns:
        if frame[column].isna().all() and frame[column].dtype != object:
            frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[ns]")
    return frame


def to_extract(trial: SyntheticTrial) -> Frames:
    """The frames `cairo6.store.extract.extract` would return after importing the trial."""
    tables = trial.tables
    randomised = tables["randomisation"]
    screening = tables["screening"].merge(
        randomised[["screening_number", "study_number"]], on="screening_number", how="left"
    )
    # Screened patients who were not randomised have no study number: None, as in the store.
    screening["study_number"] = _none_for_missing(screening["study_number"])
    centre_of = tables["screening"].set_index("screening_number")["centre"]
    order = np.argsort(randomised["enrolled_on"].to_numpy(), kind="stable")
    participant = pd.DataFrame(
        {
            "study_number": randomised["study_number"].to_numpy()[order],
            "centre": centre_of.loc[randomised["screening_number"]].to_numpy()[order],
            "enrolled_on": randomised["enrolled_on"].to_numpy()[order],
            "arm": randomised["arm"].to_numpy()[order],
            "sequence_number": np.arange(1, len(randomised) + 1),
            "allocated_at": randomised["allocated_at"].to_numpy()[order],
            "source": "history",
            "levels": [trial.levels[i] for i in order],
        }
    )
    frames: Frames = {
        "centre": tables["centre"].rename(columns={"code": "centre"}),
        "screening": screening[list(_SCREENING)],
        "participant": participant,
    }
    forms = {f.id: ["study_number", *(i.id for i in f.items())] for f in _study().forms}
    forms["query"] = ["study_number", *QUERY_COLUMNS]
    # Form records share one sequence of ids (queries have their own) in the order the import
    # saves them: the deviations the enrolment records from the randomisation file, then each
    # form file's rows, then the rows tried again at the end because they need a later file's
    # record first (an adjuvant cycle needs the surgery).
    enrolment: list[tuple[str, pd.DataFrame]] = []
    in_order: list[tuple[str, pd.DataFrame]] = []
    again: list[tuple[str, pd.DataFrame]] = []
    for form, columns in forms.items():
        frame = tables.get(form, pd.DataFrame(columns=columns))[columns]
        if form == "query":
            continue
        if form == "deviation":
            given = randomised[randomised["deviation"].notna()]
            first = pd.DataFrame(
                {
                    "study_number": given["study_number"],
                    "noted_on": given["enrolled_on"],
                    "category": "eligibility",
                    "description": given["deviation"],
                }
            )
            enrolment.append((form, first[columns]))
        waits = np.zeros(len(frame), dtype=bool)
        for when in ENTERED_AFTER_LATER_FILES.get(form, ()):
            match = np.ones(len(frame), dtype=bool)
            for name, value in when.items():
                match &= frame[name].eq(value).to_numpy()
            waits |= match
        in_order.append((form, frame[~waits]))
        again.append((form, frame[waits]))
    numbered: dict[str, list[pd.DataFrame]] = {}
    next_id = 1
    for form, part in [*enrolment, *in_order, *again]:
        numbered.setdefault(form, []).append(_numbered(part, next_id))
        next_id += len(part)
    for form, columns in forms.items():
        if form == "query":
            frames[form] = _numbered(tables.get(form, pd.DataFrame(columns=columns))[columns], 1)
        else:
            frame = pd.concat(numbered[form], ignore_index=True)
            frames[form] = frame.astype({"id": object if frame.empty else np.int64})
    return {name: _like_extract(frame) for name, frame in frames.items()}


def _numbered(frame: pd.DataFrame, first: int) -> pd.DataFrame:
    """The frame with an `id` column after the study number: first, first + 1, ..."""
    ids = np.arange(first, first + len(frame))
    out = frame.reset_index(drop=True)
    out.insert(1, "id", pd.Series(ids, dtype=object if frame.empty else np.int64))
    return out


def extract_frames(participants: int, seed: int = SEED) -> Frames:
    """The extract frames of a generated SYNTHETIC trial (no database involved)."""
    return to_extract(generate(participants, seed))


BULK = Actor(username="synthetic-bulk", role="data_manager")
"""Who the bulk writer's audit records name."""


def _python(values: pd.Series, dated: bool) -> list[Any]:
    """A column as the values a document or a row holds: None for missing, ISO dates (for a
    document) or dates (for a row), Python ints and bools, objects as they are."""
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d")
        out = [None if pd.isna(v) else v for v in text.tolist()]
        return out if dated else [None if v is None else dt.date.fromisoformat(v) for v in out]
    listed = values.tolist()
    if values.dtype == np.float64:
        return [None if v != v else (int(v) if float(v).is_integer() else v) for v in listed]
    return [None if (v is None or v is pd.NA or v is pd.NaT) else v for v in listed]


def write_database(trial: SyntheticTrial, db: Database, actor: Actor = BULK) -> int:
    """Write the trial straight into an empty database (schema at head, protocol bound): centres,
    screening log, participants and allocations in their tables, every form record in
    `form_record` with the document a save stores, and an insert audit record for each row as
    the services write it, appended in bulk. One transaction; returns the rows written.

    Eligibility assessments are not written (no extract or report reads them), so the database
    serves the analysis and the form store's benchmarks, not a trial office.
    """
    frames = to_extract(trial)
    study = _study()
    entries: list[Entry] = []

    def rows_of(table: Any, rows: list[dict[str, Any]], label: list[str | None]) -> None:
        if rows:
            conn.execute(insert(table), rows)
        name = table.__tablename__
        entries.extend(
            Entry("insert", name, str(r["id"]), insert_changes(r), participant=p)
            for r, p in zip(rows, label, strict=True)
        )

    with db.write(actor) as session:
        conn = session.connection()
        if conn.execute(select(Participant.id).limit(1)).first() is not None:
            raise ValueError("write_database needs a database without participants")
        centre = frames["centre"]
        centre_id = {code: n for n, code in enumerate(centre["centre"].tolist(), start=1)}
        rows_of(
            Centre,
            [
                {"id": n, "code": c, "name": name, "started_recruiting": d}
                for (c, n), name, d in zip(
                    centre_id.items(),
                    centre["name"].tolist(),
                    _python(centre["started_recruiting"], dated=False),
                    strict=True,
                )
            ],
            [None] * len(centre),
        )
        screening = frames["screening"]
        columns = [c for c in screening.columns if c not in ("centre", "study_number")]
        values = {c: _python(screening[c], dated=False) for c in columns}
        screening_rows = [
            {"id": n, "centre_id": centre_id[code], **{c: values[c][n - 1] for c in columns}}
            for n, code in enumerate(screening["centre"].tolist(), start=1)
        ]
        rows_of(Screening, screening_rows, [None] * len(screening_rows))
        screened = {r["screening_number"]: r["id"] for r in screening_rows}
        screening_of = dict(
            zip(
                trial.tables["randomisation"]["study_number"],
                trial.tables["randomisation"]["screening_number"],
                strict=True,
            )
        )
        deviation_of = dict(
            zip(
                trial.tables["randomisation"]["study_number"],
                _python(trial.tables["randomisation"]["deviation"], dated=False),
                strict=True,
            )
        )
        people = frames["participant"]
        numbers = people["study_number"].tolist()
        enrolled = _python(people["enrolled_on"], dated=False)
        person = {number: n for n, number in enumerate(numbers, start=1)}
        rows_of(
            Participant,
            [
                {
                    "id": person[number],
                    "study_number": number,
                    "centre_id": centre_id[code],
                    "screening_id": screened[screening_of[number]],
                    "enrolled_on": on,
                }
                for number, code, on in zip(numbers, people["centre"], enrolled, strict=True)
            ],
            list(numbers),
        )
        rows_of(
            Randomisation,
            [
                {
                    "id": person[number],
                    "participant_id": person[number],
                    "sequence_number": int(sequence),
                    "arm": arm,
                    "allocated_at": at,
                    "allocated_by": actor.username,
                    "levels": levels,
                    "diagnostic": {},
                    "source": source,
                    "deviation": deviation_of[number],
                }
                for number, sequence, arm, at, levels, source in zip(
                    numbers,
                    people["sequence_number"],
                    people["arm"],
                    people["allocated_at"],
                    people["levels"],
                    people["source"],
                    strict=True,
                )
            ],
            list(numbers),
        )
        for form in study.forms:
            frame = frames[form.id]
            items = [i.id for i in form.items()]
            cells = [_python(frame[i], dated=True) for i in items]
            documents = [
                {k: v for k, v in zip(items, row, strict=True) if v is not None}
                for row in zip(*cells, strict=True)
            ]
            owners = frame["study_number"].tolist()
            keys = [""] * len(documents)
            for indices in frame.groupby("study_number", sort=False).indices.values():
                found = record_keys(form, [documents[i] for i in indices])
                for i, key in zip(indices, found, strict=True):
                    keys[i] = key
            rows_of(
                FormRecord,
                [
                    {
                        "id": int(rid),
                        "participant_id": person[owner],
                        "form": form.id,
                        "record_key": key,
                        "data": document,
                        "study_version": 1,
                    }
                    for rid, owner, key, document in zip(
                        frame["id"], owners, keys, documents, strict=True
                    )
                ],
                owners,
            )
        return append_many(conn, actor, entries)


def write_exchange(trial: SyntheticTrial, out: Path, protocol: Protocol | None = None) -> None:
    """The trial as exchange CSV files in `out` (one per form), ready for `cairo6 import`."""
    protocol = protocol or default_protocol()
    out.mkdir(parents=True, exist_ok=True)
    variables = file_variables(protocol)
    for form in FILE_ORDER:
        entries = variables[form]
        frame = trial.tables.get(form, pd.DataFrame(columns=[e.variable for e in entries]))
        cells: dict[str, list[str]] = {}
        for entry in entries:
            column = frame[entry.variable]
            if entry.type == "date" and pd.api.types.is_datetime64_any_dtype(column):
                text = column.dt.strftime("%Y-%m-%d").fillna("")
                cells[entry.variable] = text.tolist()
                continue
            values = _none_for_missing(column).tolist()
            if entry.type == "integer":
                # A column with gaps came back from pandas as floats: 2.0 is the integer 2.
                values = [int(v) if isinstance(v, float) else v for v in values]
            cells[entry.variable] = [cell_text(entry, v) for v in values]
        with (out / f"{form}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([e.variable for e in entries])
            writer.writerows(zip(*(cells[e.variable] for e in entries), strict=True))
    (out / "README.md").write_text(README, encoding="utf-8")


README = """# SYNTHETIC large trial

Generated by `cairo6.studies.cairo6.synthetic_large` from the SYNTHETIC CAIRO6 reference cohort
(patients resampled, renumbered, moved to other centres and shifted in time). Not real patient
data. For benchmarks and load tests only.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Write a generated trial's exchange CSV files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_exchange(generate(args.participants, args.seed), args.out)
    print(f"{args.participants} SYNTHETIC participants written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
