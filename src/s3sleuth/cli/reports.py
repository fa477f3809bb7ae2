"""Reports people share: `summary` in the terminal, `report --html` as one file."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from s3sleuth.cli.base import cli
from s3sleuth.cli.diagnoses import Ask, diagnosis, report_options
from s3sleuth.output import write_json, write_long_csv


@cli.command(
    "summary",
    epilog="""\b
Examples:
  s3sleuth summary --since 7d
  s3sleuth summary --format json | jq '.sections[0].rows[0]'""",
)
@diagnosis
def summary_command(ask: Ask) -> None:
    """An overview of the window: traffic, bytes and error rate over time, the top buckets,
    key prefixes, operations, principals, clients, source IPs and error codes, latency
    percentiles, and the headline findings of denied, network and clients.

    --format json prints one object with a key per part; csv prints every section's rows in
    long form (section, row, column, value).
    """
    summary = ask.store.summary(**ask.window)
    if ask.fmt == "json":
        write_json(summary.to_dict(), sys.stdout)
    elif ask.fmt == "csv":
        write_long_csv(summary.to_dict(), sys.stdout)
    else:
        from s3sleuth.reports.terminal import render

        render(summary, Console(highlight=False))


@cli.command(
    "report",
    epilog="""\b
Examples:
  s3sleuth report --html report.html --since 7d""",
)
@click.option(
    "--html",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this HTML file.",
)
@report_options
def report_command(ask: Ask, path: Path) -> None:
    """One self-contained HTML file (opens with no network): the summary with charts,
    sortable tables, the denied findings with their policy statements, and under every chart
    and table the SQL that reproduces it. Needs the html extra.
    """
    ask.store.report_html(path, **ask.window)
    click.echo(f"wrote {path}", err=True)
