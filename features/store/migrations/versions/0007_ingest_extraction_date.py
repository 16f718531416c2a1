"""the extraction date of each ingested export (ingest_batches.extracted_on)

The service's date defaults to the extraction date of the data it serves (the latest one
recorded), so a dataset extracted months ago is described on its own day, not on today's.
Batches ingested before this revision from a generated dataset get the date its manifest
states, when the folder is still where it was ingested from (best effort: others stay null,
and a service on them keeps today's date).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 16:00:00
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        batch.add_column(sa.Column("extracted_on", sa.Date(), nullable=True))
    batches = sa.table(
        "ingest_batches",
        sa.column("batch_id", sa.Integer),
        sa.column("source", sa.Text),
        sa.column("extracted_on", sa.Date),
    )
    connection = op.get_bind()
    for batch_id, source in connection.execute(sa.select(batches.c.batch_id, batches.c.source)):
        stated = _stated(str(source).removeprefix("cycle ").split(": ", 1)[-1])
        if stated is not None:
            connection.execute(
                batches.update().where(batches.c.batch_id == batch_id).values(extracted_on=stated)
            )


def downgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        batch.drop_column("extracted_on")


def _stated(folder: str) -> dt.date | None:
    """The extraction date a generated dataset's manifest states (as at this revision)."""
    manifest = Path(folder) / "truth" / "manifest.json"
    try:
        stated = json.loads(manifest.read_text()).get("extraction_date")
        return dt.date.fromisoformat(stated) if stated else None
    except (OSError, ValueError, AttributeError):
        return None
