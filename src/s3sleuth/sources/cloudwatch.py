"""A CloudWatch Logs log group as a source: `FilterLogEvents`, paged, with retries.

The log group a bucket's access logs are delivered to (format-cloudwatch.md §3.1) holds one
log event per request, its `message` the JSON record. Events are read in pages across every
log stream of the group, in the time range asked for; the ingest (pipeline.cloudwatch) skips
the events the store already has.

boto3 is imported only here, and only when a `cloudwatch://` source is used (the `s3` extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from s3sleuth.errors import SourceError, UsageError
from s3sleuth.sources.retry import Budget, call, code_of, retryable
from s3sleuth.sources.s3 import S3Options, _boto3

SCHEME = "cloudwatch://"
PAGE_SIZE = 10_000  # FilterLogEvents' maximum


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
        boto3 = _boto3()
        from botocore.config import Config  # type: ignore[import-untyped]
        from botocore.exceptions import ProfileNotFound  # type: ignore[import-untyped]

        try:
            session = boto3.session.Session(
                profile_name=options.profile, region_name=options.region
            )
        except ProfileNotFound:
            raise UsageError(
                f"there is no AWS profile named {options.profile!r}",
                hint="check {profile} against 'aws configure list-profiles'",
                params=("profile",),
            ) from None
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
        self.client = session.client("logs", endpoint_url=options.endpoint_url, config=config)
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
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return SourceError(
            f"no usable AWS credentials ({err})",
            hint="run 'aws configure', set AWS_PROFILE or pass {profile}",
            params=("profile",),
        )
    if code in ("ExpiredToken", "ExpiredTokenException") or name == "TokenRetrievalError":
        return SourceError(
            "the AWS credentials have expired",
            hint="refresh them (for example 'aws sso login') and run again",
        )
    if code in ("UnrecognizedClientException", "InvalidSignatureException"):
        return SourceError(
            f"AWS rejected the credentials ({code})", hint="check the access key and secret"
        )
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
