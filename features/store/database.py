"""Database tables derived from the canonical schema, engines, and Alembic migrations.

SQLite is the embedded default, PostgreSQL the production database; both get the same tables
through the migrations in ``features/store/migrations``. Natural keys are primary keys so that
re-ingesting a file is an idempotent upsert.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from features.schema import TABLES, DType

log = logging.getLogger(__name__)

_SQL_TYPES: dict[DType, type[sa.types.TypeEngine]] = {
    "str": sa.Text,
    "int": sa.Integer,
    "float": sa.Float,
    "date": sa.Date,
    "datetime": sa.DateTime,
    "bool": sa.Boolean,
}

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
)


def _define_canonical_tables() -> None:
    for spec in TABLES.values():
        columns = []
        for col in spec.columns:
            columns.append(
                sa.Column(
                    col.name,
                    _SQL_TYPES[col.dtype](),
                    primary_key=col.name in spec.key,
                    nullable=col.nullable and col.name not in spec.key,
                    unique=col.unique or None,
                )
            )
        constraints = [
            sa.ForeignKeyConstraint([fk.column], [f"{fk.ref_table}.{fk.ref_column}"])
            for fk in spec.foreign_keys
        ]
        sa.Table(spec.name, metadata, *columns, *constraints)


_define_canonical_tables()

ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("inserted", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False, doc="per table: inserted/updated/unchanged"),
    sa.Column(
        "extracted_on",
        sa.Date,
        nullable=True,
        doc="the export's extraction date when known (--extracted-on, or a generated "
        "dataset's manifest); the service's date defaults to the latest",
    ),
)

#: Every move of a registered model's alias (champion, challenger): MLflow keeps only the
#: current alias, so "which version was in service on date D" and rollbacks are answered here.
model_alias_events = sa.Table(
    "model_alias_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.Text, nullable=False),
    sa.Column("alias", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=True, doc="None when the alias was removed"),
    sa.Column("previous_version", sa.Text, nullable=True),
    sa.Column("moved_at", sa.DateTime, nullable=False),
    sa.Column("moved_by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("forced", sa.Boolean, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=True, doc="the gate's comparison, as measured"),
    sa.Index("ix_model_alias_events_model_name", "model_name", "moved_at"),
)

#: The service's accounts (`service.access.accounts`): a role, and for an ASN their own employee
#: record, for an HR planner the agencies in their scope. Passwords only as argon2 hashes.
users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("employee_id", sa.Text, nullable=True),
    sa.Column("agencies", sa.JSON, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column(
        "token_version",
        sa.Integer,
        nullable=False,
        server_default="0",
        doc="carried by every token; disabling, re-scoping or a new password bumps it, so the "
        "account's earlier tokens are refused on their next request",
    ),
    sa.Column("last_sign_in_at", sa.DateTime, nullable=True),
)

#: Refused sign-ins counted per account and per client address (`service.access.sign_in`),
#: shared by every worker: ``kind`` is "account" or "address", ``key`` the username or the
#: address. A count lives for one window from its first failure; reaching the limit blocks the
#: key until ``blocked_until`` and starts the count again.
sign_in_throttle = sa.Table(
    "sign_in_throttle",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_start", sa.DateTime, nullable=True),
    sa.Column("blocked_until", sa.DateTime, nullable=True),
)

#: Tokens ended before their expiry by signing out of the pages (their ``jti``); kept until
#: they would have expired anyway.
revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("token_id", sa.Text, primary_key=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index("ix_revoked_tokens_expires_at", "expires_at"),
)

#: The audit log of accounts (`service.access.audit.AccountEvent`): every sign-in (succeeded or
#: refused, and why), sign-out and change an admin made, with who and from which address. Never
#: a password; a username nobody has is written as a marker (it may be a mistyped password).
account_events = sa.Table(
    "account_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=True),
    sa.Column("detail", sa.JSON, nullable=True),
    sa.Index("ix_account_events_at", "at"),
    sa.Index("ix_account_events_username", "username", "at"),
)

#: Every answer of the service that carries suggestions: who asked, when, what was returned and
#: by which model version. Its id is the suggestion id that feedback refers to.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("suggestion_id", sa.Text, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("model_name", sa.Text, nullable=True),
    sa.Column("model_version", sa.Text, nullable=True),
    sa.Column("data_snapshot", sa.Text, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("returned", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_at", "at"),
)

#: Accept / reject / not relevant on one item of a logged suggestion, for the next retraining.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("feedback_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("suggestion_id", sa.Text, sa.ForeignKey("audit_log.suggestion_id"), nullable=False),
    sa.Column("item_id", sa.Text, nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

MIGRATIONS = Path(__file__).parent / "migrations"


#: Seconds a PostgreSQL connection attempt may take before it fails (a request then gets a
#: 503 rather than waiting on a database that does not answer).
CONNECT_TIMEOUT_SECONDS = 10


def create_db_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite files get their folder created and foreign keys enforced.

    A PostgreSQL server may stop and come back under a running service: each pooled
    connection is tested before a request gets it (a dead one is replaced, so the service
    recovers by itself), and a connection attempt gives up after `CONNECT_TIMEOUT_SECONDS`.
    A failed statement's message leaves out its parameters (``hide_parameters``): they may hold
    a username or a person's record, and such messages reach the service's log."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
        Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
    if sa_url.get_backend_name() == "postgresql":
        given = "connect_timeout" in sa_url.query  # the URL's own setting wins
        connect = {} if given else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        engine = sa.create_engine(
            sa_url, pool_pre_ping=True, connect_args=connect, hide_parameters=True
        )
    else:
        engine = sa.create_engine(sa_url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # with WAL, NORMAL loses no integrity, only the last commits on a power cut; it spares the
    # service's audit-log writes an fsync each. Writers wait for each other up to 5 s.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config(engine: sa.Engine) -> Config:
    """Alembic configuration pointing at the packaged migrations and at `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the database schema to `revision` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: sa.Engine) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
