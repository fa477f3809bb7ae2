"""Reports people share: `summary` in the terminal, `report --html` as one file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from s3sleuth.cli import cli
from s3sleuth.cli.diagnoses import Diagnosis, diagnosis


@cli.command("summary")
@diagnosis
def summary_command(d: Diagnosis) -> None:
    """An overview of the window: traffic, bytes and error rate over time, the top buckets,
    key prefixes, operations, principals, clients, source IPs and error codes, latency
    percentiles, and the headline findings of denied, network and clients.
    """
    from s3sleuth.reports.summary import summary
    from s3sleuth.reports.terminal import render

    render(summary(d.store, d.window), Console(highlight=False))


@cli.command("report")
@click.option(
    "--html",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this HTML file.",
)
@diagnosis
def report_command(d: Diagnosis, path: Path) -> None:
    """One self-contained HTML file (opens with no network): the summary with charts,
    sortable tables, the denied findings with their policy statements, and under every chart
    and table the SQL that reproduces it. Needs the html extra.
    """
    from s3sleuth.reports.html import write_report
    from s3sleuth.reports.summary import summary

    write_report(summary(d.store, d.window), path)
    click.echo(f"wrote {path}", err=True)
