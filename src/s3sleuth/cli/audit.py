"""`audit TOPIC`: the questions people ask of their access logs, one command each."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from s3sleuth.audit.topics import TOPICS
from s3sleuth.cli.base import cli
from s3sleuth.cli.diagnoses import Ask, diagnosis, diagnosis_with
from s3sleuth.errors import UsageError


def _accounts(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        bucket, _, account = pair.partition("=")
        if not bucket or not (account.isdigit() and len(account) == 12):
            raise UsageError(
                "{account} " + f"{pair!r} is not BUCKET=ACCOUNT",
                hint="give the bucket and its owner's 12-digit account, like logs=123456789012",
                params=("account",),
            )
        out[bucket] = account
    return out


@cli.command(
    "audit",
    epilog="""\b
Examples:
  s3sleuth audit deletes --key 'reports/2024/*'
  s3sleuth audit legacy-auth --since 30d --format csv
  s3sleuth audit cross-account --account prod-data=123456789012""",
)
@click.argument("topic", type=click.Choice(list(TOPICS)))
@click.option("--sql", "show_sql", is_flag=True, help="Print the Athena SQL, not the answer.")
@click.option("--key", help="deletes: only keys matching this glob (* and ?).")
@click.option("--summary", is_flag=True, help="deletes: one row per principal, bucket and kind.")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="BUCKET=ACCOUNT",
    help="cross-account: the bucket owner's account (repeatable); else the account that "
    "makes most of the bucket's authenticated requests.",
)
@diagnosis
def audit_command(
    ask: Ask,
    topic: str,
    show_sql: bool,
    key: str | None,
    summary: bool,
    accounts: tuple[str, ...],
) -> None:
    """Answer one audit question about the window's requests.

    \b
    deletes        every deletion: who deleted which key, how (object, version,
                   batch, lifecycle, delete marker, bucket)
    legacy-auth    callers still on SigV2 or TLS older than 1.2
    acl            requests an ACL authorized (what breaks when ACLs go)
    presigned      presigned URLs: who signed, expiry asked, addresses using them
    anonymous      unauthenticated requests that succeeded (writes first)
    cross-account  requests from accounts other than the bucket owner's
    """
    result = ask.store.audit(
        topic, **ask.window, key=key, summary=summary, accounts=_accounts(accounts)
    )
    if show_sql:
        click.echo(result.sql)
        return
    ask.show(result)


@cli.command(
    "detect",
    epilog="""\b
Examples:
  s3sleuth detect --since 1d --fail-on high      # exit 3 on a high finding (cron, CI)
  s3sleuth detect --rules ./my-rules --format sarif > s3sleuth.sarif""",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of your own .sql rules, run with the built-in pack (same name: yours wins).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file of thresholds, allow-lists, business hours and time zone "
    "(see the README for the keys and defaults).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["low", "medium", "high"]),
    help="Exit with status 3 when a finding of this severity or above exists.",
)
@diagnosis_with(("table", "json", "csv", "sarif"))
def detect_command(
    ask: Ask, rules_dir: Path | None, config: Path | None, fail_on: str | None
) -> None:
    """Run the detection rules: attacks, misuse and risky configuration in the logs.

    Sixteen built-in rules (insecure transport, SigV2, anonymous writes and read bursts, new
    addresses and principals, bulk download against a principal's own baseline, enumeration,
    credential-like keys, ransom notes and web shells, bucket configuration changes, mass
    deletion, VPC-endpoint principals on public addresses, scanner agents, off-hours use,
    widely shared presigned URLs). Rules that learn what is usual use the data before --since.
    """
    report = ask.store.detect(**ask.window, config=config, rules=rules_dir)
    if ask.fmt == "sarif":
        from importlib.metadata import version

        from s3sleuth.detect.sarif import sarif

        click.echo(json.dumps(sarif(report, version("s3sleuth")), indent=2))
    else:
        ask.show(report)
    if fail_on and report.at_least(fail_on):
        click.echo(f"{len(report.at_least(fail_on))} finding(s) at or above {fail_on}", err=True)
        sys.exit(3)
