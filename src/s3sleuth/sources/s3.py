"""The log bucket as a source: list with time pruning, fetch in parallel with retries.

Key layouts (format.md §7):
- SimplePrefix: `PREFIX` + `YYYY-MM-DD-hh-mm-ss-UNIQUE`. Keys sort by delivery time, so a
  listing starts after the first key that can be in range (`StartAfter`) and stops after the last.
- PartitionedPrefix: `PREFIX` + `ACCOUNT/REGION/BUCKET/YYYY/MM/DD/` + the simple name. Only the
  year, month and day prefixes in range are listed.
A prefix holding several accounts, regions or source buckets is walked level by level.

Delivery time is not event time: S3 delivers a record up to hours after the request, and an
EventTime-partitioned day holds that day's records whatever their delivery. So the range of
keys listed is widened by `slack` (default 1 day) on both sides; the records themselves are
filtered by time after parsing.

boto3 is imported only when an `s3://` source is used (the `s3` extra; see sources.aws).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from s3sleuth.errors import SourceError, UsageError
from s3sleuth.sources import aws
from s3sleuth.sources.aws import Budget, call, code_of, credentials_error, retryable

T = TypeVar("T")

SLACK = timedelta(days=1)
_SIMPLE = re.compile(r"(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9A-Za-z]+$")
_DAY_FOLDER = re.compile(r"(?:^|/)\d{4}/\d{2}/\d{2}/$")


@dataclass(frozen=True)
class S3Options:
    """How to reach the log bucket: boto3's credential chain, with these overrides."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    pool: int = 16  # concurrent fetches
    slack: timedelta = SLACK
    # How long one request (a listing page, an object) may keep being retried, and how long
    # the whole run may spend retrying: a dead endpoint ends the run, it is not waited out.
    request_deadline: float = 60.0  # seconds
    run_deadline: float = 300.0  # seconds


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        rest = uri[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise UsageError(f"{uri!r} names no bucket", hint="use s3://BUCKET/PREFIX")
        return cls(bucket, prefix)


@dataclass(frozen=True)
class S3Object:
    """One log object. `name` is what `source_file` records; `identity` (key and ETag) is what
    the manifest keys on, so a changed object is fetched again and an unchanged one never."""

    bucket: str
    key: str
    etag: str
    size: int
    last_modified: datetime

    @property
    def name(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def identity(self) -> str:
        return f"s3:{self.bucket}/{self.key}#{self.etag}"

    @property
    def mtime_ns(self) -> int:
        return int(self.last_modified.timestamp() * 1e9)


def key_time(key: str) -> datetime | None:
    """The time in a log object's name (delivery time, or the day for EventTime keys)."""
    match = _SIMPLE.search(key)
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d-%H-%M-%S")


@dataclass(frozen=True)
class Range:
    """Key times to list: the ingest window widened by the slack; None is open."""

    start: datetime | None = None
    stop: datetime | None = None

    @classmethod
    def around(cls, since: datetime | None, until: datetime | None, slack: timedelta) -> Range:
        return cls(since - slack if since else None, until + slack if until else None)

    def has_day(self, year: int, month: int | None = None, day: int | None = None) -> bool:
        """Whether any time in this year (month, day) can be in range."""
        try:
            first = date(year, month or 1, day or 1)
        except ValueError:
            return True  # not a date after all: walk it
        if day:
            last = first
        elif month:
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
        else:
            last = date(year, 12, 31)
        if self.start and last < self.start.date():
            return False
        return not (self.stop and first > self.stop.date())

    def has(self, when: datetime | None) -> bool:
        if when is None:
            return True  # a key without a time is not ours to prune
        return not ((self.start and when < self.start) or (self.stop and when > self.stop))


class S3Reader:
    """Lists and fetches log objects with one boto3 client (thread-safe)."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        pool: int = 16,
        backoff: float = 0.2,
        request_deadline: float = 60.0,
        run_deadline: float = 300.0,
    ) -> None:
        self.client = aws.client("s3", profile, region, endpoint_url, max_pool_connections=pool + 2)
        self.backoff = backoff
        self.request_deadline = request_deadline
        self.retry_budget = Budget(run_deadline)
        self.page_size = 1000  # S3's own maximum; tests list in smaller pages

    def _call(self, what: Callable[[], T]) -> T:
        return call(what, self.backoff, self.request_deadline, self.retry_budget)

    # -- listing -------------------------------------------------------------------------
    def _pages(
        self, bucket: str, *, after: dict[str, Any] | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Listing pages; given the first page `after` (listed with the same `kwargs`), it
        and the pages that follow, so no page is listed twice."""
        kwargs["MaxKeys"] = self.page_size
        page = after or self._call(partial(self.client.list_objects_v2, Bucket=bucket, **kwargs))
        while True:
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            page = self._call(partial(self.client.list_objects_v2, Bucket=bucket,
                                      ContinuationToken=token, **kwargs))  # fmt: skip

    def list(self, location: S3Location, window: Range = Range()) -> Iterator[S3Object]:
        """Log objects under the location whose key time can be in `window`, in key order."""
        try:
            yield from self._walk(location.bucket, location.prefix, window)
        except Exception as err:
            error = _translate(err, location, "list")
            error.transient = retryable(err)
            raise error from None

    def _walk(self, bucket: str, prefix: str, window: Range) -> Iterator[S3Object]:
        level: dict[str, Any] = {"Prefix": prefix, "Delimiter": "/"}
        first = next(self._pages(bucket, **level))
        contents = first.get("Contents", [])
        subdirs = [p["Prefix"] for p in first.get("CommonPrefixes", [])]
        if _DAY_FOLDER.search(prefix):
            # a PartitionedPrefix day already in range: EventTime keys all say 00:00:00,
            # the day's records are in every one of them
            window = Range()
        if not subdirs and contents and all(key_time(c["Key"]) for c in contents):
            yield from self._simple(bucket, prefix, window, first)
            return
        for page in self._pages(bucket, after=first, **level):
            for item in page.get("Contents", []):
                obj = self._object(bucket, item)
                if window.has(key_time(obj.key)):
                    yield obj
            for sub in (p["Prefix"] for p in page.get("CommonPrefixes", [])):
                if not self._prune(sub, window):
                    yield from self._walk(bucket, sub, window)

    @staticmethod
    def _prune(sub: str, window: Range) -> bool:
        """True for a YYYY/, MM/ or DD/ prefix of the partitioned layout that is out of range."""
        path = sub.rstrip("/").split("/")
        tail: list[int] = []
        for part in reversed(path):
            if not (part.isdigit() and len(part) in (2, 4)):
                break
            tail.insert(0, int(part))
            if len(part) == 4:
                break
        if not tail or not (2000 <= tail[0] <= 2999):
            return False
        return not window.has_day(*tail[:3])

    def _simple(
        self, bucket: str, prefix: str, window: Range, first: dict[str, Any]
    ) -> Iterator[S3Object]:
        """A level of SimplePrefix keys, sorted by time: start after, stop after the range."""
        pages: Iterator[dict[str, Any]]
        if window.start and first.get("IsTruncated"):
            start_after = prefix + _stamp(window.start)
            pages = self._pages(bucket, Prefix=prefix, StartAfter=start_after)
        else:
            pages = self._pages(bucket, after=first, Prefix=prefix, Delimiter="/")
        for page in pages:
            for item in page.get("Contents", []):
                when = key_time(item["Key"])
                if window.stop and when and when > window.stop:
                    return
                if window.has(when):
                    yield self._object(bucket, item)

    @staticmethod
    def _object(bucket: str, item: dict[str, Any]) -> S3Object:
        return S3Object(
            bucket, item["Key"], item["ETag"].strip('"'), int(item["Size"]), item["LastModified"]
        )

    # -- fetching ------------------------------------------------------------------------
    def fetch(self, obj: S3Object) -> bytes:
        """The object's bytes (a body cut off mid-read is retried like a failed request)."""

        def get() -> bytes:
            response = self.client.get_object(Bucket=obj.bucket, Key=obj.key, IfMatch=obj.etag)
            return bytes(response["Body"].read())

        try:
            return self._call(get)
        except Exception as err:
            raise _translate(err, S3Location(obj.bucket, obj.key), "get") from None


def _translate(err: Exception, where: S3Location, action: str) -> SourceError:
    """One-line messages that say what to do."""
    uri = f"s3://{where.bucket}/{where.prefix}"
    name, code = type(err).__name__, code_of(err)
    if isinstance(err, SourceError):
        return err
    if (credentials := credentials_error(err)) is not None:
        return credentials
    if code == "NoSuchBucket":
        return SourceError(
            f"bucket {where.bucket} does not exist",
            hint="check the bucket name (and {region} / {endpoint_url})",
            params=("region", "endpoint_url"),
        )
    if code in ("AccessDenied", "403", "AllAccessDisabled") and action == "list":
        return SourceError(
            f"access denied listing {uri}",
            hint=f"grant s3:ListBucket on arn:aws:s3:::{where.bucket} to the credentials in use",
        )
    if code in ("AccessDenied", "403", "AllAccessDisabled"):
        return SourceError(
            f"access denied reading {uri}",
            hint=f"grant s3:GetObject on arn:aws:s3:::{where.bucket}/* to the credentials in use",
        )
    return SourceError(f"cannot read {uri}: {name}: {err}", hint="check the log bucket and retry")


class Prefetcher:
    """Fetches objects on a thread pool, at most `ahead` in flight; results in list order.

    Memory stays bounded by `ahead` objects whatever the number of objects.
    """

    def __init__(self, reader: S3Reader, objects: list[S3Object], pool: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.reader, self.objects = reader, objects
        self.ahead = max(2, pool * 2)
        self.executor = ThreadPoolExecutor(max(1, pool), thread_name_prefix="s3sleuth-fetch")

    def __iter__(self) -> Generator[tuple[S3Object, bytes | SourceError], None, None]:
        from collections import deque
        from concurrent.futures import Future

        pending: deque[tuple[S3Object, Future[bytes]]] = deque()
        objects = iter(self.objects)
        try:
            while True:
                while len(pending) < self.ahead:
                    obj = next(objects, None)
                    if obj is None:
                        break
                    pending.append((obj, self.executor.submit(self.reader.fetch, obj)))
                if not pending:
                    return
                obj, future = pending.popleft()
                try:
                    yield obj, future.result()
                except SourceError as err:
                    yield obj, err
        finally:
            for _, future in pending:
                future.cancel()
            self.executor.shutdown(wait=True, cancel_futures=True)
