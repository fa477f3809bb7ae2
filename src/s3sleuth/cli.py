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


def main() -> None:
    cli(prog_name="s3sleuth")


if __name__ == "__main__":
    main()
