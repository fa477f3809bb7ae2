"""A CloudWatch Logs log group as a source: `FilterLogEvents`, paged, with retries.

The log group a bucket's access logs are delivered to (format-cloudwatch.md §3.1) holds one
log event per request, its `message` the JSON record. Events are read in pages across every
log stream of the group, in the time range asked for; the ingest (pipeline.cloudwatch) skips
the events the store already has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from s3sleuth.errors import SourceError, UsageError
from s3sleuth.sources import aws
from s3sleuth.sources.aws import Budget, call, code_of, credentials_error, retryable
from s3sleuth.sources.s3 import S3Options

SCHEME = "cloudwatch://"
PAGE_SIZE = 10_000  # FilterLogEvents' maximum


def is_log_group(spec: str) -> bool:
    """The SOURCE argument names a log group (`cloudwatch://LOG_GROUP`)."""
    return spec.startswith(SCHEME)


@dataclass(frozen=True)
class LogGroup:
    name: str

    @classmethod
    def parse(cls, uri: str) -> LogGroup:
        """`cloudwatch://NAME`; a name may hold slashes (`/aws/vendedlogs/s3/...`)."""
        name = uri[len(SCHEME) :]
        if not name:
            raise UsageError(f"{uri!r} names no log group", hint="use cloudwatch://LOG_GROUP")
        return cls(name)

    @property
    def uri(self) -> str:
        return SCHEME + self.name


@dataclass(frozen=True)
class LogEvent:
    event_id: str
    stream: str
    timestamp: int  # epoch milliseconds
    message: str


class CloudWatchReader:
    """Reads a log group's events with one boto3 client, under the same retry rules as S3."""

    def __init__(self, options: S3Options, *, backoff: float = 0.2) -> None:
        self.client = aws.client("logs", options.profile, options.region, options.endpoint_url)
        self.backoff = backoff
        self.request_deadline = options.request_deadline
        self.retry_budget = Budget(options.run_deadline)
        self.page_size = PAGE_SIZE

    def pages(
        self, group: LogGroup, start_ms: int | None = None, end_ms: int | None = None
    ) -> Iterator[list[LogEvent]]:
        """The group's events from `start_ms` (inclusive) to `end_ms` (exclusive), a page at
        a time."""
        kwargs: dict[str, Any] = {"logGroupName": group.name, "limit": self.page_size}
        if start_ms is not None:
            kwargs["startTime"] = max(0, start_ms)
        if end_ms is not None:
            kwargs["endTime"] = max(0, end_ms - 1)  # FilterLogEvents' endTime is inclusive
        token: str | None = None
        while True:
            request = {**kwargs, **({"nextToken": token} if token else {})}
            try:
                page = call(
                    partial(self.client.filter_log_events, **request),
                    self.backoff,
                    self.request_deadline,
                    self.retry_budget,
                )
            except Exception as err:
                error = translate(err, group)
                error.transient = retryable(err)
                raise error from None
            yield [
                LogEvent(
                    str(e.get("eventId") or f"{e.get('logStreamName')}:{e.get('timestamp')}"),
                    str(e.get("logStreamName") or ""),
                    int(e.get("timestamp") or 0),
                    str(e.get("message") or ""),
                )
                for e in page.get("events", [])
            ]
            next_token = page.get("nextToken")
            if not next_token or next_token == token:
                return
            token = next_token


def translate(err: Exception, group: LogGroup) -> SourceError:
    """One-line messages that say what to do."""
    name, code = type(err).__name__, code_of(err)
    if (credentials := credentials_error(err)) is not None:
        return credentials
    if code == "ResourceNotFoundException":
        return SourceError(
            f"log group {group.name} does not exist",
            hint="check the name ('aws logs describe-log-groups') and {region}",
            params=("region", "endpoint_url"),
        )
    if code in ("AccessDeniedException", "AccessDenied", "403"):
        return SourceError(
            f"access denied reading log group {group.name}",
            hint=f"grant logs:FilterLogEvents on log group {group.name} to the credentials in use",
        )
    return SourceError(
        f"cannot read log group {group.name}: {name}: {err}", hint="check the log group and retry"
    )
