"""What every `s3sleuth` command shares: the group and its error boundary, the options,
the progress bar, and the ingest summary. The commands live in the sibling modules.

Exit codes: 0 success, 1 failure, 2 bad argument or input, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from s3sleuth import __version__
from s3sleuth.errors import (
    DamagedStoreError,
    QueryError,
    S3SleuthError,
    SourceError,
    UsageError,
)
from s3sleuth.store.store import DEFAULT_STORE, ENV_VAR

if TYPE_CHECKING:
    from rich.progress import Progress

    from s3sleuth.pipeline.result import IngestResult
    from s3sleuth.sources import LocalSource
    from s3sleuth.sources.s3 import S3Object

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


def _default_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """A table on a terminal; tab-separated values, never folded or cut, for a pipe or a
    file (`| grep`, `> out.tsv`)."""
    if value is not None:
        return value
    return "table" if sys.stdout.isatty() else "tsv"


def format_option(choices: tuple[str, ...]) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice((*choices, "tsv") if "table" in choices else choices),
            default=None,
            callback=_default_format,
            help="Output format [default: table on a terminal, tsv otherwise]. json is one "
            "array of objects keyed by column name; tsv has a header line and escapes tabs "
            "and newlines.",
        )(func)

    return decorate


# Exit codes are the command line's: the library raises errors in its own words.
EXIT_CODES: dict[type[S3SleuthError], int] = {
    UsageError: 2,
    DamagedStoreError: 2,
    SourceError: 2,
    QueryError: 2,
}


# A library parameter's flag, where it is not `--name-with-dashes`.
FLAGS = {
    "kind": "--type",
    "request_id": "REQUEST_ID",
    "session_id": "--session",
    "store": "--store DIR",
}


def flag(param: str) -> str:
    return FLAGS.get(param, "--" + param.replace("_", "-"))


def exit_code(err: S3SleuthError) -> int:
    for kind, code in EXIT_CODES.items():
        if isinstance(err, kind):
            return code
    return 1


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Turn library errors into one-line messages and exit codes; tracebacks only with --debug."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise  # click's own: usage errors and --help, already in the user's words
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a command killed by SIGPIPE does,
        # and keep the interpreter from failing again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
    except S3SleuthError as err:
        if debug:
            raise
        click.echo(f"error: {err.render(flag)}", err=True)
        sys.exit(exit_code(err))
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


# Where each command lives: a command's module is imported when it runs (or for --help), so
# `s3sleuth query` does not load what `report` needs.
COMMANDS = {
    "ingest": "storage",
    "query": "storage",
    "verify": "storage",
    "repair": "storage",
    "denied": "diagnoses",
    "network": "diagnoses",
    "clients": "diagnoses",
    "explain": "diagnoses",
    "demo": "diagnoses",
    "summary": "reports",
    "report": "reports",
    "cost": "cost",
    "audit": "audit",
    "detect": "audit",
    "usage": "cost",
    "athena": "athena",
}


class _Group(click.Group):
    """The one error boundary (every command's library errors become one line and a code),
    and commands loaded by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            from importlib import import_module

            import_module(f"s3sleuth.cli.{COMMANDS[name]}")  # registers its commands
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        with _errors(bool(ctx.params.get("debug"))):
            return super().invoke(ctx)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="s3sleuth")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option(
    "--no-csv-defuse",
    is_flag=True,
    help="Write CSV cells as they are; by default a cell starting with = + - @ gets a "
    "leading ' so spreadsheets do not run it as a formula.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_csv_defuse: bool) -> None:
    """Answers from Amazon S3 server access logs, offline.

    Ingest logs into a local store, then query them with the Athena SQL you already have.
    """
    from s3sleuth import output

    output.DEFUSE_CSV = not no_csv_defuse
    ctx.obj = {"debug": debug}


class _Bar:
    """A progress bar on stderr, shown only on a terminal: sources, bytes, lines and rate."""

    def __init__(self, enabled: bool, log_groups: int = 0) -> None:
        self.progress: Progress | None = None
        self.task: Any = None
        self.enabled = enabled and stderr.is_terminal
        self.log_groups = log_groups  # sources whose size is not known ahead (no total)

    def plan(self, sources: Sequence[LocalSource | S3Object]) -> None:
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            TextColumn("{task.fields[done]}/{task.fields[sources]} sources"),
            DownloadColumn(),
            TextColumn("{task.fields[lines]:,} lines"),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
        )
        self.progress.start()
        total = None if self.log_groups else sum(s.size for s in sources)
        count = len(sources) + self.log_groups
        self.task = self.progress.add_task("ingesting", total=total, done=0, sources=count, lines=0)

    def advance(self, nbytes: int, *, lines: int = 0, sources: int = 0) -> None:
        if self.progress is not None:
            fields = self.progress.tasks[0].fields
            self.progress.update(
                self.task,
                advance=nbytes,
                lines=fields["lines"] + lines,
                done=fields["done"] + sources,
            )

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _ingest_summary(result: IngestResult) -> str:
    skipped = f", {result.skipped} already in the store" if result.skipped else ""
    events = [
        f"{count:,} {what}"
        for count, what in (
            (result.transfer_events, "Transfer Family events"),
            (result.cloudtrail_events, "CloudTrail records"),
        )
        if count
    ]
    among = f" (of which {' and '.join(events)})" if events else ""
    if result.outside_window:
        among += f", {result.outside_window:,} outside the window or already stored"
    if result.log_events_known:
        among += f", {result.log_events_known:,} log events already in the store"
    return (
        f"Ingested {_count(result.files, 'file')}{skipped}: {result.lines:,} lines read, "
        f"{result.parsed:,} parsed{among}, {result.rejected:,} rejected "
        f"in {result.seconds:.1f} s ({result.lines_per_second:,.0f} lines/s) -> {result.store}"
    )
