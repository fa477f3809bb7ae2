"""The `s3sleuth` command: thin wrappers, one library call each.

Exit codes: 0 success, 1 failure, 2 bad argument or input, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import pyarrow as pa
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from s3sleuth import __version__
from s3sleuth.errors import S3SleuthError
from s3sleuth.output import FORMATS, emit, scrub
from s3sleuth.store.store import DEFAULT_STORE, ENV_VAR

if TYPE_CHECKING:
    from s3sleuth.pipeline import IngestResult
    from s3sleuth.sources import LocalSource

F = TypeVar("F", bound=Callable[..., Any])
stderr = Console(stderr=True)


def store_option(func: F) -> F:
    return click.option(
        "--store",
        "store",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=ENV_VAR,
        show_envvar=True,
        help=f"Store directory [default: ./{DEFAULT_STORE}].",
    )(func)


def format_option(choices: tuple[str, ...]) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default="table",
            show_default=True,
            help="Output format. json is one array of objects keyed by column name.",
        )(func)

    return decorate


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Turn library errors into one-line messages and exit codes; tracebacks only with --debug."""
    try:
        yield
    except S3SleuthError as err:
        if debug:
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; committed work is kept, the rest is redone next run", err=True)
        sys.exit(130)
    except Exception as err:  # a bug: still one line, with the way to learn more
        if debug:
            raise
        click.echo(
            f"internal error: {type(err).__name__}: {err} "
            "(rerun with --debug for a traceback, and please report it)",
            err=True,
        )
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="s3sleuth")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Answers from Amazon S3 server access logs, offline.

    Ingest logs into a local store, then query them with the Athena SQL you already have.
    """
    ctx.obj = {"debug": debug}


class _Bar:
    """A progress bar on stderr, shown only on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Progress | None = None
        self.task: Any = None
        self.enabled = enabled and stderr.is_terminal

    def plan(self, sources: list[LocalSource]) -> None:
        if not self.enabled:
            return
        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
        )
        self.progress.start()
        total = sum(s.size for s in sources)
        self.task = self.progress.add_task(f"ingesting {len(sources)} files", total=total)

    def advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, n)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _ingest_summary(result: IngestResult) -> str:
    skipped = f", {result.skipped} already in the store" if result.skipped else ""
    return (
        f"Ingested {result.files} files{skipped}: {result.lines:,} lines read, "
        f"{result.parsed:,} parsed, {result.rejected:,} rejected "
        f"in {result.seconds:.1f} s ({result.lines_per_second:,.0f} lines/s) -> {result.store}"
    )


@cli.command("ingest")
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
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--commit-mb",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="Commit after about this many MiB of input; a crash loses at most this much "
    "work, which the next run redoes.",
)
@click.pass_obj
def ingest_command(
    obj: dict[str, Any],
    sources: tuple[str, ...],
    store: Path | None,
    fmt: str,
    quiet: bool,
    commit_mb: int,
) -> None:
    """Parse log files into the store.

    A SOURCE is a file, a directory (walked recursively, hidden files skipped), a glob, a
    .gz file, or - for stdin. Sources already in the store (same content) are skipped, so
    running it again is safe. Lines that do not parse go to the `rejects` table.
    """
    with _errors(obj["debug"]):
        bar = _Bar(enabled=not quiet)
        try:
            from s3sleuth.pipeline import ingest  # each command imports only what it uses

            result = ingest(
                list(sources),
                store,
                progress=bar.advance,
                on_plan=bar.plan,
                commit_bytes=commit_mb << 20,
            )
        finally:
            bar.close()
        if fmt == "text":
            click.echo(_ingest_summary(result))
        else:
            emit(pa.Table.from_pylist([result.to_dict()]), fmt, console=Console())


@cli.command("query")
@click.argument("sql")
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
@click.pass_obj
def query_command(
    obj: dict[str, Any], sql: str, store: Path | None, dialect: str, fmt: str, output: Path | None
) -> None:
    """Run SQL against the store.

    Tables: access_log (typed), rejects, and s3_access_logs_db.mybucket_logs (the
    AWS-documented Athena table), so queries from AWS docs run unchanged. Use - to read
    the SQL from stdin.
    """
    with _errors(obj["debug"]):
        text = sys.stdin.read() if sql == "-" else sql
        from s3sleuth.sql.run import query

        table: pa.Table = query(text, store, dialect)
        emit(table, fmt, output, console=Console())


