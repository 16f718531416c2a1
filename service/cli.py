"""The `jenjang` command: one entry point, each package contributing its subcommands."""

from __future__ import annotations

import logging
import logging.config
import sys
from pathlib import Path
from typing import Annotated

import typer

from features.cli import app as data_app
from training.cli.analyses import analyses_app
from training.cli.batch import batch_app
from training.cli.cycle import cycle_app
from training.cli.models import bench_app, models_app, train_app
from training.cli.placements import placements_app

app = typer.Typer(
    help="Jenjang: career recommendations for Indonesian civil servants (ASN).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")
app.add_typer(placements_app, name="placements")
app.add_typer(analyses_app, name="analyses")
app.add_typer(cycle_app, name="cycle")
app.add_typer(batch_app, name="batch")

users_app = typer.Typer(help="The service's accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="asn, hr_planner, analyst or admin.")],
    employee_id: Annotated[str | None, typer.Option(help="An asn's own employee record.")] = None,
    agency: Annotated[
        list[str] | None,
        typer.Option(
            help="Agency in scope (repeatable): an hr_planner's agencies, or the agencies whose "
            "individual records an analyst is granted."
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input (scripts).")
    ] = False,
) -> None:
    """Add an account; the password is asked for (hidden) unless --password-stdin."""
    from features.store.database import create_db_engine
    from features.store.settings import get_settings
    from service.access.accounts import create_user as add

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    engine = create_db_engine(get_settings().database_url)
    try:
        account = add(engine, username, password, role, employee_id, tuple(agency or ()))
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    scope = account.employee_id or ", ".join(account.agencies) or "all"
    typer.echo(f"created {account.username} ({account.role}; scope: {scope})")


@users_app.command("demo")
def demo_users(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Date whose posts decide the demo ASN (default: the service's date)."
        ),
    ] = None,
) -> None:
    """Create (or reset) one demo account per role with fresh passwords, and print them."""
    import datetime as dt

    from features.store.database import create_db_engine, migrate
    from service.access.accounts import demo_accounts
    from service.settings import ServiceSettings
    from service.state.snapshot import service_date

    settings = ServiceSettings()
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    day = dt.date.fromisoformat(as_of) if as_of else service_date(settings, engine).date()
    try:
        accounts = demo_accounts(engine, day)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo("Demo accounts (passwords are new on every start):")
    for account, password in accounts:
        scope = account.employee_id or ", ".join(account.agencies)
        scope = scope or ("aggregates only" if account.role == "analyst" else "all")
        typer.echo(f"  {account.role:<11} {account.username:<13} {password}   scope: {scope}")


@users_app.command("list")
def list_users() -> None:
    """Every account: username, role, scope, active or disabled, locked until (when locked by
    refused sign-ins), last sign-in (UTC)."""
    from service.access.account_admin import list_accounts

    accounts = list_accounts(_accounts_engine())
    if not accounts:
        typer.echo("no accounts yet (jenjang users create …)")
        return
    typer.echo(f"{'username':<24} {'role':<11} {'status':<9} {'last sign-in':<17} scope")
    for one in accounts:
        status = "active" if one.active else "disabled"
        last = f"{one.last_sign_in_at:%Y-%m-%d %H:%M}" if one.last_sign_in_at else "never"
        locked = f" (locked until {one.locked_until:%Y-%m-%d %H:%M})" if one.locked_until else ""
        typer.echo(f"{one.username:<24} {one.role:<11} {status:<9} {last:<17} {one.scope}{locked}")


@users_app.command("disable")
def disable_user(username: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Disable an account: its sign-ins and every token it holds are refused from the next
    request on."""
    from service.access.account_admin import disable

    _change_account(lambda engine, actor: disable(engine, username, actor))
    typer.echo(f"disabled {username}: its sessions have ended")


@users_app.command("enable")
def enable_user(username: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Let a disabled (or locked) account sign in again."""
    from service.access.account_admin import enable

    _change_account(lambda engine, actor: enable(engine, username, actor))
    typer.echo(f"enabled {username}")


@users_app.command("reset-password")
def reset_user_password(
    username: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the new password from standard input (scripts).")
    ] = False,
) -> None:
    """Give an account a new password (asked for, hidden, twice, unless --password-stdin);
    every token it holds is refused from the next request on, and its lock ends."""
    from service.access.account_admin import reset_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    _change_account(lambda engine, actor: reset_password(engine, username, password, actor))
    typer.echo(f"new password set for {username}: its sessions have ended")


