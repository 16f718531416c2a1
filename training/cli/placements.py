"""`jenjang placements …`: candidates for a post, career paths, placement plans, succession pools.

The same functions the service will call, on the database and the champion placement-success
model, for an HR planner or an analyst at the command line. People are shown by employee id
only; birth dates are read for the legal age limit of eligibility and never shown.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from features.store.settings import get_settings

placements_app = typer.Typer(
    help="Candidates, career paths, placement plans and succession pools.", no_args_is_help=True
)
# a terminal's own width; 160 columns when piped, so tables of ids are not cut to "E00…"
console = Console(width=None if sys.stdout.isatty() else 160)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Date of the view (YYYY-MM-DD, default today).")
]


def _date(value: str | None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp.now().normalize()
    try:
        return pd.Timestamp(value).normalize()
    except ValueError:
        console.print(f"[red]error:[/red] --as-of {value!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _view(as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """Records and everyone active on `as_of`, described once."""
    from features.store.database import create_db_engine, migrate
    from features.store.personal import load_birth_dates
    from features.store.reads import load_records
    from features.view import build_view

    engine = create_db_engine(get_settings().database_url)
    migrate(engine)
    records = load_records(engine)
    view = build_view(records, as_of, load_birth_dates(engine))
    if view.frame.empty:
        console.print(f"[red]error:[/red] nobody is active on {as_of.date()}")
        raise typer.Exit(2)
    return records, view


def _champion(as_of: pd.Timestamp):  # type: ignore[no-untyped-def]
    """The champion's fitted model, refused for a date before its training cutoff."""
    from training import registry
    from training.contract import PLACEMENT_SUCCESS as MODEL_NAME
    from training.promotion import load_fitted
    from training.registry import get_registry_settings

    client = registry.configure(get_registry_settings())
    version = registry.alias_version(client, MODEL_NAME, registry.CHAMPION)
    if version is None:
        console.print(
            f"[red]error:[/red] {MODEL_NAME} has no champion: run `jenjang train placements` "
            f"and `jenjang models promote {MODEL_NAME}` first"
        )
        raise typer.Exit(2)
    model, tags = load_fitted(MODEL_NAME, version)
    cutoff = pd.Timestamp(tags["training_cutoff"])
    if as_of < cutoff:
        console.print(
            f"[red]error:[/red] --as-of {as_of.date()} is before v{version}'s training cutoff "
            f"{cutoff.date()}: it has seen what followed"
        )
        raise typer.Exit(2)
    return model, version


def _print(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@placements_app.command()
def candidates(
    position: Annotated[str, typer.Argument(help="Position id of the vacancy.")],
    k: Annotated[int, typer.Option(min=1, max=50, help="How many candidates.")] = 10,
    include_ineligible: Annotated[
        bool, typer.Option("--all", help="Also people who fail a rule (with the rules).")
    ] = False,
    as_of: AsOf = None,
) -> None:
    """Ranked candidates for a post: predicted success, fit, eligibility, failed rules."""
    from features.planning.ranking import rank_candidates
    from features.view import vacancy_post

    date = _date(as_of)
    model, version = _champion(date)
    records, view = _view(date)
    try:
        post = vacancy_post(records, position, view.standards)
    except (KeyError, ValueError) as error:
        console.print(f"[red]error:[/red] {error.args[0]}")
        raise typer.Exit(2) from None
    ranked = rank_candidates(view, post, model, k, include_ineligible)
    _print(
        ranked.drop(columns="position_id"),
        f"{position} ({post.family}) on {date.date()}, placement-success v{version}",
    )


@placements_app.command()
def paths(
    employee: Annotated[str, typer.Argument(help="Employee id.")],
    to: Annotated[str | None, typer.Option(help="Target position: routes to it.")] = None,
    k: Annotated[int, typer.Option(min=1, max=50, help="Next steps shown.")] = 10,
    as_of: AsOf = None,
) -> None:
    """The next posts the person fits, or dated routes of up to three moves to `--to`."""
    from features.planning.paths import CareerPaths

    records, view = _view(_date(as_of))
    finder = CareerPaths(view, records)
    try:
        if to is None:
            _print(finder.next_steps(employee, k), f"next steps of {employee}")
            return
        routes = finder.routes(employee, to)
    except KeyError as error:
        console.print(f"[red]error:[/red] {error.args[0]}")
        raise typer.Exit(2) from None
    if not routes:
        console.print(f"no route of at most three moves leads from {employee}'s post to {to}")
    for number, route in enumerate(routes, 1):
        steps = pd.DataFrame([step.as_dict() for step in route])
        steps["shortfall"] = steps["shortfall"].map(
            lambda rows: ", ".join(f"{r['competency_code']} −{r['shortfall']:g}" for r in rows)
        )
        for column in ("blocking_rules", "courses", "required_courses"):
            steps[column] = steps[column].map(json.dumps)
        _print(steps, f"route {number} to {to}")


@placements_app.command()
def plan(
    positions: Annotated[list[str], typer.Argument(help="Position ids of the vacancies.")],
    as_of: AsOf = None,
) -> None:
    """One plan for several vacancies (each person at most one post, eligible only), with its
    total predicted success against filling the vacancies one by one."""
    from features.planning.plans import greedy_plan, placement_plan
    from features.planning.ranking import vacancy_matrix
    from features.view import vacancy_post

    date = _date(as_of)
    model, version = _champion(date)
    records, view = _view(date)
    try:
        posts = [vacancy_post(records, p, view.standards) for p in dict.fromkeys(positions)]
    except (KeyError, ValueError) as error:
        console.print(f"[red]error:[/red] {error.args[0]}")
        raise typer.Exit(2) from None
    matrix = vacancy_matrix(view, posts, model)
    if not matrix.candidates:
        console.print("nobody is eligible for any of these posts: every vacancy stays open")
        return
    args = (matrix.scores, matrix.eligible, matrix.vacancies, matrix.candidates)
    best, greedy = placement_plan(*args), greedy_plan(*args)
    _print(best.assignments, f"placement plan (placement-success v{version})")
    console.print(
        f"total predicted success {best.total:.3f} vs {greedy.total:.3f} filling one by one; "
        f"left open: {', '.join(best.unfilled) or 'none'}"
    )


@placements_app.command()
def succession(
    family: Annotated[str, typer.Argument(help="jpt_madya, jpt_pratama or administrator.")],
    agency: Annotated[str | None, typer.Option(help="Only people of this agency.")] = None,
    as_of: AsOf = None,
) -> None:
    """The succession pool (talent boxes 7–9): ready now, or within two years, with the date."""
    from features.planning.succession import succession_pool

    date = _date(as_of)
    _, view = _view(date)
    facts, frame = view.facts, view.frame
    if agency is not None:
        mine = (frame["agency_id"] == agency).to_numpy()
        if not mine.any():
            console.print(f"[red]error:[/red] nobody active in agency {agency!r}")
            raise typer.Exit(2)
        facts, frame = facts[mine], frame[mine]
    try:
        pool = succession_pool(facts, frame, family, date)
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    _print(pool.reset_index(names="employee_id"), f"succession pool for {family}")
