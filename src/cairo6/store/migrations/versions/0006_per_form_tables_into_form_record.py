"""CAIRO6's per-form tables into the generic form store

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:30:00

The first release kept each CAIRO6 case report form in a table of its own (0001). This moves
every row of those 14 tables into `form_record`, one document per row, and drops the tables.

* The document holds the row's values as entered (nothing re-judged, nothing dropped: a value
  the current definition would refuse is history and is kept), plus the derived items a save
  computes today; the record key is the one a save gives (`store.documents`).
* Each moved record gets one audit record, action `migrate`, appended to the hash chain with the
  store's own hashing (`store.audit.append`): the new record as an insert would show it and
  `moved_from` (old table and row id -> new table and id), so the replay check (`store.replay`)
  rebuilds the moved document from the old table's history and then follows it.
* Data queries on a moved record are re-pointed to its new id, each with an `update` audit
  record. Every earlier audit record and every allocation is left as it is.
* A database created from a protocol file alone gets its study definition bound (the bundled
  study of its trial id, with the protocol text the database already holds), so the trial
  opens as a study of the generic store.

Downgrade is refused: see `downgrade`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from cairo6.store.audit import Actor, Entry, append, append_many, insert_changes
from cairo6.store.documents import context_of, entered, record_keys, with_derived
from cairo6.store.meta import PROTOCOL_KEY, STUDY_KEY, study_on
from cairo6.store.replay import MOVED_FROM
from cairo6.study.loader import read_study_texts, study_from_texts
from cairo6.study.study import Study

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = {
    "baseline": "baseline",
    "treatment_cycle": "cycle",
    "restaging": "restaging",
    "surgery": "surgery",
    "discharge": "discharge",
    "readmission": "readmission",
    "reoperation": "reoperation",
    "complication": "complication",
    "toxicity": "toxicity",
    "radiology_review": "radiology",
    "pathology_review": "pathology",
    "off_study": "off_study",
    "deviation": "deviation",
    "follow_up": "follow_up",
}
"""The per-form tables of revision 0001, by the form id each held (frozen history)."""
SYSTEM = ("id", "participant_id")
ACTOR = Actor(username="migration-0006", role="system")

_FORM_RECORD = sa.Table(
    "form_record",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("participant_id", sa.Integer),
    sa.Column("form", sa.String),
    sa.Column("record_key", sa.String),
    sa.Column("data", sa.JSON),
    sa.Column("study_version", sa.Integer),
)
_QUERY = sa.table(
    "data_query",
    sa.column("id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("form", sa.String),
    sa.column("record_id", sa.Integer),
)


def _read(conn: sa.Connection, name: str) -> list[dict[str, Any]]:
    # Reflected, so dates, booleans and JSON come back typed as the old ORM gave them.
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    return [dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]


def upgrade() -> None:
    conn = op.get_bind()
    present = [t for t in TABLES if sa.inspect(conn).has_table(t)]
    rows = {t: _read(conn, t) for t in present}
    if any(rows.values()):
        _move(conn, rows)
    for table in present:
        op.drop_table(table)


def _bind_definition(conn: sa.Connection, study: Study) -> None:
    """Bind the study definition the records now follow, as `db init --study` does, keeping
    the protocol text the database was created with (the trial stays under its protocol)."""
    meta = sa.table("trial_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    bound = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
    if STUDY_KEY in bound or study.folder is None:
        return
    files = read_study_texts(study.folder)
    files[study.manifest.protocol] = bound[PROTOCOL_KEY]
    study_from_texts(files, "the study definition bound by migration 0006")  # refuses a misfit
    text = json.dumps(files, sort_keys=True, ensure_ascii=False)
    conn.execute(sa.insert(meta).values(key=STUDY_KEY, value=text))


def _move(conn: sa.Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    study = study_on(conn)
    _bind_definition(conn, study)
    documents: dict[str, list[dict[str, Any]]] = {}
    once: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for table, table_rows in rows.items():
        form = study.form(TABLES[table])
        items = {i.id for i in form.items()}
        for row in table_rows:
            unknown = sorted(k for k, v in row.items() if k not in items | set(SYSTEM) and v)
            if unknown:
                raise RuntimeError(
                    f"{table} row {row['id']} has {', '.join(unknown)}, which form {form.id} of "
                    "the study definition does not declare; nothing was moved. Add the items to "
                    "the definition (forms.toml) or ask the maintainers"
                )
        documents[table] = [entered(form, row) for row in table_rows]
        if not form.repeating:
            for row, document in zip(table_rows, documents[table], strict=True):
                once[row["participant_id"]][form.id] = document
    labels = {
        int(i): str(n) for i, n in conn.execute(sa.text("SELECT id, study_number FROM participant"))
    }
    contexts = {pid: context_of(study, docs) for pid, docs in once.items()}
    moved: dict[tuple[str, int], int] = {}
    entries: list[Entry] = []
    records: list[dict[str, Any]] = []
    # Ids are given here, after any record already in the store, so the rows go in with a few
    # statements; PostgreSQL's id sequence is moved past them below.
    new_id = conn.execute(sa.select(sa.func.max(_FORM_RECORD.c.id))).scalar() or 0
    for table, table_rows in rows.items():
        form = study.form(TABLES[table])
        by_participant: dict[int, list[int]] = defaultdict(list)
        for index, row in enumerate(table_rows):
            by_participant[row["participant_id"]].append(index)
        keys: dict[int, str] = {}
        for indices in by_participant.values():
            found = record_keys(form, [documents[table][i] for i in indices])
            keys.update(zip(indices, found, strict=True))
        for index, row in enumerate(table_rows):
            pid = row["participant_id"]
            document = with_derived(study, form, documents[table][index], contexts.get(pid, {}))
            new_id += 1
            values = {
                "id": new_id,
                "participant_id": pid,
                "form": form.id,
                "record_key": keys[index],
                "data": document,
                "study_version": 1,
            }
            records.append(values)
            moved[(form.id, row["id"])] = new_id
            changes = {
                **insert_changes(values),
                MOVED_FROM: [f"{table},{row['id']}", f"form_record,{new_id}"],
            }
            entries.append(
                Entry(
                    "migrate",
                    "form_record",
                    str(new_id),
                    changes,
                    participant=labels.get(pid),
                    reason=f"moved from table {table}, row {row['id']}, into the generic form "
                    "store (migration 0006)",
                )
            )
    for start in range(0, len(records), 10_000):
        conn.execute(sa.insert(_FORM_RECORD), records[start : start + 10_000])
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('form_record', 'id'), :last)"),
            {"last": new_id},
        )
    append_many(conn, ACTOR, entries)
    _repoint_queries(conn, moved, labels)


def _repoint_queries(
    conn: sa.Connection, moved: dict[tuple[str, int], int], labels: dict[int, str]
) -> None:
    queries = conn.execute(
        sa.select(_QUERY.c.id, _QUERY.c.participant_id, _QUERY.c.form, _QUERY.c.record_id)
        .where(_QUERY.c.record_id.is_not(None))
        .order_by(_QUERY.c.id)
    ).all()
    for qid, pid, form, old in queries:
        new = moved.get((form, old))
        if new is None:
            continue
        conn.execute(sa.update(_QUERY).where(_QUERY.c.id == qid).values(record_id=new))
        append(
            conn,
            ACTOR,
            "update",
            "data_query",
            str(qid),
            {"record_id": [old, new]},
            participant=labels.get(pid),
            reason=f"its {form} record moved into the generic form store as form_record {new} "
            "(migration 0006)",
        )


def downgrade() -> None:
    raise RuntimeError(
        "migration 0006 cannot be undone: records entered or changed after it live only in "
        "form_record and its audit trail, and putting them back into the per-form tables would "
        "rewrite history the trail has already sealed. To go back, restore the backup taken "
        "before upgrading (`cairo6 restore`)"
    )
