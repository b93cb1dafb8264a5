"""The append-only, hash-chained audit trail.

Every insert, update and delete of a trial-data table made through a store session is turned
into an audit record inside the same flush, so the change and its record commit together or not
at all. Each record holds the SHA-256 of the previous one; `verify` walks the chain and reports
the first broken link. Writers are serialised (see `engine.Database.write`), so the chain stays a
single line even with many clients.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, insert, inspect, select
from sqlalchemy.orm import Session

from cairo6.errors import AuditError
from cairo6.store.anchor import Anchor
from cairo6.store.schema import AuditRecord, Base, FormRecord, Participant

GENESIS = "0" * 64
HEAD_KEY = "cairo6_audit_head"
"""Where `append` leaves the head it wrote on the connection's `info` (and the next `append` of
the same transaction finds it)."""
_AUDIT = AuditRecord.__table__


@dataclass(frozen=True)
class Actor:
    """Who is acting: recorded on every audit record."""

    username: str
    role: str
    centre_id: int | None = None
    user_id: int | None = None


def jsonable(value: Any) -> Any:
    """A value as JSON holds it (dates as ISO text), as the trail records it."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """The JSON text that is hashed: sorted keys, no spaces, dates as ISO strings."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the record's own fields."""
    body = canonical({k: v for k, v in fields.items() if k != "hash"})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def now_iso() -> str:
    """Current UTC time as ISO 8601 text, so that every backend hashes it alike."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def is_audited(table: Table) -> bool:
    """Whether the trail covers a table's rows (tables say otherwise in `info`)."""
    return bool(table.info.get("audited", True))


def _participant_label(conn: Connection, obj: Base, cache: dict[int, str]) -> str | None:
    if isinstance(obj, Participant):
        return obj.study_number
    pid = getattr(obj, "participant_id", None)
    if pid is None:
        return None
    if pid not in cache:
        cache[pid] = conn.execute(
            select(Participant.study_number).where(Participant.id == pid)
        ).scalar_one()
    return cache[pid]


def _item_changes(old: Any, new: Any) -> dict[str, list[Any]]:
    """Per-item old and new values of a form record's document, so the trail names items."""
    before = old if isinstance(old, dict) else {}
    after = new if isinstance(new, dict) else {}
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        was, now = jsonable(before.get(key)), jsonable(after.get(key))
        if was != now:
            out[f"data.{key}"] = [was, now]
    return out


