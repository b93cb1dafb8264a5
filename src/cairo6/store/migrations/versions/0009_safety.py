"""serious-adverse-event reports and their e-mail notices (P3 safety)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03 16:00:00

Two new tables, nothing existing changed: `sae_report` (the site's initial and follow-up
reports of a serious adverse event to the sponsor) and `sae_notice` (each e-mail notification
attempted after a commit, sent or failed). The events themselves stay form records.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sae_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["form_record.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "number"),
    )
    op.create_index("ix_sae_report_record_id", "sae_report", ["record_id"])
    op.create_index("ix_sae_report_participant_id", "sae_report", ["participant_id"])
    op.create_table(
        "sae_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("attempted_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["form_record.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sae_notice_record_id", "sae_notice", ["record_id"])
    op.create_index("ix_sae_notice_participant_id", "sae_notice", ["participant_id"])


def downgrade() -> None:
    op.drop_table("sae_notice")
    op.drop_table("sae_report")
