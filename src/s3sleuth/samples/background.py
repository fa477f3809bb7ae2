"""The everyday traffic around the sample stories: who uses the two buckets, and how.

Real buckets are used by a few principals with habits: an application role on two
instances reading and writing through the VPC endpoint, an ETL job, a person in the console,
a deploy user, browsers fetching a public bucket's assets, S3's own lifecycle expiry, and the
odd anonymous probe. Errors come from those habits (a 404 for a key not written yet, a
SlowDown under load, a browser's 304), not at random, so the stories stand out in `denied`
and `network` as they would in a real bucket.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from s3sleuth import synth
from s3sleuth.fields import SINGLE_ENCODED_OPERATIONS

ACCOUNT = synth.ACCOUNT
_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role"
_BOTO3 = synth.USER_AGENTS[1]
_JAVA = synth.USER_AGENTS[2]
_CONSOLE = synth.USER_AGENTS[3]
_CLI = synth.USER_AGENTS[0]
_BROWSERS = (
    synth.USER_AGENTS[4],
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
)
# Names with the format's traps in them: spaces, plus signs, non-ASCII, `=`.
_NAMES = ("report", "photo 1", "snap+shot", "résumé", "part", "x=1")

Record = dict[str, Any]


def _key(rng: random.Random, prefix: str, ext: str) -> str:
    return f"{prefix}/{rng.choice(_NAMES)}-{rng.randint(0, 9999)}.{ext}"


def _request(
    rng: random.Random,
    when: datetime,
    *,
    bucket: str,
    requester: str,
    ip: str | None,
    agent: str | None,
    method: str,
    key: str | None,
    status: int = 200,
    error: str | None = None,
    size: int | None = None,
) -> Record:
    operation = {
        "GET": "REST.GET.OBJECT",
        "HEAD": "REST.HEAD.OBJECT",
        "PUT": "REST.PUT.OBJECT",
        "DELETE": "REST.DELETE.OBJECT",
        "LIST": "REST.GET.BUCKET",
        "EXPIRE": "S3.EXPIRE.OBJECT",
    }[method]
    path = quote(key, safe="/") if key else None
    uri = {
        "LIST": "GET /?list-type=2&prefix=data%2F HTTP/1.1",
        "EXPIRE": None,
    }.get(method, f"{method} /{path} HTTP/1.1")
    sent = size if method == "GET" and status == 200 else (243 if error else 0)
    return synth.record(
        rng,
        when,
        bucket=bucket,
        ip=ip,
        requester=requester,
        operation=operation,
        # S3 encodes a key twice in most rows, once in lifecycle and batch-delete rows
        key_raw=(path if operation in SINGLE_ENCODED_OPERATIONS else quote(path, safe="/"))
        if path
        else None,
        request_uri=uri,
        http_status=status,
        error_code=error,
        bytes_sent=sent,
        object_size=size if key else None,
        user_agent=agent,
        remote_ip=ip,
        field_count=rng.choice((26, 27, 27)),
        **(
            {"signature_version": None, "authentication_type": None, "cipher_suite": None}
            if requester == "-" or method == "EXPIRE"
            else {}
        ),
    )


def _app_server(rng: random.Random, when: datetime) -> Record:
    """The application on two instances, through the gateway endpoint (private addresses)."""
    instance = rng.choice(("i-0a1b2c3d4e5f60718", "i-0b2c3d4e5f6071829"))
    method = rng.choices(("GET", "HEAD", "PUT", "LIST"), (60, 15, 15, 10))[0]
    key = None if method == "LIST" else _key(rng, "data/curated/year=2024", "parquet")
    status, error = (200, None)
    if method in ("GET", "HEAD") and rng.random() < 0.06:
        status, error = 404, "NoSuchKey"  # asked for a partition not written yet
    elif rng.random() < 0.005:
        status, error = 503, "SlowDown"
    return _request(
        rng,
        when,
        bucket="prod-data",
        requester=f"{_ROLE}/app-server/{instance}",
        ip=f"10.0.2.{rng.randint(10, 40)}",
        agent=_BOTO3,
        method=method,
        key=key,
        status=status,
        error=error,
        size=rng.randint(10**4, 10**8) if key else None,
    )


def _etl_job(rng: random.Random, when: datetime) -> Record:
    """A batch job: reads raw data, writes curated data, cleans up the raw files."""
    method = rng.choices(("GET", "PUT", "DELETE"), (55, 35, 10))[0]
    prefix = "data/curated/year=2024" if method == "PUT" else "data/raw"
    return _request(
        rng,
        when,
        bucket="prod-data",
        requester=f"{_ROLE}/etl-job/botocore-session-1706745600",
        ip=f"10.0.3.{rng.randint(10, 40)}",
        agent=_JAVA,
        method=method,
        key=_key(rng, prefix, "json" if method != "PUT" else "parquet"),
        status=204 if method == "DELETE" else 200,
        size=rng.randint(10**5, 10**7),
    )


def _alice(rng: random.Random, when: datetime) -> Record:
    """A person browsing in the S3 console, from the office's public address."""
    method = rng.choices(("LIST", "GET", "HEAD"), (50, 30, 20))[0]
    return _request(
        rng,
        when,
        bucket="prod-data",
        requester=f"arn:aws:iam::{ACCOUNT}:user/alice",
        ip="198.51.100.24",
        agent=_CONSOLE,
        method=method,
        key=None if method == "LIST" else _key(rng, "uploads", "png"),
        size=rng.randint(10**4, 10**6),
    )