@users_app.command("set-scope")
def set_user_scope(
    username: Annotated[str, typer.Argument(help="The account.")],
    agency: Annotated[
        list[str] | None,
        typer.Option(help="Agency in scope (repeatable): an hr_planner's or analyst's."),
    ] = None,
    employee_id: Annotated[str | None, typer.Option(help="An asn's own employee record.")] = None,
    clear_agencies: Annotated[
        bool, typer.Option(help="An analyst back to aggregates only (no agency granted).")
    ] = False,
) -> None:
    """Change an account's scope (checked as `users create` does; every record and agency must
    exist). Its tokens are refused from the next request on: it signs in again."""
    from service.access.account_admin import set_scope

    agencies = tuple(agency or ())
    if not (agencies or employee_id or clear_agencies) or (agencies and clear_agencies):
        typer.echo(
            "error: give the new scope: --agency A (repeatable), --employee-id E, or "
            "--clear-agencies (an analyst: aggregates only)",
            err=True,
        )
        raise typer.Exit(2)
    changed = _change_account(
        lambda engine, actor: set_scope(engine, username, employee_id, agencies, actor)
    )
    typer.echo(f"{username} now has scope: {changed.scope}; its sessions have ended")


def _accounts_engine():  # type: ignore[no-untyped-def]
    """The database's engine, migrated (the accounts' columns may be newer than it)."""
    from features.store.database import create_db_engine, migrate
    from features.store.settings import get_settings

    engine = create_db_engine(get_settings().database_url)
    migrate(engine)
    return engine


def _change_account(change):  # type: ignore[no-untyped-def]
    """Make `change(engine, actor)` as this system user; a refusal is a clear error on
    stderr (exit 2) and nothing is written."""
    import getpass

    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        actor = "cli"
    try:
        return change(_accounts_engine(), actor)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


feedback_app = typer.Typer(help="Feedback on the service's suggestions.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def export_feedback(
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    since: Annotated[
        str | None, typer.Option(help="Only feedback from this day on (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Every judgement with the suggestion it judged (kind, subject, item, decision, reason,
    model version, data snapshot, date) as CSV: the input of the next retraining."""
    import datetime as dt

    from features.store.database import create_db_engine, migrate
    from features.store.settings import get_settings
    from service.access.audit import export

    try:
        start = dt.datetime.fromisoformat(since) if since else None
    except ValueError:
        typer.echo(f"error: --since {since!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    engine = create_db_engine(get_settings().database_url)
    migrate(engine)
    table = export(engine, start).drop(columns="username")
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    counts = table["decision"].value_counts().to_dict() if len(table) else {}
    typer.echo(f"wrote {len(table)} judgements to {out} {counts}")


audit_app = typer.Typer(help="The audit logs and their retention.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("prune")
def prune_audit(
    before: Annotated[
        str | None,
        typer.Option(
            help="Delete rows older than this day (YYYY-MM-DD). Default: today minus "
            "JENJANG_AUDIT_RETENTION_DAYS."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
) -> None:
    """Delete audit rows and account events older than the retention, in one transaction, and
    record the pruning in the audit log. Kept: the suggestions feedback judged (the models'
    evaluation data) and earlier prunings' rows (`service.access.retention`)."""
    import datetime as dt

    from features.store.database import create_db_engine, migrate
    from service.access import retention
    from service.settings import ServiceSettings

    settings = ServiceSettings()
    try:
        day = dt.date.fromisoformat(before) if before else None
    except ValueError:
        typer.echo(f"error: --before {before!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    days = settings.audit_retention_days
    try:
        cutoff = retention.cutoff(days, day, dt.datetime.now(dt.UTC).date())
    except ValueError as error:
        typer.echo(f"error: --before {error}", err=True)
        raise typer.Exit(2) from None
    if cutoff is None:
        typer.echo("JENJANG_AUDIT_RETENTION_DAYS=0 keeps the audit logs: nothing pruned")
        return
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    asked = {"before": before, "retention_days": days, "dry_run": dry_run}
    done = retention.prune(engine, cutoff, retention.operator(), dry_run, asked)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"{verb} {done.audit_rows} audit rows and {done.account_events} account events "
        f"before {cutoff:%Y-%m-%d}; kept {done.kept_judged} older suggestions judged by feedback"
    )


#: How long uvicorn's supervisor waits for a worker's answer to its health check. Its default,
#: 5 s, killed workers over and over on a busy 2-core machine: a worker loading the models holds
#: the interpreter long enough to miss it, and each restart loaded them again
#: (tests/service/test_operations_view.py saw 14 restarts in a few minutes, one worker serving).
WORKER_TIMEOUT_SECONDS = 60


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    worker_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds a worker may leave the supervisor's health check unanswered before "
            "it is killed and restarted (with --workers > 1).",
        ),
    ] = WORKER_TIMEOUT_SECONDS,
) -> None:
    """Run the API (and its OpenAPI docs at /docs) with uvicorn; settings from JENJANG_*.
    Every worker logs the same way (`service.observability.logs`); with several, their
    metrics are shared through files in PROMETHEUS_MULTIPROC_DIR (a fresh temporary folder
    unless set)."""
    import os
    import secrets

    import uvicorn

    from features.store.database import create_db_engine, migrate
    from service.observability.logs import log_config
    from service.settings import ServiceSettings

    settings = ServiceSettings()
    if workers > 1 and settings.environment == "demo" and not settings.secret_key:
        # the demo generates its secret: one for all workers, or a token works on one only
        os.environ["JENJANG_SECRET_KEY"] = secrets.token_urlsafe(48)
    if workers > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _fresh_metrics_folder()
    # MLflow draws a progress bar on standard error while it downloads a model: not a log line
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    config = log_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(config)  # this process's lines too: every line in one format
    migrate(create_db_engine(settings.database_url))  # once, before the workers start
    logging.getLogger("service.cli").info(
        "starting the Jenjang API for http://%s:%s (docs: /docs, metrics: /metrics); "
        "uvicorn says when it listens",
        host,
        port,
    )
    uvicorn.run(
        "service.main:app",
        host=host,
        port=port,
        workers=workers,
        log_config=config,
        timeout_worker_healthcheck=worker_timeout,
    )


