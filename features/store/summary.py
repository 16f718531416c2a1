"""What the database holds, for `jenjang data summary` and the end of `make demo`.

Only aggregates: counts per table and shares of active ASN; no personal data.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from features.schema import TABLES
from features.store.database import metadata

_ACTIVE = """
SELECT a.region AS region, e.employment_type AS employment_type, COUNT(*) AS asn
FROM employees e
JOIN position_history h ON h.employee_id = e.employee_id AND h.end_date IS NULL
JOIN positions p ON p.position_id = h.position_id
JOIN units u ON u.unit_id = p.unit_id
JOIN agencies a ON a.agency_id = u.agency_id
WHERE e.exit_date IS NULL
GROUP BY a.region, e.employment_type
ORDER BY a.region, e.employment_type
"""

_FAMILIES = """
SELECT p.family AS family, COUNT(*) AS asn,
       SUM(CASE WHEN e.sex = 'F' THEN 1 ELSE 0 END) AS women
FROM employees e
JOIN position_history h ON h.employee_id = e.employee_id AND h.end_date IS NULL
JOIN positions p ON p.position_id = h.position_id
WHERE e.exit_date IS NULL
GROUP BY p.family ORDER BY COUNT(*) DESC
"""


def database_summary(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    """Row counts per table, active ASN by region and type, and by position family."""
    with engine.connect() as connection:
        counts = pd.DataFrame(
            [
                (
                    name,
                    connection.execute(
                        sa.select(sa.func.count()).select_from(metadata.tables[name])
                    ).scalar_one(),
                )
                for name in TABLES
            ],
            columns=["table", "rows"],
        )
        batches = connection.execute(sa.text("SELECT COUNT(*) FROM ingest_batches")).scalar_one()
        regions = pd.read_sql(sa.text(_ACTIVE), connection)
        families = pd.read_sql(sa.text(_FAMILIES), connection)
    counts.loc[len(counts)] = ["ingest_batches", batches]
    families["share_women"] = (families["women"] / families["asn"]).round(2)
    return {
        "rows per table": counts,
        "active ASN by region": regions,
        "active ASN by position family": families.drop(columns="women"),
    }