def _deploy(rng: random.Random, when: datetime) -> Record:
    """CI deploying the web assets with the AWS CLI, from a hosted runner."""
    return _request(
        rng,
        when,
        bucket="web-assets",
        requester=f"arn:aws:iam::{ACCOUNT}:user/ci-deploy",
        ip=f"20.42.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        agent=_CLI,
        method="PUT",
        key=_key(rng, rng.choice(("css", "js")), rng.choice(("css", "js"))),
        size=rng.randint(10**3, 10**6),
    )


def _public_ip(rng: random.Random) -> str:
    return ".".join(str(n) for n in (rng.choice((203, 198)), *rng.choices(range(256), k=2), 7))


def _visitor(rng: random.Random, when: datetime) -> Record:
    """Browsers fetching the public bucket's assets, anonymously."""
    status, error = rng.choices(((200, None), (304, None), (404, "NoSuchKey")), (82, 14, 4))[0]
    return _request(
        rng,
        when,
        bucket="web-assets",
        requester="-",
        ip=_public_ip(rng),
        agent=rng.choice(_BROWSERS),
        method="GET",
        key=_key(rng, "img", "png"),
        status=status,
        error=error,
        size=rng.randint(10**3, 10**6),
    )


def _lifecycle(rng: random.Random, when: datetime) -> Record:
    """S3 expiring temporary files under a lifecycle rule (no client, no address)."""
    return _request(
        rng,
        when,
        bucket="prod-data",
        requester="AmazonS3",
        ip=None,
        agent=None,
        method="EXPIRE",
        key=_key(rng, "tmp", "json"),
        size=rng.randint(10**3, 10**6),
    )


ACTORS: tuple[tuple[Callable[[random.Random, datetime], Record], int], ...] = (
    (_app_server, 45),
    (_etl_job, 15),
    (_visitor, 30),
    (_alice, 5),
    (_deploy, 3),
    (_lifecycle, 2),
)


def request(rng: random.Random, when: datetime) -> Record:
    """One request of the everyday traffic, from an actor chosen by its share."""
    actor = rng.choices([a for a, _ in ACTORS], [w for _, w in ACTORS])[0]
    return actor(rng, when)


def report_reader(rng: random.Random, when: datetime, requester: str, ip: str) -> Record:
    """The reporting instance of the network story: lists and reads the curated data."""
    method = rng.choices(("GET", "LIST"), (80, 20))[0]
    status, error = (404, "NoSuchKey") if method == "GET" and rng.random() < 0.04 else (200, None)
    return _request(
        rng,
        when,
        bucket="prod-data",
        requester=requester,
        ip=ip,
        agent=_BOTO3,
        method=method,
        key=None if method == "LIST" else _key(rng, "data/curated/year=2024", "parquet"),
        status=status,
        error=error,
        size=rng.randint(10**5, 10**7),
    )


def probe(rng: random.Random, when: datetime, key: str) -> Record:
    """An anonymous scanner trying a private bucket: denied, as it should be."""
    return _request(
        rng,
        when,
        bucket="prod-data",
        requester="-",
        ip="185.220.101.47",
        agent="curl/8.5.0",
        method="GET",
        key=key,
        status=403,
        error="AccessDenied",
    )