def diagnosis_options(func: F) -> F:
    """The options every diagnosis takes: SOURCE paths, a time window, a bucket, a format."""
    for decorate in reversed(
        [
            click.argument("sources", nargs=-1),
            store_option,
            click.option(
                "--since",
                help="Start of the window: ISO time (2024-02-01T10:00) or an age (2h, 7d).",
            ),
            click.option("--until", help="End of the window (exclusive), in the same forms."),
            click.option("--bucket", help="Only this bucket."),
            format_option(("table", "json", "csv")),
        ]
    ):
        func = decorate(func)
    return func


def _ingest_first(sources: tuple[str, ...], store: Path | None) -> None:
    """Diagnoses take SOURCE paths too: ingest them (incrementally) before answering."""
    if sources:
        from s3sleuth.pipeline import ingest

        result = ingest(list(sources), store)
        click.echo(_ingest_summary(result), err=True)


@cli.command("denied")
@diagnosis_options
@click.option("--explain", is_flag=True, help="Print the reasoning behind each finding.")
@click.pass_obj
def denied_command(
    obj: dict[str, Any],
    sources: tuple[str, ...],
    store: Path | None,
    since: str | None,
    until: str | None,
    bucket: str | None,
    fmt: str,
    explain: bool,
) -> None:
    """Who was denied, and which permission is missing.

    Groups authorization failures (403 AccessDenied and the other authorization codes) by
    principal, operation and bucket, with the IAM actions to grant, a least-privilege policy
    statement, and the other policy layers to check. SOURCE paths are ingested first.
    """
    with _errors(obj["debug"]):
        from s3sleuth.diagnose.denied import denied
        from s3sleuth.diagnose.window import Window

        window = Window.parse(since, until, bucket)
        _ingest_first(sources, store)
        findings = denied(store, window)
        if fmt != "table":
            emit(
                pa.Table.from_pylist([f.to_dict() for f in findings]) if findings else pa.table({}),
                fmt,
            )
            return
        console = Console()
        emit(
            pa.Table.from_pylist(
                [
                    {
                        "finding": f.summary,
                        "requests": f.count,
                        "first_seen": f.first_seen,
                        "last_seen": f.last_seen,
                        "errors": ", ".join(f.error_codes),
                    }
                    for f in findings
                ]
            )
            if findings
            else pa.table({"finding": pa.array([], pa.string())}),
            "table",
            console=console,
        )
        if explain:
            for number, f in enumerate(findings, 1):
                console.print(f"\n[bold]{number}. {scrub(f.summary)}[/]", highlight=False)
                for line in f.reasoning:
                    console.print(f"   {scrub(line)}", highlight=False, markup=False)
                if f.policy_statement:
                    console.print("   Policy statement to grant:", highlight=False)
                    console.print_json(data=f.policy_statement, indent=2)
                console.print("   Also check:", highlight=False)
                for check in f.checks:
                    console.print(f"   - {scrub(check)}", highlight=False, markup=False)


