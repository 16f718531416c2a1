"""riwayat angka kredit (credit_records), imported from SIASN's rw-angkakredit

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_records",
        sa.Column("employee_id", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("main_credit", sa.Float(), nullable=True),
        sa.Column("supporting_credit", sa.Float(), nullable=True),
        sa.Column("total_credit", sa.Float(), nullable=False),
        sa.Column("decree_number", sa.Text(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.employee_id"],
            name=op.f("fk_credit_records_employee_id"),
        ),
        sa.PrimaryKeyConstraint("employee_id", "period_start", name=op.f("pk_credit_records")),
    )


def downgrade() -> None:
    op.drop_table("credit_records")
