"""S3 fetch benchmark: 5,000 small log objects in a moto S3 server, ingested with a fetch
pool of 1 and of the default size, in the same run.

    python bench/bench_s3.py [--objects 5000] [--latency-ms 0 20]

moto runs in its own process (so it does not share the GIL with the client) on 127.0.0.1.
On loopback it answers in about a millisecond; S3 answers a GET in tens of milliseconds, which
is what a fetch pool hides. `--latency-ms` adds that per request, server-side, to model it;
every latency given is measured. Prints figures and ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

from s3sleuth import ingest, synth
from s3sleuth.parse.render import render_line
from s3sleuth.sources.s3 import S3Options

SERVER = """
import sys, time
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple
latency = float(sys.argv[2]) / 1000
app = DomainDispatcherApplication(create_backend_app)
def slow(environ, start_response):
    if latency:
        time.sleep(latency)
    return app(environ, start_response)
run_simple("127.0.0.1", int(sys.argv[1]), slow, threaded=True)
"""
ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
LINES_PER_OBJECT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(latency_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


def load(endpoint: str, objects: int) -> int:
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="bench-logs")
    rng = random.Random(5)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    bodies = []
    for i in range(objects):
        delivered = start + timedelta(minutes=5 * i)
        lines = [
            render_line(synth.record(rng, delivered - timedelta(seconds=s), field_count=27))
            for s in range(LINES_PER_OBJECT)
        ]
        key = f"logs/{delivered:%Y-%m-%d-%H-%M-%S}-{rng.getrandbits(64):016X}"
        bodies.append((key, ("\n".join(lines) + "\n").encode()))
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda kb: client.put_object(Bucket="bench-logs", Key=kb[0], Body=kb[1]), bodies
            )
        )
    return sum(len(b) for _, b in bodies)


def server_ceiling(endpoint: str, pool: int) -> float:
    """GETs/s the server gives bare boto3 with `pool` threads: the most any client can get."""
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=pool))
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="bench-logs")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])][:1000]
    started = time.perf_counter()
    with ThreadPoolExecutor(pool) as threads:
        list(
            threads.map(
                lambda k: client.get_object(Bucket="bench-logs", Key=k)["Body"].read(), keys
            )
        )
    return len(keys) / (time.perf_counter() - started)


def run(endpoint: str, pool: int) -> tuple[float, int, int]:
    store = Path(tempfile.mkdtemp(prefix="s3sleuth-bench-"))
    try:
        started = time.perf_counter()
        result = ingest(
            ["s3://bench-logs/logs/"], store, s3=S3Options(endpoint_url=endpoint, pool=pool)
        )
        return time.perf_counter() - started, result.files, result.lines
    finally:
        shutil.rmtree(store, ignore_errors=True)


def dead_endpoint() -> tuple[float, int]:
    """Seconds until `s3sleuth ingest` gives up on an endpoint nothing listens on, with the
    default retry settings, and its exit status."""
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    store = Path(tempfile.mkdtemp(prefix="s3sleuth-bench-"))
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "s3sleuth", "ingest", "s3://bench-logs/logs/", "--store",
             str(store), "--endpoint-url", dead, "-q"],
            capture_output=True, env={**os.environ, **ENV}, check=False,
        )  # fmt: skip
        return time.perf_counter() - started, done.returncode
    finally:
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 20.0])
    parser.add_argument(
        "--dead-endpoint", action="store_true", help="only time the run against a dead endpoint"
    )
    args = parser.parse_args()
    os.environ.update(ENV)
    if args.dead_endpoint:
        seconds, status = dead_endpoint()
        print(f"dead endpoint, default retries: gave up after {seconds:.1f} s, exit {status}")
        return
    default_pool = S3Options().pool
    for latency in args.latency_ms:
        proc, endpoint = start_server(latency)
        try:
            size = load(endpoint, args.objects)
            print(
                f"\n{args.objects:,} objects, {size / 2**20:.1f} MiB, "
                f"{latency:g} ms added per request"
            )
            figures = {}
            for pool in (1, default_pool):
                seconds, files, lines = run(endpoint, pool)
                figures[pool] = seconds
                print(
                    f"  pool {pool:>3}: {seconds:6.2f} s  {files / seconds:7.0f} objects/s  "
                    f"{lines / seconds:9.0f} lines/s  ({files:,} objects, {lines:,} lines)"
                )
            print(
                f"  default pool ({default_pool}) vs pool 1: "
                f"{figures[1] / figures[default_pool]:.2f}x faster"
            )
            print(
                f"  server ceiling (bare boto3, {default_pool} threads, 1,000 GETs): "
                f"{server_ceiling(endpoint, default_pool):.0f} objects/s"
            )
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
