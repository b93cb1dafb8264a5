"""The anchor file and its key: signed lines, appended only, checked on reading."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cairo6.errors import AuditError, StateError
from cairo6.store.anchor import AnchorLog, create_key, default_anchor_path


def test_the_key_is_private_and_never_replaced(tmp_path: Path) -> None:
    key = tmp_path / "conf" / "audit-anchor.key"
    assert create_key(key)
    first = key.read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not create_key(key)
    assert key.read_text() == first


def test_anchors_read_back_and_start_afresh_after_a_restore(tmp_path: Path) -> None:
    create_key(tmp_path / "k")
    log = AnchorLog(tmp_path / "trial.db.anchors", tmp_path / "k")
    log.append(3, "a" * 64)
    log.append(7, "b" * 64)
    assert [(a.seq, a.event) for a in log.read()] == [(3, "commit"), (7, "commit")]
    log.append(5, "c" * 64, "restore")
    log.append(6, "d" * 64)
    assert [(a.seq, a.event) for a in log.read()] == [(5, "restore"), (6, "commit")]


def test_another_key_or_a_short_key_is_refused_plainly(tmp_path: Path) -> None:
    create_key(tmp_path / "k")
    create_key(tmp_path / "other")
    AnchorLog(tmp_path / "a", tmp_path / "k").append(1, "a" * 64)
    with pytest.raises(StateError, match="line 1 of the anchor file"):
        AnchorLog(tmp_path / "a", tmp_path / "other").read()
    (tmp_path / "short").write_text("abcd\n")
    with pytest.raises(AuditError, match="holds 2 bytes; allowed: at least 32"):
        AnchorLog(tmp_path / "a", tmp_path / "short").read()


def test_default_places(tmp_path: Path) -> None:
    assert default_anchor_path(f"sqlite:///{tmp_path}/t.db", tmp_path) == Path(
        f"{tmp_path}/t.db.anchors"
    )
    server = default_anchor_path("postgresql+psycopg://u:secret@db.example:5433/trial", tmp_path)
    assert server == tmp_path / "anchors" / "db.example-5433-trial.anchors"
