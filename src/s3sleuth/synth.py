"""Synthetic, realistic S3 access log lines: for the demo, the benchmark and tests.

Records are built as `access_log` values and written with the real renderer, across every
field-count era. `hostile_line` adds the pitfalls of format.md §9 on purpose. Deterministic for
a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from s3sleuth.parse.render import render_line

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
ACCOUNT = "123456789012"
ERAS = (18, 24, 25, 26, 27, 27, 27, 26)  # weighted towards current logs
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

USER_AGENTS = (
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 "
    "md/prompt#off md/command#s3.cp",
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10.205 md/arch#x86_64 lang/python#3.11.6 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0",
    "aws-sdk-java/2.21.0 Linux/5.10.0 OpenJDK_64-Bit_Server_VM/17.0.9+9-LTS Java/17.0.9 "
    "vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.215 "
    "OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation "
    "cfg/retry-mode/standard",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7",
)
REQUESTERS = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/app-server/i-0a1b2c3d4e5f60718",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/etl-job/botocore-session-1718000000",
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    "svc:delivery.logs.amazonaws.com",
    "-",
)


def _rand_id(rng: random.Random, n: int = 16) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def _host_id(rng: random.Random) -> str:
    return "".join(rng.choice(_B64) for _ in range(76))


def _key(rng: random.Random) -> str:
    prefix = rng.choice(("data/raw", "data/curated/year=2024", "uploads", "backups/db", "img"))
    name = rng.choice(("report", "photo 1", "snap+shot", "résumé", "part", "x=1"))
    return f"{prefix}/{name}-{rng.randint(0, 99999)}.{rng.choice(('parquet', 'json', 'png', 'gz'))}"


def record(
    rng: random.Random,
    when: datetime,
    bucket: str = "prod-data",
    ip: str | None = None,
    requester: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """One plausible request as `access_log` values (key_raw holds the logged Key)."""
    op = rng.choices(("GET", "PUT", "HEAD", "LIST", "DELETE"), (60, 15, 12, 10, 3))[0]
    key = _key(rng)
    path = quote(key, safe="/")
    operation, uri, size = {
        "GET": ("REST.GET.OBJECT", f"GET /{path} HTTP/1.1", rng.randint(100, 10**7)),
        "PUT": ("REST.PUT.OBJECT", f"PUT /{path} HTTP/1.1", rng.randint(100, 10**7)),
        "HEAD": ("REST.HEAD.OBJECT", f"HEAD /{path} HTTP/1.1", rng.randint(100, 10**7)),
        "LIST": ("REST.GET.BUCKET", "GET /?list-type=2&prefix=data%2F HTTP/1.1", None),
        "DELETE": ("REST.DELETE.OBJECT", f"DELETE /{path} HTTP/1.1", None),
    }[op]
    status, error = rng.choices(
        (
            (200, None),
            (206, None),
            (304, None),
            (404, "NoSuchKey"),
            (403, "AccessDenied"),
            (503, "SlowDown"),
        ),
        (80, 4, 4, 7, 4, 1),
    )[0]
    sent = size if op == "GET" and status == 200 else rng.choice((0, 0, 243, 512))
    values: dict[str, Any] = {
        "bucket_owner": OWNER,
        "bucket": bucket,
        "time": when,
        "remote_ip": ip or f"10.0.{rng.randint(0, 3)}.{rng.randint(1, 254)}",
        "requester": requester or rng.choice(REQUESTERS),
        "request_id": _rand_id(rng),
        "operation": operation,
        "key_raw": None if op == "LIST" else quote(path, safe="/"),
        "request_uri": uri,
        "http_status": status,
        "error_code": error,
        "bytes_sent": sent,
        "object_size": size,
        "total_time_ms": rng.randint(1, 900),
        "turn_around_time_ms": rng.randint(1, 80),
        "referer": None,
        "user_agent": rng.choice(USER_AGENTS),
        "version_id": None,
        "host_id": _host_id(rng),
        "signature_version": "SigV4",
        "cipher_suite": "TLS_AES_128_GCM_SHA256",
        "authentication_type": "AuthHeader",
        "host_header": f"{bucket}.s3.us-east-1.amazonaws.com",
        "tls_version": "TLSv1.3",
        "access_point_arn": None,
        "acl_required": None,
        "source_region": "us-east-1",
        "field_count": rng.choice(ERAS),
        "extra_fields": None,
    }
    values.update(overrides)
    return values


def hostile_line(rng: random.Random, when: datetime) -> bytes:
    """A line with one of the real-world pitfalls (some must parse, some must be rejected)."""
    base = render_line(record(rng, when, field_count=26))
    kind = rng.randrange(10)
    if kind == 0:  # unescaped quote inside Request-URI
        return base.replace(' HTTP/1.1"', '?q="x" HTTP/1.1"', 1).encode()
    if kind == 1:  # User-Agent starting with ""
        return base.replace('"-" "', '"-" ""', 1).encode()
    if kind == 2:  # double space between fields
        return base.replace("] ", "]  ", 1).encode()
    if kind == 3:  # bytes that are not UTF-8
        return base.encode().replace(b"HTTP/1.1", b"HTTP/1.1\xff\xfe", 1)
    if kind == 4:  # truncated: the quoted field never closes
        return base[: base.index('"') + 20].encode()
    if kind == 5:  # CloudFront OAI requester with spaces
        oai = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID"
        return render_line(record(rng, when, requester=oai)).encode()
    if kind == 6:  # IPv6 client
        return render_line(record(rng, when, remote_ip="2001:db8::8a2e:370:7334")).encode()
    if kind == 7:  # a non-UTC offset
        return base.replace("+0000]", "+0200]", 1).encode()
    if kind == 8:  # fields this version does not know yet
        return (render_line(record(rng, when, field_count=27)) + " future1 future2").encode()
    return b"garbage that is not a log line"


ERA_RUNS = (18, 24, 25, 26, 27)  # the field counts, oldest first
OBJECT_LINES = 20_000  # lines per log object when `lines` imitates concatenated objects


def era_at(rng: random.Random, progress: float) -> int:
    """The field count at `progress` (0..1) through a log that lives through every era.

    Each era holds a stretch of the log, and each rollout mixes two eras for a while (real
    files mix 25 and 26 fields during a rollout), as S3 logs do over the years.
    """
    position = progress * len(ERA_RUNS)
    index = min(int(position), len(ERA_RUNS) - 1)
    into = position - index
    if index + 1 < len(ERA_RUNS) and into > 0.8 and rng.random() < (into - 0.8) * 5:
        return ERA_RUNS[index + 1]
    return ERA_RUNS[index]


def lines(
    count: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    days: int = 7,
    hostile_rate: float = 0.001,
    buckets: tuple[str, ...] = ("prod-data", "web-assets"),
) -> Iterator[bytes]:
    """`count` log lines spread over `days`, about `hostile_rate` of them hostile, passing
    through every field-count era in order, in runs of one bucket (as concatenated objects)."""
    rng = random.Random(seed)
    start = start or datetime(2024, 2, 1, tzinfo=UTC)
    step = timedelta(days=days) / max(count, 1)
    bucket = buckets[0]
    for i in range(count):
        if i % OBJECT_LINES == 0:  # a log object holds the records of one source bucket
            bucket = rng.choice(buckets)
        when = (start + step * i).replace(microsecond=0)
        if rng.random() < hostile_rate:
            yield hostile_line(rng, when)
        else:
            era = era_at(rng, i / max(count, 1))
            yield render_line(record(rng, when, bucket=bucket, field_count=era)).encode()
