"""`ingest cloudwatch://LOG_GROUP` against moto's CloudWatch Logs on 127.0.0.1 (real HTTP,
through the fault-injecting proxy)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from s3sleuth import ingest, query, synth
from s3sleuth.errors import SourceError
from s3sleuth.parse.record import to_record
from s3sleuth.pipeline import cloudwatch
from s3sleuth.pipeline.cloudwatch import gaps
from s3sleuth.sources import cloudwatch as source
from s3sleuth.sources.s3 import S3Options
from tests.conftest import on_a_terminal, s3sleuth
from tests.sources.conftest import client as aws_client
from tests.sources.s3server import Fault, S3Server

GROUP = "/aws/vendedlogs/s3/amzn-s3-demo-bucket/S3_SERVER_ACCESS_LOGS"
STREAMS = ("delivery-a", "delivery-b", "delivery-c")


def put(endpoint: str, group: str, records: list[tuple[str, datetime, dict[str, Any]]]) -> None:
    """Log events (stream, event time, record), in time order per stream."""
    client = aws_client(endpoint, "logs")
    existing = {g["logGroupName"] for g in client.describe_log_groups()["logGroups"]}
    if group not in existing:
        client.create_log_group(logGroupName=group)
    streams = {
        s["logStreamName"] for s in client.describe_log_streams(logGroupName=group)["logStreams"]
    }
    for stream in sorted({s for s, _, _ in records}):
        if stream not in streams:
            client.create_log_stream(logGroupName=group, logStreamName=stream)
        events = sorted(
            (int(when.timestamp() * 1000), json.dumps(record))
            for s, when, record in records
            if s == stream
        )
        client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": t, "message": m} for t, m in events],
        )


def records(count: int, end: datetime, seed: int = 7) -> list[tuple[str, datetime, dict[str, Any]]]:
    """`count` requests in the hours before `end`, spread over the streams."""
    rng = synth.random.Random(seed)
    out = []
    for i in range(count):
        when = end - timedelta(minutes=5 * (count - i))
        row = synth.record(rng, when, bucket="amzn-s3-demo-bucket", field_count=27)
        row["key"] = row.get("key_raw")  # the JSON record carries the key itself
        out.append((STREAMS[i % 3], when, to_record(row, millis=i % 1000)))
    return out


@pytest.fixture
def server(s3: S3Server) -> S3Server:
    s3.proxy.reset()
    return s3


def options(server: S3Server, **kw: Any) -> S3Options:
    return S3Options(region="us-east-1", endpoint_url=server.endpoint, **kw)


def count(store: Path, sql: str = "SELECT count(*) AS n FROM access_log") -> int:
    return int(query(sql, store)["n"][0].as_py())


def test_gaps_are_what_no_window_covers() -> None:
    assert gaps((0, 100), []) == [(0, 100)]
    assert gaps((0, 100), [(10, 20), (15, 30), (50, 60)]) == [(0, 10), (30, 50), (60, 100)]
    assert gaps((0, 100), [(-5, 200)]) == []
    assert gaps((40, 100), [(0, 50), (90, 95)]) == [(50, 90), (95, 100)]


def test_reads_every_stream_and_rereads_nothing(server: S3Server, tmp_path: Path) -> None:
    group = GROUP + "/every"
    now = datetime.now(UTC)
    # five hours, the last of them within the six hours a re-run reads again
    put(server.moto_endpoint, group, records(60, now - timedelta(hours=5)))
    store = tmp_path / "store"
    first = ingest([f"cloudwatch://{group}"], store, s3=options(server))
    assert (first.parsed, first.rejected, first.log_events) == (60, 0, 60)
    files = query("SELECT DISTINCT source_file FROM access_log", store)["source_file"]
    assert sorted(files.to_pylist()) == [f"cloudwatch://{group}/{s}" for s in STREAMS]
    assert query("SELECT DISTINCT delivery FROM access_log", store)["delivery"][0].as_py() == (
        "json"
    )
    # Nothing new: the events of the last hours are read again, and all skipped.
    again = ingest([f"cloudwatch://{group}"], store, s3=options(server))
    assert again.parsed == 0 and count(store) == 60
    assert again.log_events == again.log_events_known and 0 < again.log_events < 60


def test_late_events_with_earlier_times_are_read(server: S3Server, tmp_path: Path) -> None:
    group = GROUP + "/late"
    now = datetime.now(UTC)
    put(server.moto_endpoint, group, records(30, now - timedelta(minutes=10), seed=1))
    store = tmp_path / "store"
    ingest([f"cloudwatch://{group}"], store, s3=options(server))
    # delivered now, with times before the latest stored event
    late = records(6, now - timedelta(hours=1), seed=2)
    put(server.moto_endpoint, group, late)
    second = ingest([f"cloudwatch://{group}"], store, s3=options(server))
    assert second.parsed == 6 and count(store) == 36
    assert count(store, "SELECT count(DISTINCT request_id) AS n FROM access_log") == 36
    # each event has its own position in its stream, across runs
    sql = "SELECT count(DISTINCT (source_file, source_line)) AS n FROM access_log"
    assert count(store, sql) == 36


def test_an_interrupted_run_loses_and_duplicates_nothing(
    server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = GROUP + "/interrupted"
    now = datetime.now(UTC)
    put(server.moto_endpoint, group, records(50, now - timedelta(hours=12), seed=3))
    monkeypatch.setattr(source, "PAGE_SIZE", 10)
    monkeypatch.setattr(cloudwatch, "COMMIT_EVENTS", 10)
    store = tmp_path / "store"
    # the third page is refused: two batches of ten events are committed by then
    server.proxy.faults.append(Fault("POST", "/", "logs-denied", times=-1))
    server.proxy.faults[0].times = -1
    calls = {"n": 0}

    def matches(method: str, path: str, query: str) -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    monkeypatch.setattr(server.proxy.faults[0], "matches", matches)
    with pytest.raises(SourceError, match="access denied reading log group"):
        ingest([f"cloudwatch://{group}"], store, s3=options(server))
    assert count(store) == 20
    server.proxy.reset()
    done = ingest([f"cloudwatch://{group}"], store, s3=options(server))
    assert done.log_events_known == 20 and done.parsed == 30
    assert count(store) == 50
    assert count(store, "SELECT count(DISTINCT request_id) AS n FROM access_log") == 50


def test_throttling_is_retried(server: S3Server, tmp_path: Path) -> None:
    group = GROUP + "/throttled"
    put(server.moto_endpoint, group, records(5, datetime.now(UTC) - timedelta(hours=1)))
    server.proxy.faults.append(Fault("POST", "/", "throttle", times=2))
    result = ingest([f"cloudwatch://{group}"], tmp_path / "s", s3=options(server))
    assert result.parsed == 5
    assert len(server.proxy.requests) == 3  # two throttled, then the page


def test_since_reads_only_the_window(server: S3Server, tmp_path: Path) -> None:
    group = GROUP + "/window"
    now = datetime.now(UTC)
    put(server.moto_endpoint, group, records(24, now - timedelta(hours=2), seed=5))
    store = tmp_path / "store"
    since = now - timedelta(hours=3)
    result = ingest([f"cloudwatch://{group}"], store, since=since, s3=options(server))
    assert 0 < result.parsed < 24
    everything = ingest([f"cloudwatch://{group}"], store, s3=options(server))
    assert everything.parsed == 24 - result.parsed and count(store) == 24


def test_a_bad_event_is_a_reject_naming_it(server: S3Server, tmp_path: Path) -> None:
    group = GROUP + "/bad"
    now = datetime.now(UTC) - timedelta(hours=1)
    good = records(2, now)
    put(server.moto_endpoint, group, [*good, ("delivery-a", now, {"http_status": "OK"})])
    result = ingest([f"cloudwatch://{group}"], tmp_path / "s", s3=options(server))
    assert (result.parsed, result.rejected) == (2, 1)
    (reject,) = query("SELECT * FROM rejects", tmp_path / "s").to_pylist()
    assert reject["source_file"] == f"cloudwatch://{group}/delivery-a"
    assert "http_status" in reject["reason"] and "(event " in reject["reason"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        **extra,
    )
    return env


def test_cli_errors_are_one_line(server: S3Server, tmp_path: Path) -> None:
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    args = ["--store", str(tmp_path / "s"), "--endpoint-url", server.endpoint]
    args += ["--region", "us-east-1", "--retry-budget", "5", "-q"]
    unknown = s3sleuth("ingest", "cloudwatch://no-such-group", *args, env=_env(**creds))
    assert unknown.returncode == 2, unknown.stderr  # as every source error
    assert unknown.stderr.startswith("error: log group no-such-group does not exist")
    no_creds = s3sleuth("ingest", f"cloudwatch://{GROUP}", *args, env=_env())
    assert no_creds.returncode == 2 and "no usable AWS credentials" in no_creds.stderr
    server.proxy.faults.append(Fault("POST", "/", "logs-denied", times=-1))
    denied = s3sleuth("ingest", f"cloudwatch://{GROUP}", *args, env=_env(**creds))
    assert denied.returncode == 2 and "grant logs:FilterLogEvents" in denied.stderr
    wrong = s3sleuth("ingest", f"cloudwatch://{GROUP}", "--type", "access", *args)
    assert wrong.returncode == 2 and "sal-json" in wrong.stderr
    for done in (unknown, no_creds, denied, wrong):
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2


def test_cli_ingest_then_denied(server: S3Server, tmp_path: Path) -> None:
    group = GROUP + "/cli"
    now = datetime.now(UTC) - timedelta(hours=1)
    put(server.moto_endpoint, group, records(40, now, seed=11))
    args = ["--store", str(tmp_path / "s"), "--endpoint-url", server.endpoint]
    done = s3sleuth("ingest", f"cloudwatch://{group}", *args, "--region", "us-east-1", "-q")
    assert done.returncode == 0, done.stderr
    assert "40 parsed" in done.stdout
    sql = "SELECT delivery, count(*) AS n FROM access_log GROUP BY 1"
    counted = s3sleuth("query", sql, "--store", str(tmp_path / "s"), "--format", "json")
    assert json.loads(counted.stdout) == [{"delivery": "json", "n": 40}]
    again = s3sleuth("ingest", f"cloudwatch://{group}", *args, "--region", "us-east-1", "-q")
    assert again.returncode == 0 and "0 parsed" in again.stdout
    assert "log events already in the store" in again.stdout
    assert "no logs found" not in again.stderr  # they were found, and are in already
    # on a terminal, with its progress bar (the size of a log group is not known ahead)
    argv = [str(Path(sys.executable).parent / "s3sleuth"), "ingest", f"cloudwatch://{group}"]
    status, shown = on_a_terminal([*argv, *args, "--region", "us-east-1"], os.environ)
    assert status == 0 and "log events already in the store" in shown, shown


def test_a_log_group_gives_the_rows_of_the_same_records_in_a_file(
    server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events typed a page at a time (the fast path) or one by one: the rows of the records
    read from a JSON Lines file."""
    from s3sleuth.parse import columnar

    group = GROUP + "/same"
    events = records(45, datetime.now(UTC) - timedelta(hours=1), seed=13)
    put(server.moto_endpoint, group, events)
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for _, _, r in events))
    ingest([str(path)], tmp_path / "file")
    typed = []
    real = columnar.rows
    monkeypatch.setattr(columnar, "rows", lambda *a: typed.append(1) or real(*a))
    ingest([f"cloudwatch://{group}"], tmp_path / "group", s3=options(server))
    assert typed  # pages went through the fast path
    sql = "SELECT * EXCLUDE (source_file, source_line) FROM access_log ORDER BY request_id"
    by_file = query(sql, tmp_path / "file", dialect="duckdb")
    assert query(sql, tmp_path / "group", dialect="duckdb").equals(by_file)
    assert by_file.num_rows == 45

    def declined(*args: object) -> None:
        raise columnar.NotFast("forced")

    monkeypatch.setattr(columnar, "rows", declined)  # event by event
    ingest([f"cloudwatch://{group}"], tmp_path / "slow", s3=options(server))
    assert query(sql, tmp_path / "slow", dialect="duckdb").equals(by_file)
