"""The diagnoses: denied, network, clients, explain, and the demo that runs them.

Each command parses its options, makes one call on a `s3sleuth.Store` session, and renders
what it returns (`cli.render`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from s3sleuth.cli.base import _ingest_summary, cli, format_option, store_option
from s3sleuth.cli.render import show
from s3sleuth.engines import ENGINES
from s3sleuth.errors import UsageError
from s3sleuth.fields import ATHENA_DATABASE, ATHENA_TABLE
from s3sleuth.output import emit, scrub

if TYPE_CHECKING:
    from s3sleuth.diagnose.denied import Finding
    from s3sleuth.diagnose.result import Result
    from s3sleuth.session import Store


@dataclass(frozen=True)
class Ask:
    """What every diagnosis command gets: the open session, the window and the format."""

    store: Store
    since: str | None
    until: str | None
    bucket: str | None
    fmt: str

    @property
    def window(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "bucket": self.bucket}

    def show(self, result: Result[Any], **options: Any) -> None:
        """Print `result` in the asked format; when it is empty, say why (`explain_empty`)."""
        show(result, self.fmt, **options)
        if not result:
            self.explain_empty()

    def explain_empty(self) -> None:
        """After an empty answer: when the window holds no requests at all, say so on stderr
        and name what the store does hold, so "nothing found" is not mistaken for "all is
        well"."""
        if not (self.since or self.until or self.bucket):
            return
        n, _, _ = self.store.time_range(**self.window)
        if n:
            return
        click.echo(f"note: no requests in this window; {holds(*self.store.time_range())}", err=True)


ENGINE_OPTIONS = (
    click.option(
        "--endpoint-url", help="Athena endpoint URL (a test server); with --engine athena."
    ),
    click.option("--region", help="AWS region of Athena; with --engine athena."),
    click.option("--profile", help="AWS profile (default: boto3's chain); with --engine athena."),
    click.option(
        "--table-format",
        type=click.Choice(["logs", "store", "s3tables"]),
        default="logs",
        show_default=True,
        help="With --engine athena: logs is AWS's RegexSerDe table of the raw logs (see "
        "'s3sleuth athena ddl'); store is an uploaded s3sleuth store ('athena ddl --parquet'); "
        "s3tables is the S3 Tables mirror of a CloudWatch Logs log group (its documented "
        "table unless --database/--table name another).",
    ),
    click.option(
        "--output-location",
        help="s3:// folder for Athena's query results (default: the workgroup's).",
    ),
    click.option("--workgroup", default="primary", show_default=True, help="Athena workgroup."),
    click.option(
        "--table", default=ATHENA_TABLE, show_default=True, help="Athena table of the logs."
    ),
    click.option(
        "--database",
        default=ATHENA_DATABASE,
        show_default=True,
        help="Athena database of --table.",
    ),
    click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="duckdb",
        show_default=True,
        help="Where the SQL runs: the local store (duckdb), Spark over the store (the spark "
        "extra), or Athena over --database/--table (the athena extra).",
    ),
)
_ATHENA = (
    "database",
    "table",
    "workgroup",
    "output_location",
    "table_format",
    "profile",
    "region",
    "endpoint_url",
)


def open_session(store: Path | None, engine: str, sources: tuple[str, ...], **athena: Any) -> Store:
    """The session a diagnosis command asks: SOURCE paths ingested first, on that engine."""
    import s3sleuth
    from s3sleuth.lean import without_pandas

    if engine != "spark":
        without_pandas()
    if sources and engine == "athena":
        raise UsageError(
            "--engine athena reads the table in Athena, not SOURCE files",
            hint="leave out SOURCE, or use --engine duckdb or spark",
        )
    options = None
    if engine == "athena":
        from s3sleuth.engines.athena import AthenaOptions

        options = AthenaOptions(*(athena[name] for name in _ATHENA))
    session = s3sleuth.open(store, engine=engine, athena=options, create=bool(sources))
    if sources:
        click.echo(_ingest_summary(session.ingest(*sources)), err=True)
    warn_if_damaged(session)
    return session


