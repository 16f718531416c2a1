"""who each course is for (course_audiences), a shipped catalogue like the prerequisites

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_audiences",
        sa.Column("course_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.course_id"], name=op.f("fk_course_audiences_course_id")
        ),
        sa.PrimaryKeyConstraint("course_id", "kind", "value", name=op.f("pk_course_audiences")),
    )


def downgrade() -> None:
    op.drop_table("course_audiences")
