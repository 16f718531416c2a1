"""accounts that can be revoked at once, sign-in throttling, and the accounts' audit log

``users.token_version`` is carried by every token and checked on every request: disabling,
re-scoping or resetting an account's password bumps it, so the account's earlier tokens are
refused on their next request. ``revoked_tokens`` holds the tokens ended by signing out of the
pages until they would have expired. ``sign_in_throttle`` counts refused sign-ins per account and
per client address for every worker process. ``account_events`` is the audit log of sign-ins,
sign-outs and admins' changes. Existing accounts start at version 0 (tokens issued before this
revision carry no version and are refused: their holders sign in again).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_sign_in_at", sa.DateTime(), nullable=True))
    op.create_table(
        "sign_in_throttle",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_sign_in_throttle")),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("token_id", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_revoked_tokens")),
    )
    op.create_index("ix_revoked_tokens_expires_at", "revoked_tokens", ["expires_at"])
    op.create_table(
        "account_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_account_events")),
    )
    op.create_index("ix_account_events_at", "account_events", ["at"])
    op.create_index("ix_account_events_username", "account_events", ["username", "at"])


def downgrade() -> None:
    op.drop_index("ix_account_events_username", table_name="account_events")
    op.drop_index("ix_account_events_at", table_name="account_events")
    op.drop_table("account_events")
    op.drop_index("ix_revoked_tokens_expires_at", table_name="revoked_tokens")
    op.drop_table("revoked_tokens")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_sign_in_at")
        batch.drop_column("token_version")