def holds(total: int, first: datetime | None, last: datetime | None) -> str:
    """What a store holds, from `Store.time_range()`, in words."""
    if total and first and last:
        return (
            f"the store holds {total:,} requests from {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} UTC"
        )
    return "the store holds no requests"


def warn_if_damaged(session: Store) -> None:
    """Say on stderr when data files the manifest records are gone or changed: the answers
    would silently miss their rows."""
    damage = session.damage()
    if damage:
        click.echo(
            f"warning: the store is damaged: {len(damage)} data file(s) missing or changed "
            f"({damage[0]}); answers may miss rows. Run `s3sleuth verify`, then `s3sleuth "
            "repair` and ingest the sources again",
            err=True,
        )


def diagnosis(func: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared options (SOURCE paths, --store, the window, --format, the
    engine) and an open session, closed when the command ends."""
    return _with_session(func, ("table", "json", "csv"))


def diagnosis_with(
    formats: tuple[str, ...],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`diagnosis`, with other output formats."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        return _with_session(func, formats)

    return decorate


def report_options(func: Callable[..., None]) -> Callable[..., None]:
    """The shared options without --format: for a command that writes a file of its own."""
    return _with_session(func, ())


def _with_session(func: Callable[..., None], formats: tuple[str, ...]) -> Callable[..., None]:
    @functools.wraps(func)
    def command(
        sources: tuple[str, ...],
        store: Path | None,
        since: str | None,
        until: str | None,
        bucket: str | None,
        engine: str,
        fmt: str = "table",
        **options: Any,
    ) -> None:
        athena = {name: options.pop(name) for name in _ATHENA}
        with open_session(store, engine, sources, **athena) as session:
            func(Ask(session, since, until, bucket, fmt), **options)

    wrapped: Callable[..., None] = command
    for decorate in (
        *ENGINE_OPTIONS,
        *([format_option(formats)] if formats else []),
        click.option("--bucket", help="Only this bucket."),
        click.option("--until", help="End of the window (exclusive), in the same forms."),
        click.option(
            "--since", help="Start of the window: ISO time (2024-02-01T10:00) or an age (2h, 7d)."
        ),
        store_option,
        click.argument("sources", nargs=-1),
    ):
        wrapped = decorate(wrapped)
    return wrapped


def transfer_window_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--transfer-window",
        metavar="BEFORE,AFTER",
        default="5m,1m",
        show_default=True,
        help="How long before (and after) a Transfer Family event its S3 request may start, "
        "to join the two; widen it for large multipart uploads.",
    )(func)


@cli.command(
    "denied",
    epilog="""\b
Examples:
  s3sleuth denied --since 24h --bucket partner-uploads
  s3sleuth denied --format json | jq '.[0].policy_statement'""",
)
@click.option("--explain", is_flag=True, help="Print the reasoning behind each finding.")
@transfer_window_option
@diagnosis
def denied_command(ask: Ask, explain: bool, transfer_window: str) -> None:
    """Who was denied, and which permission is missing.

    Groups authorization failures (403 AccessDenied and the other authorization codes) by
    principal, operation and bucket, with the IAM actions to grant, a least-privilege policy
    statement, and the other policy layers to check. SOURCE paths are ingested first.

    Transfer Family events and CloudTrail records in the store add evidence: the SFTP
    operation, path and message, and CloudTrail's errorMessage, which may name the policy
    layer that denied.
    """
    findings = ask.store.denied(**ask.window, transfer_window=transfer_window)
    ask.show(findings, empty={"finding": "no authorization failures"}, drop_empty=("evidence",))
    if explain and ask.fmt in ("table", "tsv"):
        _explain(list(findings), Console())


def _explain(findings: list[Finding], console: Console) -> None:
    for number, f in enumerate(findings, 1):
        console.print(f"\n{number}. {scrub(f.summary)}", highlight=False, markup=False)
        for line in f.reasoning:
            console.print(f"   {scrub(line)}", highlight=False, markup=False)
        if f.policy_statement:
            console.print("   Policy statement to grant:", highlight=False)
            console.print_json(data=f.policy_statement, indent=2)
        console.print("   Also check:", highlight=False)
        for check in f.checks:
            console.print(f"   - {scrub(check)}", highlight=False, markup=False)


@cli.command(
    "network",
    epilog="""\b
Examples:
  s3sleuth network --bucket prod-data
  s3sleuth network --expect-private --since 1h   # exit 3 on public traffic""",
)
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
@diagnosis
def network_command(ask: Ask, by: str, expect_private: bool, ip_ranges: Path | None) -> None:
    """Did the traffic use a VPC endpoint, or the internet?

    Counts requests per network path (private source addresses mean a VPC endpoint) and
    endpoint kind, with a verdict; for mixed traffic it shows when each path was first and
    last seen, so a switch to an endpoint shows plainly.
    """
    report = ask.store.network(
        **ask.window, by=by, ip_ranges=ip_ranges, expect_private=expect_private
    )
    if report.offending is not None:  # a scheduled check: list what broke the rule
        click.echo(f"{report.public_requests} requests came from public addresses", err=True)
        emit(report.offending, ask.fmt, console=Console())
        sys.exit(3)
    ask.show(report)


