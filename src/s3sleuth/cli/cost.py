"""`cost` and `usage`: what the traffic costs, and who uses which data."""

from __future__ import annotations

from pathlib import Path

import click

from s3sleuth.cli.base import cli
from s3sleuth.cli.diagnoses import Ask, diagnosis
from s3sleuth.cost.estimate import BY
from s3sleuth.cost.usage import BY as USAGE_BY

depth_option = click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --by prefix: how many folders of the key make the prefix.",
)


@cli.command(
    "cost",
    epilog="""\b
Examples:
  s3sleuth cost --since 30d --by principal
  s3sleuth cost --by prefix --depth 2 --bucket prod-data --format csv > cost.csv""",
)
@click.option(
    "--by",
    type=click.Choice(BY),
    default="bucket",
    show_default=True,
    help="What each row is: a principal, bucket, key prefix, operation, client or network path.",
)
@depth_option
@click.option(
    "--prices",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON price table replacing the built-in one (S3 Standard, us-east-1): date, "
    "region, tier1_per_1000, tier2_per_1000, internet_egress_per_gb.",
)
@click.option(
    "--ip-ranges",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="AWS's ip-ranges.json: bytes to AWS's own public addresses are not internet egress.",
)
@click.option(
    "--requester-pays",
    multiple=True,
    metavar="BUCKET",
    help="A Requester Pays bucket: its requests are the requester's cost (repeatable).",
)
@diagnosis
def cost_command(
    ask: Ask,
    by: str,
    depth: int,
    prices: Path | None,
    ip_ranges: Path | None,
    requester_pays: tuple[str, ...],
) -> None:
    """What the traffic costs, estimated from the log alone.

    Each request is classed as AWS bills it (tier 1: PUT, COPY, POST, LIST; tier 2: GET, HEAD
    and the rest; free: DELETE and the rows S3 writes itself; unbilled: 5xx and the error codes
    AWS does not bill) and priced with a dated table; bytes sent to public addresses that are
    not CloudFront are internet egress. Rows are sorted by estimated USD. The price table and
    every assumption are printed on stderr.
    """
    report = ask.store.cost(
        **ask.window,
        by=by,
        depth=depth,
        prices=prices,
        ip_ranges=ip_ranges,
        requester_pays=requester_pays,
    )
    ask.show(report)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)


@cli.command(
    "usage",
    epilog="""\b
Examples:
  s3sleuth usage --by prefix --depth 2 --since 30d
  s3sleuth usage --by key --inventory inventory/manifest.json --format csv > cold.csv""",
)
@click.option(
    "--by",
    type=click.Choice(USAGE_BY),
    default="prefix",
    show_default=True,
    help="What each row is: a key, a key prefix, a principal or a client.",
)
@depth_option
@click.option(
    "--inventory",
    "inventory",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An S3 Inventory report (manifest.json, or CSV or Parquet data files; repeatable): "
    "adds the objects never read in the window.",
)
@diagnosis
def usage_command(ask: Ask, by: str, depth: int, inventory: tuple[Path, ...]) -> None:
    """Who reads which data: downloads per key, prefix, principal or client.

    A download is a GET of an object answered 200 or 206. Each row has the downloads,
    distinct principals and source addresses, bytes sent, and first and last access. With
    --inventory, the objects the report lists that nobody read in the window are added
    (last_access empty), with their size and storage class.
    """
    ask.show(ask.store.usage(**ask.window, by=by, depth=depth, inventory=inventory))
