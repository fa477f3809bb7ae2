"""`audit TOPIC`: the questions people ask of their access logs, one command each."""

from __future__ import annotations

import click

from s3sleuth.audit.topics import TOPICS
from s3sleuth.cli.base import cli
from s3sleuth.cli.diagnoses import Ask, diagnosis
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