@cli.command(
    "clients",
    epilog="""\b
Examples:
  s3sleuth clients --since 7d
  s3sleuth clients --format csv > clients.csv""",
)
@diagnosis
def clients_command(ask: Ask) -> None:
    """Which clients made the requests: console, Transfer Family, CLI, an SDK, ...

    Counts requests by client family and version, principal and bucket. The client comes from
    the User-Agent (which the caller controls) and the requester.
    """
    ask.show(ask.store.clients(**ask.window))


@cli.command(
    "explain",
    epilog="""\b
Examples:
  s3sleuth explain 3E57427F33A59F07
  s3sleuth explain --session 03bf7ddc20e33b8c --format csv""",
)
@click.argument("request_id", required=False)
@click.option("--session", "session_id", help="A Transfer Family session id (16 hex digits).")
@store_option
@format_option(("table", "json", "csv"))
@transfer_window_option
def explain_command(
    request_id: str | None,
    session_id: str | None,
    store: Path | None,
    fmt: str,
    transfer_window: str,
) -> None:
    """Everything known about one request or one Transfer Family session, in time order.

    Merges the access log, CloudTrail records and Transfer Family events in the store. Give a
    REQUEST_ID (the access log's Request ID, CloudTrail's requestID) or --session SESSION_ID.
    Exits 1 when nothing is known about it.
    """
    import s3sleuth
    from s3sleuth.lean import without_pandas

    without_pandas()
    with s3sleuth.open(store) as session:
        timeline = session.explain(request_id, session_id, transfer_window=transfer_window)
        if not timeline:
            what = f"request {request_id}" if request_id else f"session {session_id}"
            click.echo(f"nothing in the store about {what}", err=True)
            sys.exit(1)
        show(timeline, fmt)  # where each line came from is in the JSON and CSV forms


@cli.command(
    "demo",
    epilog="""\b
Examples:
  s3sleuth demo
  s3sleuth demo --store /tmp/demo && s3sleuth summary --store /tmp/demo""",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".s3sleuth-demo"),
    show_default=True,
    help="Where to build the demo store.",
)
def demo_command(store: Path) -> None:
    """Ingest the bundled sample logs and print the diagnoses. No AWS account needed.

    The samples replay two stories over background traffic: a Transfer Family user denied
    uploads, and an EC2 instance moving from the internet to a VPC gateway endpoint. Transfer
    Family and CloudTrail logs of the same stories are joined to the access log.
    """
    from s3sleuth.cli.demo import demo

    demo(store, Console())
