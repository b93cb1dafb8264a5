"""generic form records of a study definition

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("study_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("participant_id", "form", "record_key"),
    )
    with op.batch_alter_table("form_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_record_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_form_record_form"), ["form"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_record_form"))
        batch_op.drop_index(batch_op.f("ix_form_record_participant_id"))
    op.drop_table("form_record")
