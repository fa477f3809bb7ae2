"""Ingest from the log bucket: layouts, pruning, incremental re-runs, faults and errors."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from s3sleuth import ingest, query, synth
from s3sleuth.errors import SourceError
from s3sleuth.parse.render import render_line
from s3sleuth.sources.s3 import Range, S3Location, S3Options, S3Reader, key_time
from tests.conftest import CREDENTIALS, s3sleuth
from tests.sources.conftest import (
    ACCOUNTS,
    DAYS,
    LINES,
    PER_DAY,
    START,
    client,
    simple_key,
)
from tests.sources.s3server import Fault, S3Server


def ingest_command(
    store: Path, endpoint: str, env: dict[str, str], *more: str
) -> subprocess.CompletedProcess[str]:
    """`s3sleuth ingest s3://logs/simple/` against the test server, as a user runs it."""
    return s3sleuth("ingest", "s3://logs/simple/", "--store", str(store), "--endpoint-url",
                    endpoint, *more, env=env)  # fmt: skip


def options(s3: S3Server, **kw: Any) -> S3Options:
    return S3Options(endpoint_url=s3.endpoint, region="us-east-1", **kw)


def rows(store: Path, sql: str = "SELECT count(*) AS n FROM access_log") -> int:
    return int(query(sql, store).column(0)[0].as_py())


def test_simple_layout(s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path) -> None:
    result = ingest(["s3://logs/simple/"], tmp_path / "s", s3=options(s3))
    assert result.files == DAYS * PER_DAY and result.rejected == 0
    assert rows(tmp_path / "s") == DAYS * PER_DAY * LINES
    names = query("SELECT DISTINCT source_file FROM access_log", tmp_path / "s")
    assert set(names["source_file"].to_pylist()) == {f"s3://logs/{k}" for k in log_bucket["simple"]}


def test_partitioned_layout_with_several_accounts(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    result = ingest(["s3://logs/partitioned/"], tmp_path / "s", s3=options(s3))
    assert result.files == DAYS * PER_DAY * len(ACCOUNTS)
    assert len(s3.proxy.object_gets("logs")) == result.files


def test_time_pruning_fetches_only_objects_in_range(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    since, until = START + timedelta(days=2), START + timedelta(days=3)
    slack = timedelta(hours=2)
    result = ingest(
        ["s3://logs/simple/", "s3://logs/partitioned/"],
        tmp_path / "s",
        since=since,
        until=until,
        s3=options(s3, slack=slack),
    )
    gets = s3.proxy.object_gets("logs")
    simple = [k for k, t in log_bucket["simple"].items() if since - slack <= t <= until + slack]
    part = [
        k
        for k, d in log_bucket["partitioned"].items()
        if (since - slack).date() <= d.date() <= (until + slack).date()
    ]
    assert sorted(gets) == sorted(f"/logs/{k}" for k in simple + part)
    assert len(gets) < len(log_bucket["simple"]) + len(log_bucket["partitioned"]) / 2
    # records outside the window were read but not stored, and are counted
    assert result.lines == result.parsed + result.rejected + result.outside_window
    assert result.outside_window > 0
    first, last = (
        query("SELECT min(time), max(time) FROM access_log", tmp_path / "s").to_pylist()[0].values()
    )
    assert since <= first and last < until


def test_a_wider_window_later_adds_only_what_is_new(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    store, day = tmp_path / "s", timedelta(days=1)
    opts = options(s3, slack=timedelta(hours=2))
    ingest(["s3://logs/simple/"], store, since=START + 2 * day, until=START + 3 * day, s3=opts)
    ingest(["s3://logs/simple/"], store, since=START + day, until=START + 4 * day, s3=opts)
    dupes = rows(store, "SELECT count(*) - count(DISTINCT request_id) FROM access_log")
    assert dupes == 0
    expected = rows(store, "SELECT count(*) FROM access_log")
    whole = ingest(["s3://logs/simple/"], tmp_path / "w", s3=opts)
    in_range = rows(
        tmp_path / "w",
        f"SELECT count(*) FROM access_log WHERE time >= from_iso8601_timestamp("
        f"'{(START + day).isoformat()}') AND time < from_iso8601_timestamp("
        f"'{(START + 4 * day).isoformat()}')",
    )
    assert whole.files == DAYS * PER_DAY and expected == in_range


def test_rerun_fetches_only_new_or_changed_objects(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    c = client(s3.moto_endpoint)
    c.put_object(Bucket="logs", Key="rerun/2024-03-01-00-05-00-AAAAAAAAAAAAAAAA", Body=b"")
    keys = [f"rerun/2024-03-01-0{i}-05-00-{i:016X}" for i in range(1, 4)]
    line = (Path(__file__).parents[1] / "views" / "logs" / "access.log").read_bytes()
    for key in keys:
        c.put_object(Bucket="logs", Key=key, Body=line)
    first = ingest(["s3://logs/rerun/"], tmp_path / "s", s3=options(s3))
    assert first.files == 4
    s3.proxy.reset()
    again = ingest(["s3://logs/rerun/"], tmp_path / "s", s3=options(s3))
    assert (again.files, again.skipped, s3.proxy.object_gets("logs")) == (0, 4, [])
    c.put_object(Bucket="logs", Key=keys[0], Body=line.splitlines(keepends=True)[0])  # changed
    c.put_object(Bucket="logs", Key="rerun/2024-03-01-05-05-00-BBBBBBBBBBBBBBBB", Body=line)
    third = ingest(["s3://logs/rerun/"], tmp_path / "s", s3=options(s3))
    assert third.files == 2 and len(s3.proxy.object_gets("logs")) == 2
    # the rewritten object's old rows are replaced by its new one, never kept beside it
    per_object = rows(tmp_path / "s", f"SELECT count(*) FROM access_log "
                      f"WHERE source_file = 's3://logs/{keys[0]}'")  # fmt: skip
    assert per_object == 1


def test_throttling_5xx_and_dropped_connections_are_retried(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    keys = sorted(log_bucket["simple"])
    s3.proxy.faults += [
        Fault("GET", keys[0], "slowdown", times=2),
        Fault("GET", keys[1], "500", times=2),
        Fault("GET", keys[2], "drop", times=1),
        Fault("GET", "/logs", "slowdown", times=1, query_contains="list-type=2"),
    ]
    result = ingest(["s3://logs/simple/"], tmp_path / "s", s3=options(s3))
    assert result.failed == [] and result.files == DAYS * PER_DAY
    assert rows(tmp_path / "s") == DAYS * PER_DAY * LINES
    gets = s3.proxy.object_gets("logs")
    assert gets.count(f"/logs/{keys[0]}") == 3 and gets.count(f"/logs/{keys[2]}") == 2


def test_an_object_that_keeps_failing_is_named_and_the_rest_ingested(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    bad = sorted(log_bucket["simple"])[5]
    s3.proxy.faults.append(Fault("GET", bad, "500", times=-1))
    env = {**os.environ, **CREDENTIALS}
    run = ingest_command(tmp_path / "s", s3.endpoint, env, "--retry-for", "2")
    assert run.returncode == 1, run.stderr
    assert f"s3://logs/{bad}" in run.stderr and "Traceback" not in run.stderr
    assert rows(tmp_path / "s") == (DAYS * PER_DAY - 1) * LINES
    s3.proxy.faults.clear()  # the next run fetches just the missing object
    s3.proxy.requests.clear()
    again = ingest(["s3://logs/simple/"], tmp_path / "s", s3=options(s3))
    assert again.files == 1 and s3.proxy.object_gets("logs") == [f"/logs/{bad}"]


def test_kill_9_mid_ingest_then_resume(s3: S3Server, tmp_path: Path) -> None:
    rng = random.Random(9)
    c = client(s3.moto_endpoint)
    total, lines = 40, 400  # ~150 KB objects: several 1 MiB commits
    for i in range(total):
        delivered = START + timedelta(minutes=10 * i)
        body = "".join(
            render_line(synth.record(rng, delivered - timedelta(seconds=n), field_count=27)) + "\n"
            for n in range(lines)
        )
        c.put_object(Bucket="logs", Key=simple_key("resume/", delivered, rng), Body=body.encode())
    store = tmp_path / "s"
    s3.proxy.delay = 0.1  # slow enough to kill it in the middle
    env = {**os.environ, **CREDENTIALS}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "s3sleuth",
            "ingest",
            "s3://logs/resume/",
            "--store",
            str(store),
            "--endpoint-url",
            s3.endpoint,
            "--pool",
            "2",
            "--commit-mb",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    manifest = store / "manifest.sqlite"
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None and not committed:
        time.sleep(0.05)
        try:
            with sqlite3.connect(manifest) as db:
                committed = db.execute("SELECT count(*) FROM sources").fetchone()[0]
        except sqlite3.Error:
            committed = 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    s3.proxy.delay = 0.0
    assert 0 < committed < total
    result = ingest(["s3://logs/resume/"], store, s3=options(s3))
    assert result.skipped >= committed and result.files + result.skipped == total
    assert rows(store) == total * lines
    dupes = "SELECT count(*) - count(DISTINCT (source_file, source_line)) FROM access_log"
    assert rows(store, dupes) == 0


def test_unknown_bucket(s3: S3Server, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="bucket no-such-bucket does not exist"):
        ingest(["s3://no-such-bucket/"], tmp_path / "s", s3=options(s3))


def test_denied_listing_names_the_permission(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    s3.proxy.faults.append(Fault("GET", "/logs", "denied", times=-1, query_contains="list-type=2"))
    with pytest.raises(SourceError) as caught:
        ingest(["s3://logs/simple/"], tmp_path / "s", s3=options(s3))
    assert "s3:ListBucket on arn:aws:s3:::logs" in str(caught.value)


def test_missing_credentials(s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")
    }
    run = ingest_command(tmp_path / "s", s3.endpoint, env)
    assert run.returncode == 2
    assert run.stderr.startswith("error: no usable AWS credentials") and "--profile" in run.stderr


def test_key_time_reads_both_layouts() -> None:
    assert key_time("logs/2024-03-01-21-32-16-E568B2907131C0C0") == START.replace(
        hour=21, minute=32, second=16
    )
    assert key_time("p/1/us-east-1/b/2024/03/01/2024-03-01-00-00-00-E568B2907131C0C0") == START
    assert key_time("logs/readme.txt") is None


def test_listing_across_pages_reads_each_page_once(
    s3: S3Server, log_bucket: dict[str, Any]
) -> None:
    reader = S3Reader(endpoint_url=s3.endpoint, region="us-east-1")
    reader.page_size = 7
    simple = list(reader.list(S3Location("logs", "simple/")))
    assert [o.key for o in simple] == sorted(log_bucket["simple"])
    part = list(reader.list(S3Location("logs", "partitioned/")))
    assert sorted(o.key for o in part) == sorted(log_bucket["partitioned"])
    lists = [q for m, _, q in s3.proxy.requests if m == "GET" and "list-type=2" in q]
    assert len(lists) == len(set(lists))  # no page listed twice
    window = Range.around(START + timedelta(days=3), None, timedelta(0))
    late = list(reader.list(S3Location("logs", "simple/"), window))
    assert [o.key for o in late] == [
        k for k, t in sorted(log_bucket["simple"].items()) if t >= window.start
    ]


def test_a_window_with_no_log_objects_says_so(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    """`--since 7d` on logs years old: 0 files, and a note that says why and what the store
    holds, instead of a bare "Ingested 0 files" a script would take for "up to date"."""
    env = {**os.environ, **CREDENTIALS}
    run = s3sleuth("ingest", "s3://logs/simple/", "--since", "7d", "--store", str(tmp_path / "s"),
                   "--endpoint-url", s3.endpoint, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Ingested 0 files")
    assert "note: no logs found in the window (log object keys carry delivery times" in run.stderr
    assert "the store holds no requests" in run.stderr


def test_an_always_failing_object_is_retried_for_its_deadline_only(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    bad = sorted(log_bucket["simple"])[3]
    s3.proxy.faults.append(Fault("GET", bad, "500", times=-1))
    result = ingest(["s3://logs/simple/"], tmp_path / "s",
                    s3=options(s3, request_deadline=1.5))  # fmt: skip
    (failure,) = result.failed
    assert failure["source"] == f"s3://logs/{bad}"
    tries = s3.proxy.object_gets("logs").count(f"/logs/{bad}")
    assert 2 <= tries <= 6  # one retry layer, bounded by the deadline (was 42 requests)
    assert result.files == DAYS * PER_DAY - 1


def test_a_dead_endpoint_ends_the_run_and_says_what_was_not_read(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {**os.environ, **CREDENTIALS}
    run = s3sleuth("ingest", "s3://logs/simple/", "--store", str(tmp_path / "s"),
                   "--endpoint-url", dead, "--retry-for", "2", env=env)  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert "cannot list s3://logs/simple/" in run.stderr and "Traceback" not in run.stderr


def test_the_retry_budget_is_shared_by_the_whole_run(
    s3: S3Server, log_bucket: dict[str, Any], tmp_path: Path
) -> None:
    keys = sorted(log_bucket["simple"])[:4]
    s3.proxy.faults += [Fault("GET", key, "500", times=-1) for key in keys]
    result = ingest(["s3://logs/simple/"], tmp_path / "s",
                    s3=options(s3, request_deadline=30, run_deadline=1.0))  # fmt: skip
    assert {f["source"] for f in result.failed} == {f"s3://logs/{k}" for k in keys}
    tries = sum(s3.proxy.object_gets("logs").count(f"/logs/{k}") for k in keys)
    assert tries <= 4 * 4  # the budget, not each object's 30 s, bounded the retries
