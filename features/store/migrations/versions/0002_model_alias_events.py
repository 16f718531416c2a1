"""model alias events (champion/challenger history)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_alias_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_name", sa.Text(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("previous_version", sa.Text(), nullable=True),
        sa.Column("moved_at", sa.DateTime(), nullable=False),
        sa.Column("moved_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_model_alias_events")),
    )
    op.create_index(
        "ix_model_alias_events_model_name", "model_alias_events", ["model_name", "moved_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_model_alias_events_model_name", table_name="model_alias_events")
    op.drop_table("model_alias_events")