def _fresh_metrics_folder() -> str:
    """The folder where the workers write their metrics: PROMETHEUS_MULTIPROC_DIR emptied of
    an earlier run's metric files (stale counters would be summed in; only prometheus_client's
    own files, so a folder shared with a database loses nothing), else a new temporary one."""
    import os
    import tempfile

    from service.observability.metrics import METRIC_FILES

    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not chosen:
        return tempfile.mkdtemp(prefix="jenjang-metrics-")
    folder = Path(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    for pattern in METRIC_FILES:
        for stale in folder.glob(pattern):
            stale.unlink()
    return str(folder)


@app.command()
def score(
    model: Annotated[
        list[str] | None,
        typer.Option(help="A model in service (default: every one that precomputes answers)."),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            min=1, max=50, help="Answers kept per subject (default: each model's; more: on demand)."
        ),
    ] = None,
    again: Annotated[
        bool, typer.Option("--again", help="Write the day's answers even if already written.")
    ] = False,
) -> None:
    """Precompute the day's answers of the champions for everyone, where the service looks
    them up (the service's date: JENJANG_AS_OF, else the data's extraction date, else today).
    Run after a promotion and after each ingest (daily when the date is today's)."""
    import time

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from service.settings import ServiceSettings
    from service.state.model_store import MODEL_NAMES
    from service.state.precompute import AnswersNotWritten, score_day

    names = tuple(model or MODEL_NAMES)
    unknown = sorted(set(names) - set(MODEL_NAMES))
    if unknown:
        typer.echo(f"error: unknown model {unknown}; known: {', '.join(MODEL_NAMES)}", err=True)
        raise typer.Exit(2)
    start = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn()) as bar:

        def track(name: str, total: int):  # type: ignore[no-untyped-def]
            task = bar.add_task(f"scoring {name}", total=total)
            return lambda done: bar.advance(task, done)

        typer.echo("loading the records and the champions ...")
        try:
            scored = score_day(ServiceSettings(), names, depth, track, again)
        except (LookupError, AnswersNotWritten) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
    for one in scored:
        how = "already written" if one.written.seconds == 0 else f"{one.written.seconds:.0f} s"
        typer.echo(
            f"{one.model} v{one.version} on {one.as_of.date()}: {one.written.subjects} subjects, "
            f"{one.written.rows} answers ({how}) → {one.written.folder}"
        )
    typer.echo(f"done in {time.perf_counter() - start:.0f} s")


def _print_version(value: bool) -> None:
    """`jenjang --version`: the installed distribution's version, then exit."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("jenjang")
        except PackageNotFoundError:  # run from a checkout that was never installed
            installed = "unknown (not installed)"
        typer.echo(f"jenjang {installed}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress."),
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    """Configure logging once, here (never at import time in library modules)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