@cli.command("network")
@diagnosis_options
@click.option(
    "--by",
    type=click.Choice(["principal", "ip"]),
    default="principal",
    show_default=True,
    help="Group by principal and bucket, or by source address.",
)
@click.option(
    "--expect-private",
    is_flag=True,
    help="Exit with status 3 and list the requests when any came from a public "
    "address (for scheduled checks).",
)
@click.option(
    "--ip-ranges",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="AWS's ip-ranges.json, to tag AWS-owned public addresses (never downloaded).",
)
@click.pass_obj
def network_command(
    obj: dict[str, Any],
    sources: tuple[str, ...],
    store: Path | None,
    since: str | None,
    until: str | None,
    bucket: str | None,
    fmt: str,
    by: str,
    expect_private: bool,
    ip_ranges: Path | None,
) -> None:
    """Did the traffic use a VPC endpoint, or the internet?

    Counts requests per network path (private source addresses mean a VPC endpoint) and
    endpoint kind, with a verdict; for mixed traffic it shows when each path was first and
    last seen, so a switch to an endpoint shows plainly.
    """
    with _errors(obj["debug"]):
        from s3sleuth.diagnose.ip_ranges import IpRanges
        from s3sleuth.diagnose.network import network
        from s3sleuth.diagnose.window import Window

        window = Window.parse(since, until, bucket)
        ranges = IpRanges.load(ip_ranges) if ip_ranges else None
        _ingest_first(sources, store)
        report = network(store, window, by=by, ip_ranges=ranges, expect_private=expect_private)
        if report.offending is not None:  # a scheduled check: list what broke the rule
            click.echo(f"{report.public_requests} requests came from public addresses", err=True)
            emit(report.offending, fmt, console=Console())
            sys.exit(3)
        columns = (
            [
                "principal_name",
                "bucket",
                "requests",
                "private_requests",
                "public_requests",
                "endpoint_kinds",
                "verdict",
            ]
            + (["aws_services"] if ranges else [])
            if by == "principal"
            else [
                "remote_ip",
                "network_path",
                "requests",
                "principals",
                "endpoint_kinds",
                "verdict",
            ]
            + (["aws_service", "aws_region"] if ranges else [])
        )
        rows = (
            report.rows
            if fmt != "table"
            else [
                {c: (", ".join(r[c]) if isinstance(r[c], list) else r[c]) for c in columns}
                for r in report.rows
            ]
        )
        emit(pa.Table.from_pylist(rows) if rows else pa.table({}), fmt, console=Console())


@cli.command("clients")
@diagnosis_options
@click.pass_obj
def clients_command(
    obj: dict[str, Any],
    sources: tuple[str, ...],
    store: Path | None,
    since: str | None,
    until: str | None,
    bucket: str | None,
    fmt: str,
) -> None:
    """Which clients made the requests: console, Transfer Family, CLI, an SDK, ...

    Counts requests by client family and version, principal and bucket. The client comes from
    the User-Agent (which the caller controls) and the requester.
    """
    with _errors(obj["debug"]):
        from s3sleuth.diagnose.clients import clients
        from s3sleuth.diagnose.window import Window

        window = Window.parse(since, until, bucket)
        _ingest_first(sources, store)
        rows = clients(store, window)
        emit(pa.Table.from_pylist(rows) if rows else pa.table({}), fmt, console=Console())


@cli.command("demo")
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".s3sleuth-demo"),
    show_default=True,
    help="Where to build the demo store.",
)
@click.pass_obj
def demo_command(obj: dict[str, Any], store: Path) -> None:
    """Ingest the bundled sample logs and print the three diagnoses. No AWS account needed.

    The samples replay two stories over background traffic: a Transfer Family user denied
    uploads, and an EC2 instance moving from the internet to a VPC gateway endpoint.
    """
    with _errors(obj["debug"]):
        from s3sleuth.diagnose.clients import clients
        from s3sleuth.diagnose.denied import denied
        from s3sleuth.diagnose.network import network
        from s3sleuth.pipeline import ingest
        from s3sleuth.samples import LOGS

        console = Console()
        result = ingest([str(LOGS)], store)
        console.print(_ingest_summary(result), highlight=False, markup=False)
        console.rule("Who was denied, and what is missing (s3sleuth denied)")
        findings = denied(store)[:5]
        emit(
            pa.Table.from_pylist([{"finding": f.summary, "requests": f.count} for f in findings]),
            "table",
            console=console,
        )
        console.rule("VPC endpoint or internet (s3sleuth network)")
        mixed = [r for r in network(store).rows if r["public_requests"]][:5]
        emit(
            pa.Table.from_pylist(
                [
                    {
                        "principal": r["principal_name"],
                        "bucket": r["bucket"],
                        "verdict": r["verdict"],
                    }
                    for r in mixed
                ]
            ),
            "table",
            console=console,
        )
        console.rule("Which clients (s3sleuth clients)")
        top = clients(store)
        by_family: dict[str, int] = {}
        for row in top:
            by_family[row["client"]] = by_family.get(row["client"], 0) + row["requests"]
        emit(
            pa.Table.from_pylist(
                [
                    {"client": k, "requests": v}
                    for k, v in sorted(by_family.items(), key=lambda kv: -kv[1])
                ]
            ),
            "table",
            console=console,
        )


def main() -> None:
    cli(prog_name="s3sleuth")


if __name__ == "__main__":
    main()
