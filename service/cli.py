"""The `jenjang` command: one entry point, each package contributing its subcommands."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from features.cli import app as data_app
from training.cli import bench_app, models_app, train_app
from training.placement_cli import placements_app

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
    from features.database import create_db_engine
    from features.settings import get_settings
    from service.accounts import create_user as add

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


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress.")) -> None:
    """Configure logging once, here (never at import time in library modules)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
