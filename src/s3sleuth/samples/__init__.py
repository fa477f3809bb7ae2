"""The bundled sample logs: everyday traffic (`background`) plus two stories.

- A Transfer Family SFTP user (test1) whose uploads are denied: 403 AccessDenied on
  REST.PUT.OBJECT for the role Transfer-Family-Role.
- An EC2 instance whose traffic moves from the internet (a public IP) to a VPC gateway
  endpoint (its private IP 10.0.1.179).

Transfer Family and CloudTrail logs of the same stories come with them (see `events`). The
last hour arrives through CloudWatch Logs (JSON records), as for a bucket whose logging was
switched over: both deliveries land in one store.

The files in `logs/` are written by `python -m s3sleuth.samples` and committed; a test checks
that they are still exactly what this module writes.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from s3sleuth import synth
from s3sleuth.parse.line import parse_line
from s3sleuth.parse.record import to_record
from s3sleuth.parse.render import render_line
from s3sleuth.samples import background as traffic
from s3sleuth.samples import events

LOGS = Path(__file__).parent / "logs"
START = datetime(2024, 2, 1, tzinfo=UTC)
HOURS = 6
ACCOUNT = synth.ACCOUNT
TRANSFER_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/Transfer-Family-Role"
TRANSFER_UA = "aws-transfer/1.0 (s-aacfeafc8f2840b9a) aws-sdk-java/2.20.162"
EC2_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/reports-ec2/i-0fedcba9876543210"
EC2_PUBLIC_IP, EC2_PRIVATE_IP = "54.240.197.23", "10.0.1.179"
ENDPOINT_SWITCH = START + timedelta(hours=3)


def _transfer(
    rng: random.Random,
    when: datetime,
    user: str,
    session: str,
    operation: str,
    key: str,
    denied: bool,
) -> dict[str, Any]:
    method = operation.split(".")[1]
    return synth.record(
        rng,
        when,
        bucket="partner-uploads",
        ip="3.225.107.41",
        requester=f"{TRANSFER_ROLE}/{user}.{session}@s-aacfeafc8f2840b9a",
        operation=operation,
        key_raw=key,
        request_uri=f"{method} /{key} HTTP/1.1",
        http_status=403 if denied else 200,
        error_code="AccessDenied" if denied else None,
        bytes_sent=243 if denied else 0,
        object_size=None if denied else 2048,
        user_agent=TRANSFER_UA,
        field_count=27,
    )


def _stories(rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for minute in range(0, HOURS * 60, 20):  # test1 keeps retrying its upload, always denied
        when = START + timedelta(minutes=minute + 7)
        records.append(
            _transfer(
                rng, when, "test1", "03bf7ddc20e33b8c", "REST.HEAD.OBJECT", "test.py", denied=False
            )
        )
        records.append(
            _transfer(
                rng,
                when + timedelta(seconds=1),
                "test1",
                "03bf7ddc20e33b8c",
                "REST.PUT.OBJECT",
                "test.py",
                denied=True,
            )
        )
    for minute in range(0, HOURS * 60, 30):  # a user whose name holds dots, doing fine
        when = START + timedelta(minutes=minute + 3)
        records.append(
            _transfer(
                rng,
                when,
                "partner.acme",
                "9a8b7c6d5e4f3a2b",
                "REST.PUT.OBJECT",
                f"inbox/order-{minute}.csv",
                denied=False,
            )
        )
    for minute in range(0, HOURS * 60, 2):  # the EC2 instance, before and after the endpoint
        when = START + timedelta(minutes=minute, seconds=30)
        ip = EC2_PRIVATE_IP if when >= ENDPOINT_SWITCH else EC2_PUBLIC_IP
        records.append(traffic.report_reader(rng, when, EC2_ROLE, ip))
    return records


def generate(directory: Path = LOGS, *, background: int = 3000, seed: int = 2024) -> list[Path]:
    """Write the sample log objects (named like S3's SimplePrefix keys) into `directory`."""
    rng = random.Random(seed)
    records = _stories(rng)
    step = timedelta(hours=HOURS) / background
    records += [traffic.request(rng, START + step * i) for i in range(background)]
    probed = START + timedelta(hours=4, minutes=12)
    for i, key in enumerate((".env", "backup.sql", "config.json", ".git/config")):
        records.append(traffic.probe(rng, probed + timedelta(seconds=i), key))
    records.sort(key=lambda r: r["time"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"{START:%Y-%m-%d}-*"):  # names change with the content
        stale.unlink()
    written = []
    for hour in range(HOURS - 1):
        lo, hi = START + timedelta(hours=hour), START + timedelta(hours=hour + 1)
        batch = [r for r in records if lo <= r["time"] < hi]
        name = f"{(hi + timedelta(minutes=5)):%Y-%m-%d-%H-%M-%S}-{rng.getrandbits(64):016X}"
        path = directory / name
        path.write_bytes(b"".join(render_line(r).encode() + b"\n" for r in batch))
        written.append(path)
    last = START + timedelta(hours=HOURS - 1)
    written.append(_cloudwatch(directory, [r for r in records if r["time"] >= last], rng))
    return written + events.write(directory, records, ACCOUNT, EC2_PRIVATE_IP)


def _cloudwatch(directory: Path, records: list[dict[str, Any]], rng: random.Random) -> Path:
    """The last hour delivered through CloudWatch Logs instead (the bucket switched over),
    as `aws logs filter-log-events` prints it: the same requests, with milliseconds."""
    out = []
    for i, record in enumerate(records):
        row = parse_line(render_line(record).encode())  # the row its text line gives
        millis = rng.randrange(1000)
        stamp = int(row["time"].timestamp() * 1000) + millis
        message = json.dumps(to_record(row, millis=millis), separators=(",", ":"))
        out.append(
            {
                "logStreamName": "s3-server-access-logs",
                "timestamp": stamp,
                "message": message,
                "ingestionTime": stamp + 3_600_000,
                "eventId": f"{stamp:020d}{i:036d}",
            }
        )
    path = directory / "cloudwatch-logs" / "filter-log-events.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"events": out, "searchedLogStreams": []}, indent=1) + "\n")
    return path
