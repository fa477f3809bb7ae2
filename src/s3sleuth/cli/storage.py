"""Commands over the store itself: ingest and query."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from rich.console import Console

from s3sleuth.cli.base import _Bar, _ingest_summary, cli, format_option, store_option
from s3sleuth.diagnose.result import as_rows
from s3sleuth.errors import StoreError, UsageError
from s3sleuth.output import FORMATS, emit, emit_rows

if TYPE_CHECKING:
    from s3sleuth.pipeline.result import IngestResult


@cli.command(
    "ingest",
    epilog="""\b
Examples:
  s3sleuth ingest ./logs/ --store ./store
  s3sleuth ingest s3://my-log-bucket/logs/ --since 7d --profile prod
  s3sleuth ingest cloudwatch:///aws/vendedlogs/s3/my-bucket/S3_SERVER_ACCESS_LOGS""",
)
@click.argument("sources", nargs=-1, required=True)
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "table", "json", "csv"]),
    default="text",
    show_default=True,
    help="Summary format: a sentence, or one row as a table, JSON or CSV.",
)
@click.option(
    "--type",
    "kind",
    type=click.Choice(["auto", "access", "transfer", "cloudtrail", "sal-json"]),
    default="auto",
    show_default=True,
    help="Kind of log: auto tells each file's kind by its content; the others read every "
    "file as S3 access logs (text), Transfer Family logs, CloudTrail files, or S3 access "
    "logs delivered through CloudWatch Logs (JSON records in any envelope, or Parquet).",
)
@click.option("--since", help="Keep records from this time: ISO (2024-02-01T10:00) or an age (7d).")
@click.option("--until", help="Keep records before this time, in the same forms.")
@click.option(
    "--profile", help="AWS profile for s3:// and cloudwatch:// sources (default: boto3's chain)."
)
@click.option("--region", help="AWS region of the log bucket or log group.")
@click.option(
    "--endpoint-url",
    help="Endpoint URL of S3 or CloudWatch Logs (an S3-compatible store, or a test server).",
)
@click.option(
    "--pool",
    type=click.IntRange(min=1, max=256),
    default=16,
    show_default=True,
    help="Log objects fetched at once from s3:// sources.",
)
@click.option(
    "--slack",
    type=click.IntRange(min=0),
    default=24,
    show_default=True,
    help="Hours by which the listing of log objects is widened around --since/--until, "
    "since S3 delivers records late (their keys carry delivery time).",
)
@click.option(
    "--retry-for",
    type=click.FloatRange(min=0),
    default=60,
    show_default=True,
    help="Seconds one AWS request (a listing page, an object, a page of log events) may "
    "keep being retried.",
)
@click.option(
    "--retry-budget",
    type=click.FloatRange(min=0),
    default=300,
    show_default=True,
    help="Seconds the whole run may spend waiting to retry AWS requests; then what still "
    "fails is named and the run ends (exit 1).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="spark: parse with Apache Spark (the spark extra; local[*] unless run by spark-submit "
    "or $S3SLEUTH_SPARK_MASTER says otherwise). Sources may then be s3a:// or hdfs:// URIs.",
)
@click.option(
    "--commit-mb",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="Commit after about this many MiB of input; a crash loses at most this much "
    "work, which the next run redoes.",
)
def ingest_command(
    sources: tuple[str, ...],
    store: Path | None,
    fmt: str,
    kind: str,
    since: str | None,
    until: str | None,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    pool: int,
    slack: int,
    retry_for: float,
    retry_budget: float,
    quiet: bool,
    engine: str,
    commit_mb: int,
) -> None:
    """Parse log files into the store.

    A SOURCE is a file, a directory (walked recursively, hidden files skipped), a glob, a
    .gz file, - for stdin, or s3://BUCKET/PREFIX (the log bucket itself, with the s3
    extra: both key layouts, pruned by --since/--until, fetched --pool at a time; a re-run
    fetches only new or changed objects), or cloudwatch://LOG_GROUP (access logs delivered
    to CloudWatch Logs; a re-run reads only events it does not have). Sources already in
    the store (same content) are skipped, so running it again is safe. Lines that do not
    parse go to the `rejects` table.

    Access logs delivered through CloudWatch Logs are read in every envelope: `aws logs
    filter-log-events` output, export files, JSON Lines or Parquet from vended delivery,
    subscription payloads. Besides S3 access logs, it reads AWS Transfer Family logs (JSON
    events, KEY=value lines, or `aws logs filter-log-events` output) into
    `transfer_events`, and CloudTrail files (.json or .json.gz) into `cloudtrail_events`.
    """
    from datetime import timedelta

    from s3sleuth.sources.cloudwatch import is_log_group
    from s3sleuth.sources.s3 import S3Options

    options = S3Options(
        profile, region, endpoint_url, pool, timedelta(hours=slack), retry_for, retry_budget
    )
    if engine == "spark":
        _report(_spark_ingest(sources, store, kind, since or until, options), fmt)
        return
    from s3sleuth.window import Window

    window = Window.parse(since, until, None)
    bar = _Bar(enabled=not quiet, log_groups=sum(map(is_log_group, sources)))
    try:
        result = _local_ingest(
            list(sources),
            store,
            kind=kind,
            since=window.since,
            until=window.until,
            s3=options,
            progress=bar.advance,
            on_plan=bar.plan,
            commit_bytes=commit_mb << 20,
        )
    finally:
        bar.close()
    _report(result, fmt)
    requests = result.parsed - result.transfer_events - result.cloudtrail_events
    if not (requests or result.skipped or result.failed or result.log_events_known):
        _nothing_added(sources, window, result)


def _nothing_added(sources: tuple[str, ...], window: Any, result: IngestResult) -> None:
    """An ingest that added no requests says why, and what the store holds, so "0 files"
    after a mistyped prefix or a too-narrow window is not taken for "up to date"."""
    import s3sleuth

    windowed = bool(window.since or window.until)
    if result.lines and result.outside_window:
        why = "no new requests in the window"
    elif result.lines:
        return  # only Transfer Family or CloudTrail files: nothing to explain
    else:
        why = "no logs found " + ("in the window" if windowed else "at those sources")
    if windowed and any(s.startswith("s3://") for s in sources):
        why += " (log object keys carry delivery times, widened by --slack hours)"
    from s3sleuth.cli.diagnoses import holds

    try:
        with s3sleuth.open(result.store) as opened:
            held = holds(*opened.time_range())
    except StoreError:  # nothing was ever written there
        held = holds(0, None, None)
    click.echo(f"note: {why}; {held}", err=True)


def _spark_ingest(
    sources: tuple[str, ...], store: Path | None, kind: str, windowed: str | None, s3: Any
) -> IngestResult:
    if windowed or any(s.startswith("s3://") for s in sources):
        raise UsageError(
            "--engine spark reads whole files and URIs Spark can read",
            hint="drop --since/--until, and give s3:// sources as s3a:// URIs",
        )
    from s3sleuth.spark import ingest, session

    return ingest(session(), list(sources), store, kind=kind, s3=s3)


def _local_ingest(*args: Any, **options: Any) -> IngestResult:
    """`s3sleuth.ingest`, tuned for a process that only parses and stores: no pandas import
    by PyArrow, Arrow reusing freed memory as the parser does, and the imported objects kept
    out of the cyclic GC's walks (~60 ms of a 1M-line ingest, measured; unfrozen afterwards
    so exit cleans up as usual: DuckDB's bindings report what is never freed)."""
    from s3sleuth.lean import without_pandas
    from s3sleuth.memory import system_allocator_for_arrow

    without_pandas()  # before the parser's imports: PyArrow loads pandas on first use
    system_allocator_for_arrow()
    from s3sleuth.pipeline.local import ingest

    gc.freeze()
    try:
        return ingest(*args, **options)
    finally:
        gc.unfreeze()


def _report(result: IngestResult, fmt: str) -> None:
    if fmt == "text":
        click.echo(_ingest_summary(result))
    else:
        summary = result.to_dict()
        summary["failed"] = len(result.failed)  # one row; the sources are on stderr
        emit_rows(as_rows([summary]), fmt)
    for failure in result.failed:
        click.echo(f"error: not ingested: {failure['error']}", err=True)
    if result.failed:
        click.echo(
            f"{len(result.failed)} source(s) could not be read; the rest is stored, "
            "and running the same command again retries them",
            err=True,
        )
        sys.exit(1)


@cli.command(
    "query",
    # SQL pasted from a file often starts with a `-- comment`: an argument, not an option.
    context_settings={"ignore_unknown_options": True},
    epilog="""\b
Examples:
  s3sleuth query "SELECT operation, count(*) FROM access_log GROUP BY 1"
  s3sleuth query -f seed.sql --format csv > out.csv""",
)
@click.argument("sql", required=False)
@click.option(
    "-f",
    "--file",
    "sql_file",
    type=click.File("r", encoding="utf-8"),
    help="Read the SQL from FILE (- for stdin) instead of the SQL argument.",
)
@store_option
@click.option(
    "--dialect",
    type=click.Choice(["athena", "duckdb"]),
    default="athena",
    show_default=True,
    help="SQL dialect of the query; athena is translated by sqlglot.",
)
@format_option(FORMATS)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of stdout (required for parquet).",
)
@click.option(
    "--unsafe",
    is_flag=True,
    help="Run any DuckDB statement: writes, ATTACH, INSTALL/LOAD and reading files "
    "(by default a query only reads the store's tables).",
)
def query_command(
    sql: str | None,
    sql_file: TextIO | None,
    store: Path | None,
    dialect: str,
    fmt: str,
    output: Path | None,
    unsafe: bool,
) -> None:
    """Run SQL against the store.

    Tables: access_log (typed, with the derived columns), rejects, transfer_events,
    cloudtrail_events (and *_stored with every copy), transfer_matches, cloudtrail_matches,
    and s3_access_logs_db.mybucket_logs (the AWS-documented Athena table), so queries from
    AWS docs run unchanged. SQL may start with a -- comment; use - or -f FILE to read it
    from stdin or a file. Read-only: SELECT, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN on those
    tables; --unsafe runs anything DuckDB can.
    """
    import s3sleuth
    from s3sleuth.lean import without_pandas

    without_pandas()
    text = _sql_text(sql, sql_file)
    from s3sleuth.cli.diagnoses import warn_if_damaged

    with s3sleuth.open(store) as session:
        warn_if_damaged(session)
        if fmt == "parquet":
            emit(session.query(text, dialect, unsafe=unsafe), fmt, output, console=Console())
        else:  # printed from Python rows: a short query does not import Arrow
            rows = session.rows(text, dialect, unsafe=unsafe)
            emit_rows(rows, fmt, output, console=Console())