def _changes(obj: Base, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    if isinstance(obj, FormRecord):
        return _form_record_changes(obj, action)
    out: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if action == "insert":
            value = getattr(obj, attr.key)
            if value is not None and attr.key != "password_hash":
                out[attr.key] = [None, jsonable(value)]
        elif action == "delete":
            value = (
                hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            )
            if value is not None:
                out[attr.key] = [jsonable(value), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if attr.key == "password_hash":
                old, new = ("***" if old else None), "***"
            if jsonable(old) != jsonable(new):
                out[attr.key] = [jsonable(old), jsonable(new)]
    return out


def _form_record_changes(obj: FormRecord, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for key in ("id", "participant_id", "form", "record_key", "study_version"):
        hist = state.attrs[key].history
        if action == "insert":
            out[key] = [None, getattr(obj, key)]
        elif action == "delete":
            out[key] = [getattr(obj, key), None]
        elif hist.has_changes():
            out[key] = [hist.deleted[0] if hist.deleted else None, getattr(obj, key)]
    hist = state.attrs["data"].history
    if action == "insert":
        # The document is recorded as created empty, then filled item by item, so that the
        # replay check rebuilds it exactly (`store.replay`).
        out["data"] = [None, {}]
        out.update(_item_changes(None, obj.data))
    elif action == "delete":
        out.update(_item_changes(obj.data, None))
    else:
        old = hist.deleted[0] if hist.deleted else state.committed_state.get("data", obj.data)
        out.update(_item_changes(old, obj.data))
    return out


def _record(
    seq: int,
    prev: str,
    actor: Actor,
    action: str,
    table: str,
    record_id: str,
    changes: dict[str, Any],
    participant: str | None,
    reason: str | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "seq": seq,
        "at": now_iso(),
        "username": actor.username,
        "role": actor.role,
        "action": action,
        "table_name": table,
        "record_id": record_id,
        "participant": participant,
        "changes": canonical(changes),
        "reason": reason,
        "prev_hash": prev,
    }
    row["hash"] = record_hash(row)
    return row


_HEAD = select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)


def _head(conn: Connection) -> tuple[int, str]:
    # The writer holds the write lock, so within its transaction the head is the one it last
    # wrote: read once per transaction, not once per audited flush (a round trip less inside
    # the serialised section). `_forget_head` drops it wherever it could be out of date.
    known = conn.info.get(HEAD_KEY)
    if known is not None:
        return (int(known[0]), str(known[1]))
    last = conn.execute(_HEAD).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def _forget_head(conn: Connection, *_args: Any) -> None:
    """A new transaction may follow other writers' records, and a rolled-back (savepoint)
    transaction took this one's records back: the head must be read again."""
    conn.info.pop(HEAD_KEY, None)


def append(
    conn: Connection,
    actor: Actor,
    action: str,
    table: str,
    record_id: str,
    changes: dict[str, Any],
    *,
    participant: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Append one record to the chain. The caller holds the write lock."""
    seq, prev = _head(conn)
    row = _record(seq + 1, prev, actor, action, table, record_id, changes, participant, reason)
    # One compiled statement for every record (the values are parameters, not SQL): the
    # statement cache then serves it, which matters inside the randomisation lock.
    conn.execute(insert(AuditRecord), row)
    # The new head, for the anchor written once the transaction commits (`Database.write`).
    conn.info[HEAD_KEY] = (row["seq"], row["hash"])
    return row


@dataclass(frozen=True)
class Entry:
    """One audit record to append in bulk: what `append` takes, bar the actor."""

    action: str
    table: str
    record_id: str
    changes: dict[str, Any]
    participant: str | None = None
    reason: str | None = None


def append_many(
    conn: Connection, actor: Actor, entries: Iterable[Entry], chunk: int = 10_000
) -> int:
    """Append many records to the chain with a few statements (bulk writers); the same
    records, hashed the same way, as one `append` each. The caller holds the write lock."""
    seq, prev = _head(conn)
    rows: list[dict[str, Any]] = []
    count = 0
    for e in entries:
        seq += 1
        row = _record(
            seq, prev, actor, e.action, e.table, e.record_id, e.changes, e.participant, e.reason
        )
        prev = row["hash"]
        rows.append(row)
        if len(rows) == chunk:
            conn.execute(insert(AuditRecord), rows)
            count += len(rows)
            rows = []
    if rows:
        conn.execute(insert(AuditRecord), rows)
        count += len(rows)
    if count:
        conn.info[HEAD_KEY] = (seq, prev)
    return count


def insert_changes(values: dict[str, Any]) -> dict[str, list[Any]]:
    """An insert's changes as the trail records them for a row of a trial table: every value
    that is set (a form record's document is recorded item by item, see `_form_record_changes`)."""
    out: dict[str, list[Any]] = {}
    for key, value in values.items():
        if key == "data" and isinstance(value, dict):
            out["data"] = [None, {}]
            out.update(_item_changes(None, value))
        elif value is not None:
            out[key] = [None, jsonable(value)]
    return out


def _after_flush(session: Session, _context: Any) -> None:
    pending = [(o, "insert") for o in session.new] + [(o, "update") for o in session.dirty]
    pending += [(o, "delete") for o in session.deleted]
    audited = [
        (obj, action)
        for obj, action in pending
        if isinstance(obj, Base) and is_audited(obj.__table__)  # type: ignore[arg-type]
    ]
    if not audited:
        return
    actor = session.info.get("actor")
    if not isinstance(actor, Actor):
        raise AuditError("a change to trial data needs an actor; use Database.write(actor)")
    conn = session.connection()
    cache: dict[int, str] = session.info.setdefault("participant_labels", {})
    reason = session.info.get("reason")
    for obj, action in audited:
        changes = _changes(obj, action)
        if action == "update" and not changes:
            continue
        if action in ("update", "delete") and not reason:
            raise AuditError(
                f"changing {obj.__tablename__} record "
                f"{inspect(obj).mapper.primary_key_from_instance(obj)} after first entry "
                "needs a reason; give one (e.g. --reason 'corrected from source document')"
            )
        # The identity key is assigned only after the flush completes; the primary key
        # attributes already hold the database's values.
        key = inspect(obj).mapper.primary_key_from_instance(obj)
        append(
            conn,
            actor,
            action,
            obj.__tablename__,
            ",".join(str(part) for part in key),
            changes,
            participant=_participant_label(conn, obj, cache),
            reason=reason if action != "insert" else session.info.get("insert_reason"),
        )


def install(session_class: type[Session]) -> None:
    """Audit every flush of sessions of this class."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
    # On every engine: `append` also runs on plain connections (migrations, setup).
    for name in ("begin", "rollback", "rollback_savepoint"):
        if not event.contains(Engine, name, _forget_head):
            event.listen(Engine, name, _forget_head)


@dataclass(frozen=True)
class Verification:
    """Result of walking the chain (and checking it against the anchors, when given)."""

    records: int
    ok: bool
    broken_at: int | None = None
    problem: str = ""
    anchored: int | None = None
    """The sequence number of the latest anchor the trail was checked against."""


def iter_records(conn: Connection, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Audit records in chain order, a chunk at a time (the trail can be large)."""
    after = 0
    while True:
        rows = (
            conn.execute(
                select(_AUDIT).where(AuditRecord.seq > after).order_by(AuditRecord.seq).limit(chunk)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield dict(row)
        after = rows[-1]["seq"]


def verify(conn: Connection, anchors: Sequence[Anchor] | None = None) -> Verification:
    """Walk the chain: sequence without gaps, each link to the previous hash, each hash right.

    With `anchors` (from the anchor file), also: every anchored record still has the hash it
    had when it was anchored (else the tail was rewritten), and the trail reaches the latest
    anchor (else records were removed from its end). An empty list of anchors for a non-empty
    trail is itself a problem: nothing could show a truncation.
    """
    anchored = {a.seq: a for a in anchors or ()}
    # Writers on PostgreSQL append their anchors after the lock is released, so the file's
    # lines need not be in commit order: the highest anchored record is the one to reach.
    latest = max(anchors, key=lambda a: a.seq) if anchors else None
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in iter_records(conn):
        count += 1
        seq = row["seq"]
        if seq != expected_seq:
            return Verification(
                count,
                False,
                seq,
                f"sequence jumps from {expected_seq - 1} to {seq} (records removed)",
            )
        if row["prev_hash"] != prev:
            return Verification(count, False, seq, "does not link to the previous record's hash")
        if record_hash(row) != row["hash"]:
            return Verification(
                count, False, seq, "content does not match its hash (record edited)"
            )
        anchor = anchored.get(seq)
        if anchor is not None and anchor.hash != row["hash"]:
            return Verification(
                count,
                False,
                seq,
                f"its hash differs from the one anchored at {anchor.at} (the trail was rewritten "
                "from this record on or before it, and rehashed)",
            )
        prev = row["hash"]
        expected_seq += 1
    if anchors is None:
        return Verification(count, True)
    if latest is None:
        if count == 0:
            return Verification(count, True)
        return Verification(
            count,
            False,
            None,
            "no anchor has been recorded for this trail, so removed records could not be "
            "noticed (once the rest of this check is clean, `cairo6 audit anchor` anchors the "
            "head from now on)",
        )
    if latest.seq > count:
        return Verification(
            count,
            False,
            count + 1,
            f"the trail ends at record {count} but record {latest.seq} was anchored at "
            f"{latest.at} (records removed from the end)",
            latest.seq,
        )
    return Verification(count, True, anchored=latest.seq)
