"""`s3sleuth athena ...`: Athena DDL for the log bucket or an uploaded store."""

from __future__ import annotations

import click

from s3sleuth.cli.base import cli
from s3sleuth.errors import UsageError
from s3sleuth.fields import ATHENA_DATABASE


@cli.group("athena")
def athena_group() -> None:
    """Athena tables for the logs where they live (the diagnoses themselves run on Athena
    with --engine athena)."""


@athena_group.command(
    "ddl",
    epilog="""\b
Examples:
  s3sleuth athena ddl --location s3://my-logs/AWSLogs/1234/us-east-1/src/ --layout partitioned
  s3sleuth athena ddl --parquet s3://my-bucket/s3sleuth-store/
  s3sleuth athena ddl --source s3tables""",
)
@click.option(
    "--location",
    metavar="s3://BUCKET/PREFIX/",
    help="The log folder: the target prefix (simple layout), or PREFIX/ACCOUNT/REGION/BUCKET/ "
    "(partitioned layout).",
)
@click.option(
    "--layout",
    type=click.Choice(["simple", "partitioned"]),
    default="simple",
    show_default=True,
    help="Log key layout: partitioned adds partition projection over the YYYY/MM/DD folders.",
)
@click.option(
    "--parquet",
    metavar="s3://BUCKET/STORE/",
    help="Instead: a table over an s3sleuth store uploaded there (its access_log folder).",
)
@click.option(
    "--source",
    type=click.Choice(["logs", "store", "s3tables"]),
    help="What the table reads: logs (--location), store (--parquet), or s3tables: views over "
    'the S3 Tables mirror of a CloudWatch Logs log group ("s3tablescatalog/aws-cloudwatch".'
    '"logs"."amazon_s3__server_access", or --table).',
)
@click.option("--database", default=ATHENA_DATABASE, show_default=True)
@click.option(
    "--table",
    help="Table name [default: mybucket_logs, or access_log with --parquet]; with "
    "--source s3tables, the mirror's qualified name.",
)
def ddl_command(
    location: str | None,
    layout: str,
    parquet: str | None,
    source: str | None,
    database: str,
    table: str | None,
) -> None:
    """Print a CREATE EXTERNAL TABLE statement for Athena.

    With --location: AWS's documented access-log table (same columns, so existing queries
    run), with a regex that keeps the lines AWS's turns into rows of NULLs. The statement's
    comments list what no RegexSerDe pattern can fix. With --parquet: a typed table over an
    s3sleuth store synced to S3. With --source s3tables: views over the S3 Tables mirror of
    a CloudWatch Logs log group (access_log, and mybucket_logs as the text table shows it).
    """
    from s3sleuth.athena.ddl import DEFAULT_TABLE, parquet_ddl, regex_ddl, s3tables_views

    if source == "s3tables":
        if location is not None or parquet is not None:
            raise UsageError(
                "--source s3tables reads the S3 Tables mirror, not --location or --parquet",
                hint="leave out --location and --parquet",
            )
        click.echo(s3tables_views(database, table), nl=False)
        return
    if (location is None) == (parquet is None):
        raise UsageError(
            "give exactly one of --location and --parquet",
            hint="--location s3://LOGS/PREFIX/ for the raw logs, --parquet for a store",
        )
    if parquet is not None:
        click.echo(parquet_ddl(parquet, database, table or "access_log"), nl=False)
    else:
        assert location is not None
        click.echo(regex_ddl(location, layout, database, table or DEFAULT_TABLE), nl=False)
