"""Spark engine benchmark: Spark local[2] against the DuckDB engine, in the same run.

    python bench/bench_spark.py [--lines 1000000] [--files 2000]

Uses bench_ingest's generated file (1M lines, every era, hostile lines at 0.1%) and its split
into small files, as a log bucket holds them. Prints figures and ratios; asserts nothing.
On one machine Spark is expected to be slower: the figure is the cost of the scale-out path
(JVM, Python workers fed through Arrow), not a target.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import s3sleuth
from bench_ingest import DATA, generate
from s3sleuth.pipeline.local import ingest as duckdb_ingest
from s3sleuth.spark import ingest as spark_ingest
from s3sleuth.spark import session


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def fresh(name: str) -> Path:
    path = DATA / name
    shutil.rmtree(path, ignore_errors=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    big, small = generate(args.lines, args.files)
    n = args.lines
    print(f"input: {n:,} lines, {big.stat().st_size / 2**20:.0f} MiB; 2 cores\n")

    start, spark = timed(lambda: session("local[2]"))
    print(f"Spark local[2] session start:             {start:6.2f} s (not counted below)")
    rows = []
    for label, source in ((f"{args.files} files", small), ("one file", big)):
        d_store, s_store = fresh("store-duckdb"), fresh("store-spark")
        d, d_result = timed(lambda src=source, st=d_store: duckdb_ingest([str(src)], st))
        s, s_result = timed(lambda src=source, st=s_store: spark_ingest(spark, [str(src)], st))
        assert (d_result.parsed, d_result.rejected) == (s_result.parsed, s_result.rejected)
        rows.append((f"ingest, {label}", d, s))
    duck = s3sleuth.open(d_store)
    on_spark = s3sleuth.open(s_store, engine="spark", spark=spark)
    for label in ("denied", "clients"):
        d, expected = timed(lambda name=label: getattr(duck, name)())
        s, got = timed(lambda name=label: getattr(on_spark, name)())
        same = [i.to_dict() for i in got] == [i.to_dict() for i in expected]
        rows.append((f"{label} on 1M rows{'' if same else ' (DIFFERENT RESULTS)'}", d, s))
    duck.close()
    on_spark.close()
    print(f"{'step':34} {'duckdb':>9} {'spark':>9} {'spark/duckdb':>13}")
    for label, d, s in rows:
        print(f"{label:34} {d:8.2f}s {s:8.2f}s {s / d:12.2f}x")
    ingest_row = rows[0]
    print(f"\nSpark ingest, {args.files} files: {n / ingest_row[2]:,.0f} lines/s; "
          f"DuckDB engine: {n / ingest_row[1]:,.0f} lines/s")  # fmt: skip
    spark.stop()


if __name__ == "__main__":
    main()
