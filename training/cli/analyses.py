"""`jenjang analyses …`: the analyst's questions about the data, beside the models."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from features.store.settings import get_settings

if TYPE_CHECKING:
    from features.planning.needs import AgencyNeeds

analyses_app = typer.Typer(help="Analyses: training impact.", no_args_is_help=True)


def _console() -> Console:
    """A console made when printing, so it takes the terminal's width (``COLUMNS``) then."""
    return Console()


@analyses_app.command("impact")
def impact(
    out: Annotated[Path, typer.Option(help="Folder for the two CSV tables.")] = Path(
        "reports/impact"
    ),
    truth: Annotated[
        Path | None,
        typer.Option(help="A generated dataset: put its hidden true effects beside the estimates."),
    ] = None,
    min_takers: Annotated[
        int, typer.Option(help="Fewest takers for a course to be estimated.")
    ] = 50,
    as_of: Annotated[
        dt.datetime | None, typer.Option(help="Use the records known before this date.")
    ] = None,
) -> None:
    """Each course's effect on the competencies it targets and on the next SKP score, among
    those who took it, adjusted for who chose it (doubly robust), with 95% intervals."""
    from features.store.database import create_db_engine
    from features.store.reads import load_records
    from training.analyses.impact import compare_with_truth, competency_effects, performance_effects
    from training.truth import Truth

    if min_takers < 10:
        raise typer.BadParameter("must be at least 10", param_hint="--min-takers")
    records = load_records(create_db_engine(get_settings().database_url))
    hidden = Truth.load(truth) if truth is not None else None
    cutoff = pd.Timestamp(as_of or dt.datetime.now())
    tables = {
        "competencies": competency_effects(records, cutoff, hidden, min_takers),
        "performance": performance_effects(records, cutoff, hidden, min_takers),
    }
    out.mkdir(parents=True, exist_ok=True)
    summary = Table(
        "outcome", "estimates", "MAE", "naive MAE", "bias", "95% coverage", "corr. (naive)"
    )
    for name, table in tables.items():
        table.to_csv(out / f"impact_{name}.csv", index=False)
        check = compare_with_truth(table) if hidden is not None else {"estimates": 0.0}
        if check["estimates"]:
            summary.add_row(
                name,
                f"{check['estimates']:.0f}",
                f"{check['mae']:.3f}",
                f"{check['naive_mae']:.3f}",
                f"{check['bias']:+.3f}",
                f"{check['coverage']:.2f}",
                f"{check['correlation']:.2f} ({check['naive_correlation']:.2f})",
            )
        else:
            summary.add_row(name, str(len(table)), "", "", "", "", "")
    console = _console()
    console.print(summary)
    console.print(f"tables in {out}/impact_competencies.csv and impact_performance.csv")


@analyses_app.command("needs")
def needs(
    agency: Annotated[
        list[str] | None, typer.Option(help="Agency id (repeat for several; default: all).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the needs as CSV here.")] = None,
    as_of: Annotated[
        dt.datetime | None, typer.Option(help="Describe people on this date (default: today).")
    ] = None,
    top: Annotated[int, typer.Option(help="Shared gaps per agency.")] = 5,
) -> None:
    """Training needs for next year per agency: the competency gaps most people share, the
    courses that close them with their participants and JP, and who is below the 20 JP right."""
    from features.asof.course_history import jp_this_year
    from features.planning.needs import agency_needs
    from features.store.database import create_db_engine
    from features.store.personal import load_birth_dates
    from features.store.reads import load_records
    from features.view import build_view

    engine = create_db_engine(get_settings().database_url)
    records = load_records(engine)
    when = pd.Timestamp(as_of or dt.datetime.now()).normalize()
    view = build_view(records, when, load_birth_dates(engine))  # the view needs ages for rules
    known = sorted(view.frame["agency_id"].unique())
    wanted = agency or known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise typer.BadParameter(
            f"no active people in {', '.join(unknown)} on {when.date()}", param_hint="--agency"
        )
    done = jp_this_year(records, when)
    console = _console()
    rows = []
    for agency_id in wanted:
        found = agency_needs(
            view.frame,
            view.levels,
            view.standards,
            records["courses"],
            records["course_competencies"],
            done,
            agency_id,
            top=top,
            course_audiences=records["course_audiences"],
        )
        console.print(_needs_table(agency_id, found))
        rows += _needs_rows(agency_id, found)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(out, index=False)
        console.print(f"written to {out}")


def _needs_table(agency_id: str, found: AgencyNeeds) -> Table:
    """One agency's shared gaps with the courses that close them, as the terminal shows it."""
    table = Table(
        "competency",
        "people (share)",
        "mean shortfall",
        "courses (participants, JP)",
        title=f"{agency_id}: {found.people} people, {found.below_right} below the "
        f"{found.jp_right} JP right ({found.jp_to_right} JP to reach it)",
    )
    for gap in found.gaps:
        courses = "; ".join(
            f"{c.course_id} {c.title_id} ({c.participants}, {c.jp_total} JP)" for c in gap.courses
        )
        table.add_row(
            f"{gap.competency_code} {gap.name_id}",
            f"{gap.people} ({gap.share:.0%})",
            f"{gap.mean_shortfall:.2f}",
            courses or "-",
        )
    return table


def _needs_rows(agency_id: str, found: AgencyNeeds) -> list[dict[str, object]]:
    """One row per (shared gap, course) for the CSV."""
    return [
        {
            "agency_id": agency_id,
            "competency_code": gap.competency_code,
            "people": gap.people,
            "share": gap.share,
            "mean_shortfall": gap.mean_shortfall,
            "course_id": course.course_id,
            "participants": course.participants,
            "jp_total": course.jp_total,
        }
        for gap in found.gaps
        for course in gap.courses
    ]