def _sql_text(sql: str | None, sql_file: TextIO | None) -> str:
    if (sql is None) == (sql_file is None):
        raise UsageError(
            "give the SQL as an argument or with -f FILE, not both"
            if sql is not None
            else "no SQL given",
            hint='s3sleuth query "SELECT ..." or s3sleuth query -f FILE.sql',
        )
    if sql_file is not None:
        return sql_file.read()
    assert sql is not None
    return sys.stdin.read() if sql == "-" else sql


@cli.command(
    "verify",
    epilog="""\b
Examples:
  s3sleuth verify
  s3sleuth verify --quick --format json""",
)
@store_option
@click.option("--quick", is_flag=True, help="Sizes only: no checksums or row counts read.")
@format_option(("table", "json", "csv"))
def verify_command(store: Path | None, quick: bool, fmt: str) -> None:
    """Check that the store holds what its manifest says.

    Checks the manifest's integrity, every committed data file's presence, size, row count
    and SHA-256, data files the manifest does not know, and that every view opens. Exits 0
    when the store is sound, 1 with the list of problems.
    """
    import s3sleuth

    with s3sleuth.open(store) as session:
        problems = session.verify(checksums=not quick)
    if not problems:
        click.echo("the store is sound", err=True)
        return
    emit_rows(as_rows([p.to_dict() for p in problems]), fmt, console=Console())
    click.echo(f"{len(problems)} problem(s); `s3sleuth repair` forgets what was lost", err=True)
    sys.exit(1)


@cli.command(
    "repair",
    epilog="""\b
Examples:
  s3sleuth repair && s3sleuth ingest s3://my-log-bucket/logs/""",
)
@store_option
def repair_command(store: Path | None) -> None:
    """Forget what the store lost, so the next ingest restores it.

    The batches whose data files are missing or damaged are forgotten with their sources,
    and what is left of them is removed (so no row is counted twice when they come back).
    Then ingest the same sources again.
    """
    import s3sleuth

    with s3sleuth.open(store) as session:
        forgotten = session.repair()
    if not forgotten:
        click.echo("nothing to repair", err=True)
        return
    for source in forgotten:
        click.echo(source)
    click.echo(
        f"forgot {len(forgotten)} source(s); ingest them again to restore their rows", err=True
    )
