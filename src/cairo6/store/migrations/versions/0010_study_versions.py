"""Versions of the study definition (protocol amendments)

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03 15:30:00

Adds `study_version`: one row per version of the study definition the trial runs under. The
definition bound to the database so far (`trial_meta.study_files`) becomes version 1, effective
from the protocol's accrual start (or the first screening), with an audit record (`insert`,
user `migration-0010`) so that the replay check accounts for the row. Every record already
entered was entered under it (`form_record.study_version` is 1). A database created from a
protocol file alone, without a definition, gets the table and no version.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import sqlalchemy as sa
from alembic import op

from cairo6.store.audit import Actor
from cairo6.store.meta import STUDY_KEY
from cairo6.store.versions import first_effective_date, write_first_version

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ACTOR = Actor(username="migration-0010", role="system")
REASON = "the definition the trial was created with, kept as version 1 (migration 0010)"


def upgrade() -> None:
    op.create_table(
        "study_version",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    conn = op.get_bind()
    meta = sa.table("trial_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    bound = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
    if STUDY_KEY not in bound:
        return
    files = {str(k): str(v) for k, v in json.loads(bound[STUDY_KEY]).items()}
    write_first_version(
        conn, files, first_effective_date(conn, _accrual_start(files)), ACTOR, REASON
    )


def _accrual_start(files: dict[str, str]) -> dt.date | None:
    manifest = tomllib.loads(files.get("study.toml", ""))
    protocol = tomllib.loads(files.get(str(manifest.get("protocol", "protocol.toml")), ""))
    start = protocol.get("accrual", {}).get("start")
    return start if isinstance(start, dt.date) else None


def downgrade() -> None:
    raise RuntimeError(
        "migration 0010 cannot be undone: the versions of the study definition and the "
        "amendments recorded in the audit trail would be lost. Restore the backup taken before "
        "upgrading instead (`cairo6 restore`)"
    )
