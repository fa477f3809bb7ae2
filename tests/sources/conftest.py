"""A moto S3 server (real HTTP on 127.0.0.1) with a log bucket in both key layouts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from s3sleuth import synth
from s3sleuth.parse.render import render_line
from tests.conftest import use_test_credentials
from tests.sources.s3server import S3Server

START = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 6
PER_DAY = 8  # log objects per day and source
LINES = 12  # lines per object
ACCOUNTS = ("111122223333", "444455556666")


def log_object(rng: random.Random, bucket: str, delivered: datetime) -> bytes:
    """LINES records of the hour before `delivered`."""
    lines = []
    for i in range(LINES):
        when = delivered - timedelta(minutes=60 - i * 4)
        lines.append(render_line(synth.record(rng, when, bucket=bucket, field_count=27)))
    return ("\n".join(lines) + "\n").encode()


def simple_key(prefix: str, delivered: datetime, rng: random.Random) -> str:
    return f"{prefix}{delivered:%Y-%m-%d-%H-%M-%S}-{rng.getrandbits(64):016X}"


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_credentials(monkeypatch)


def client(endpoint: str, service: str = "s3") -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def log_bucket(s3: S3Server) -> dict[str, Any]:
    """Bucket `logs` with SimplePrefix keys under `simple/` and PartitionedPrefix keys (two
    accounts) under `partitioned/`. Returns what was written, for the assertions."""
    rng = random.Random(7)
    c = client(s3.moto_endpoint)
    c.create_bucket(Bucket="logs")
    written: dict[str, Any] = {"simple": {}, "partitioned": {}}
    for day in range(DAYS):
        for n in range(PER_DAY):
            delivered = START + timedelta(days=day, hours=3 * n, minutes=5)
            key = simple_key("simple/", delivered, rng)
            body = log_object(rng, "app-data", delivered)
            c.put_object(Bucket="logs", Key=key, Body=body)
            written["simple"][key] = delivered
            for account in ACCOUNTS:
                event_day = delivered - timedelta(minutes=65)
                prefix = (
                    f"partitioned/{account}/us-east-1/app-data/"
                    f"{event_day:%Y}/{event_day:%m}/{event_day:%d}/"
                )
                key = simple_key(prefix, event_day.replace(hour=0, minute=0, second=0), rng)
                c.put_object(Bucket="logs", Key=key, Body=log_object(rng, "app-data", delivered))
                written["partitioned"][key] = event_day
    return written


@pytest.fixture(autouse=True)
def clean_proxy(s3: S3Server) -> None:
    s3.proxy.reset()
