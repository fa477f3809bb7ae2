"""The diagnoses: denied, network, clients, and the demo that runs all three."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pyarrow as pa
from rich.console import Console

from s3sleuth.cli import _errors, _ingest_summary, cli, format_option, store_option
from s3sleuth.errors import UsageError
from s3sleuth.output import emit, scrub

if TYPE_CHECKING:
    from s3sleuth.diagnose.denied import Finding
    from s3sleuth.diagnose.window import Window
    from s3sleuth.sql.engine import StoreRef


@dataclass(frozen=True)
class Diagnosis:
    """What every diagnosis command gets: the store, the window and the output format."""

    store: StoreRef  # the store directory, or the Spark or Athena engine
    window: Window
    fmt: str

    def emit_rows(self, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
        """Rows as JSON/CSV in full, or as a table of `columns` (lists joined with commas)."""
        if self.fmt == "table" and columns:
            rows = [
                {c: ", ".join(r[c]) if isinstance(r[c], list) else r[c] for c in columns}
                for r in rows
            ]
        emit(pa.Table.from_pylist(rows) if rows else pa.table({}), self.fmt, console=Console())


ENGINE_OPTIONS = (
    click.option(
        "--endpoint-url", help="Athena endpoint URL (a test server); with --engine athena."
    ),
    click.option("--region", help="AWS region of Athena; with --engine athena."),
    click.option("--profile", help="AWS profile (default: boto3's chain); with --engine athena."),
    click.option(
        "--table-format",
        type=click.Choice(["logs", "store"]),
        default="logs",
        show_default=True,
        help="With --engine athena: logs is AWS's RegexSerDe table of the raw logs (see "
        "'s3sleuth athena ddl'); store is an uploaded s3sleuth store ('athena ddl --parquet').",
    ),
    click.option(
        "--output-location",
        help="s3:// folder for Athena's query results (default: the workgroup's).",
    ),
    click.option("--workgroup", default="primary", show_default=True, help="Athena workgroup."),
    click.option(
        "--table", default="mybucket_logs", show_default=True, help="Athena table of the logs."
    ),
    click.option(
        "--database",
        default="s3_access_logs_db",
        show_default=True,
        help="Athena database of --table.",
    ),
    click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark", "athena"]),
        default="duckdb",
        show_default=True,
        help="Where the SQL runs: the local store (duckdb), Spark over the store (the spark "
        "extra), or Athena over --database/--table (the athena extra).",
    ),
)


def diagnosis(func: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared options: SOURCE paths (ingested first), --since, --until,
    --bucket, --store and --format; errors become one-line messages and exit codes."""

    @functools.wraps(func)
    def command(
        obj: dict[str, Any],
        sources: tuple[str, ...],
        store: Path | None,
        since: str | None,
        until: str | None,
        bucket: str | None,
        fmt: str,
        engine: str,
        database: str,
        table: str,
        workgroup: str,
        output_location: str | None,
        table_format: str,
        profile: str | None,
        region: str | None,
        endpoint_url: str | None,
        **options: Any,
    ) -> None:
        with _errors(obj["debug"]):
            from s3sleuth.diagnose.window import Window
            from s3sleuth.sql.engine import open_engine

            window = Window.parse(since, until, bucket)
            if sources and engine == "athena":
                raise UsageError(
                    "--engine athena reads the table in Athena, not SOURCE files",
                    hint="leave out SOURCE, or use --engine duckdb or spark",
                )
            if sources and engine == "spark":
                from s3sleuth.spark import ingest as spark_ingest
                from s3sleuth.spark import session

                click.echo(_ingest_summary(spark_ingest(session(), list(sources), store)), err=True)
            elif sources:
                from s3sleuth.pipeline import ingest

                click.echo(_ingest_summary(ingest(list(sources), store)), err=True)
            athena = None
            if engine == "athena":
                from s3sleuth.athena.engine import AthenaOptions

                athena = AthenaOptions(
                    database,
                    table,
                    workgroup,
                    output_location,
                    table_format,
                    profile,
                    region,
                    endpoint_url,
                )
            target = open_engine(engine, store, athena)
            func(Diagnosis(target, window, fmt), **options)

    wrapped: Callable[..., None] = click.pass_obj(command)
    for decorate in (
        *ENGINE_OPTIONS,
        format_option(("table", "json", "csv")),
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


@cli.command("denied")
@click.option("--explain", is_flag=True, help="Print the reasoning behind each finding.")
@transfer_window_option
@diagnosis
def denied_command(d: Diagnosis, explain: bool, transfer_window: str) -> None:
    """Who was denied, and which permission is missing.

    Groups authorization failures (403 AccessDenied and the other authorization codes) by
    principal, operation and bucket, with the IAM actions to grant, a least-privilege policy
    statement, and the other policy layers to check. SOURCE paths are ingested first.

    Transfer Family events and CloudTrail records in the store add evidence: the SFTP
    operation, path and message, and CloudTrail's errorMessage, which may name the policy
    layer that denied.
    """
    from s3sleuth.correlate.joins import TransferWindow
    from s3sleuth.diagnose.denied import denied

    findings = denied(d.store, d.window, TransferWindow.parse(transfer_window))
    if d.fmt != "table":
        d.emit_rows([f.to_dict() for f in findings])
        return
    rows: list[dict[str, Any]] = [
        {
            "finding": f.summary,
            "requests": f.count,
            "first_seen": f.first_seen,
            "last_seen": f.last_seen,
            "errors": ", ".join(f.error_codes),
            "evidence": f.evidence,
        }
        for f in findings
    ]
    if not any(r["evidence"] for r in rows):
        for r in rows:
            del r["evidence"]
    d.emit_rows(rows or [{"finding": "no authorization failures"}])
    if explain:
        _explain(findings, Console())


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


@cli.command("network")
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
def network_command(d: Diagnosis, by: str, expect_private: bool, ip_ranges: Path | None) -> None:
    """Did the traffic use a VPC endpoint, or the internet?

    Counts requests per network path (private source addresses mean a VPC endpoint) and
    endpoint kind, with a verdict; for mixed traffic it shows when each path was first and
    last seen, so a switch to an endpoint shows plainly.
    """
    from s3sleuth.diagnose.ip_ranges import IpRanges
    from s3sleuth.diagnose.network import network

    ranges = IpRanges.load(ip_ranges) if ip_ranges else None
    report = network(d.store, d.window, by=by, ip_ranges=ranges, expect_private=expect_private)
    if report.offending is not None:  # a scheduled check: list what broke the rule
        click.echo(f"{report.public_requests} requests came from public addresses", err=True)
        emit(report.offending, d.fmt, console=Console())
        sys.exit(3)
    tags = (
        (["aws_services"] if by == "principal" else ["aws_service", "aws_region"]) if ranges else []
    )
    columns = (
        ["principal_name", "bucket", "requests", "private_requests", "public_requests"]
        if by == "principal"
        else ["remote_ip", "network_path", "requests", "principals"]
    )
    d.emit_rows(report.rows, [*columns, "endpoint_kinds", "verdict", *tags])


@cli.command("clients")
@diagnosis
def clients_command(d: Diagnosis) -> None:
    """Which clients made the requests: console, Transfer Family, CLI, an SDK, ...

    Counts requests by client family and version, principal and bucket. The client comes from
    the User-Agent (which the caller controls) and the requester.
    """
    from s3sleuth.diagnose.clients import clients

    d.emit_rows(clients(d.store, d.window))


@cli.command("explain")
@click.argument("request_id", required=False)
@click.option("--session", "session_id", help="A Transfer Family session id (16 hex digits).")
@store_option
@format_option(("table", "json", "csv"))
@transfer_window_option
@click.pass_obj
def explain_command(
    obj: dict[str, Any],
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
    with _errors(obj["debug"]):
        from s3sleuth.correlate.explain import explain
        from s3sleuth.correlate.joins import TransferWindow

        timeline = explain(
            store,
            request_id=request_id,
            session_id=session_id,
            transfer_window=TransferWindow.parse(transfer_window),
        )
        if not timeline:
            what = f"request {request_id}" if request_id else f"session {session_id}"
            click.echo(f"nothing in the store about {what}", err=True)
            sys.exit(1)
        if fmt == "table":  # where each line came from is in the JSON and CSV forms
            timeline = [{k: r[k] for k in ("time", "source", "event", "detail")} for r in timeline]
        emit(pa.Table.from_pylist(timeline), fmt, console=Console())


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
    uploads, and an EC2 instance moving from the internet to a VPC gateway endpoint. Transfer
    Family and CloudTrail logs of the same stories are joined to the access log.
    """
    with _errors(obj["debug"]):
        from s3sleuth.correlate.explain import explain
        from s3sleuth.diagnose.clients import clients
        from s3sleuth.diagnose.denied import denied
        from s3sleuth.diagnose.network import network
        from s3sleuth.pipeline import ingest
        from s3sleuth.samples import LOGS

        console = Console()
        console.print(_ingest_summary(ingest([str(LOGS)], store)), highlight=False, markup=False)
        console.rule("Who was denied, and what is missing (s3sleuth denied)")
        emit(
            pa.Table.from_pylist(
                [
                    {"finding": f.summary, "requests": f.count, "evidence": f.evidence}
                    for f in denied(store)[:5]
                ]
            ),
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
        session = "03bf7ddc20e33b8c"
        console.rule(f"One SFTP session in all three logs (s3sleuth explain --session {session})")
        timeline = explain(store, session_id=session)[:6]
        emit(
            pa.Table.from_pylist(
                [{k: r[k] for k in ("time", "source", "event")} for r in timeline]
            ),
            "table",
            console=console,
        )
        console.rule("Which clients (s3sleuth clients)")
        families: dict[str, int] = {}
        for row in clients(store):
            families[row["client"]] = families.get(row["client"], 0) + row["requests"]
        emit(
            pa.Table.from_pylist(
                [
                    {"client": k, "requests": v}
                    for k, v in sorted(families.items(), key=lambda kv: -kv[1])
                ]
            ),
            "table",
            console=console,
        )
