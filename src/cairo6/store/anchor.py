"""Anchoring the head of the audit trail outside the database.

The hash chain shows that no record inside it was changed, but someone who can write to the
database can delete its newest records or rewrite its tail and recompute every hash after
that. So after every commit that appends audit records, the new head (sequence number and hash)
is written to an append-only file outside the database, signed with HMAC-SHA256 under a key
kept outside the database too. `verify` then checks the chain against those anchors: a trail
shorter than its latest anchor was truncated; a record whose hash differs from the anchored
one was rewritten.

HMAC (Python's standard library) rather than a public-key signature: the process that signs on
every commit must hold the signing secret anyway, so a public key would add a dependency and
key handling without protecting anything more. Whoever holds the key can check the anchors and
could forge them, so keep the key where the database's users and backups cannot reach it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from cairo6.errors import AuditError, StateError

KEY_BYTES = 32
FRESH_START = ("init", "restore")
"""Events after which the earlier anchors belong to another trail (a new or restored database)."""


@dataclass(frozen=True)
class Anchor:
    """One signed head of the trail: `seq` records, the last with hash `hash`."""

    seq: int
    hash: str
    at: str
    event: str
    """commit, anchor (by hand), backup, or init and restore, which start the anchors afresh."""


def _message(anchor: Anchor) -> bytes:
    body = {"at": anchor.at, "event": anchor.event, "hash": anchor.hash, "seq": anchor.seq}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def create_key(path: Path) -> bool:
    """Write a new random key readable by its owner only; False if one is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def read_key(path: Path) -> bytes:
    """The anchor key, or a clear error naming the file and what to do."""
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise AuditError(
            f"the audit anchor key {path} does not exist. What to do: restore the key file from "
            "where you keep it (CAIRO6_AUDIT_KEY names its place); on a new installation "
            "create one with `cairo6 audit key`"
        ) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise AuditError(
            f"the audit anchor key {path} cannot be read ({exc}). What to do: restore the key "
            "file (64 hexadecimal digits) from where you keep it"
        ) from None
    if len(key) < KEY_BYTES:
        raise AuditError(
            f"the audit anchor key {path} holds {len(key)} bytes; allowed: at least {KEY_BYTES}. "
            "What to do: restore the right key file"
        )
    return key


@dataclass(frozen=True)
class AnchorLog:
    """The anchor file of one database and the key that signs it."""

    path: Path
    key_path: Path

    def append(self, seq: int, head: str, event: str = "commit") -> Anchor:
        """Sign and append the head; one `write` of one line to a file opened for appending."""
        anchor = Anchor(seq, head, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), event)
        mac = hmac.new(read_key(self.key_path), _message(anchor), hashlib.sha256).hexdigest()
        line = json.dumps({**anchor.__dict__, "mac": mac}, sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return anchor

    def _lines(self) -> Iterator[tuple[int, str]]:
        try:
            with self.path.open(encoding="utf-8") as handle:
                yield from enumerate(handle, start=1)
        except FileNotFoundError:
            return

    def read(self) -> list[Anchor]:
        """The anchors of the current trail (since the last restore), each signature checked.

        Raises StateError when a line is not signed with this key: the file was edited, or the
        key is not the one the anchors were made with.
        """
        key = read_key(self.key_path)
        anchors: list[Anchor] = []
        for number, line in self._lines():
            try:
                raw = json.loads(line)
                anchor = Anchor(int(raw["seq"]), str(raw["hash"]), str(raw["at"]), raw["event"])
                good = hmac.compare_digest(
                    hmac.new(key, _message(anchor), hashlib.sha256).hexdigest(), str(raw["mac"])
                )
            except (ValueError, KeyError, TypeError):
                good = False
            if not good:
                raise StateError(
                    f"line {number} of the anchor file {self.path} does not carry a valid "
                    f"signature under the key {self.key_path} (edited, or made with another key)",
                    "check that CAIRO6_AUDIT_KEY names the key this trial was anchored with; "
                    "if it does, the anchor file was tampered with",
                )
            if anchor.event in FRESH_START:
                anchors = []
            anchors.append(anchor)
        return anchors


def default_anchor_path(url: str, state_dir: Path) -> Path:
    """Beside a SQLite file (DATABASE.anchors); for a server database, one file per database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(f"{parsed.database}.anchors")
    name = f"{parsed.host or 'local'}-{parsed.port or 'default'}-{parsed.database or 'db'}"
    return state_dir / "anchors" / f"{name}.anchors"
