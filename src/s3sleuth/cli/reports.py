"""Reports people share: `summary` in the terminal, `report --html` as one file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from s3sleuth.cli.base import cli
from s3sleuth.cli.diagnoses import Ask, diagnosis


@cli.command("summary")
@diagnosis
def summary_command(ask: Ask) -> None:
    """An overview of the window: traffic, bytes and error rate over time, the top buckets,
    key prefixes, operations, principals, clients, source IPs and error codes, latency
    percentiles, and the headline findings of denied, network and clients.
    """
    from s3sleuth.reports.terminal import render

    render(ask.store.summary(**ask.window), Console(highlight=False))


@cli.command("report")
@click.option(
    "--html",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this HTML file.",
)
@diagnosis
def report_command(ask: Ask, path: Path) -> None:
    """One self-contained HTML file (opens with no network): the summary with charts,
    sortable tables, the denied findings with their policy statements, and under every chart
    and table the SQL that reproduces it. Needs the html extra.
    """
    ask.store.report_html(path, **ask.window)
    click.echo(f"wrote {path}", err=True)
