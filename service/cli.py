"""The `jenjang` command: one entry point, each package contributing its subcommands."""

from __future__ import annotations

import logging

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


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress.")) -> None:
    """Configure logging once, here (never at import time in library modules)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
