"""Ingest benchmark: s3sleuth against the Athena-regex baseline, measured in the same run.

    python bench/bench_ingest.py [--lines 1000000] [--files 2000]

Prints figures and ratios; it asserts nothing. The baseline is what Athena users run today:
DuckDB `regexp_extract` with AWS's documented RegexSerDe regex (format.md §6a), one struct
extraction per line, typed into an in-memory table, on the same file and the same threads.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from s3sleuth import synth
from s3sleuth.athena.ddl import AWS_DOCUMENTED_REGEX
from s3sleuth.parse import compiled

DATA = Path(__file__).parent / "data"


def generate(lines: int, files: int) -> tuple[Path, Path]:
    DATA.mkdir(exist_ok=True)
    big = DATA / f"bench-{lines}.log"
    small_dir = DATA / f"bench-{lines}-in-{files}"
    if not big.exists():
        print(f"generating {lines:,} lines -> {big}", flush=True)
        with open(big, "wb") as out:
            for line in synth.lines(lines, hostile_rate=0.001):
                out.write(line + b"\n")
    if not small_dir.exists():
        tmp = small_dir.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        with open(big, "rb") as f:
            all_lines = f.readlines()
        per = -(-len(all_lines) // files)
        for i in range(files):
            name = f"2024-02-01-00-00-{i:05d}-{i:016X}"
            (tmp / name).write_bytes(b"".join(all_lines[i * per : (i + 1) * per]))
        tmp.rename(small_dir)
    return big, small_dir


def baseline(path: Path) -> float:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    names = [f"g{i}" for i in range(1, 28)]
    typed = ", ".join(
        "try_strptime(r.g3, '%d/%b/%Y:%H:%M:%S %z') AS requestdatetime"
        if n == "g3"
        else f"TRY_CAST(r.{n} AS BIGINT) AS {n}"
        if n in ("g10", "g12", "g13", "g14", "g15")
        else f"r.{n}"
        for n in names
    )
    source = (
        f"read_csv('{path}', columns = {{'line': 'VARCHAR'}}, delim = '\\x01', quote = '',"
        " escape = '', header = false, auto_detect = false, strict_mode = false,"
        " ignore_errors = true)"
    )
    started = time.perf_counter()
    con.execute(
        f"CREATE TABLE t AS SELECT {typed} FROM "
        f"(SELECT regexp_extract(line, ?, ?) AS r FROM {source})",
        [AWS_DOCUMENTED_REGEX, names],
    )
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (read from /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as f:
                stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def ingest_subprocess(source: Path, store: Path) -> tuple[float, int, dict[str, int]]:
    """Run an ingest in a fresh process.

    Returns (seconds, peak RSS of its whole process tree, its JSON summary).
    """
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "s3sleuth",
            "ingest",
            str(source),
            "--store",
            str(store),
            "--format",
            "json",
            "-q",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"ingest failed with exit code {proc.returncode}")
    return elapsed, peak, json.loads(out)[0]


def aggregate(store: Path) -> float:
    import s3sleuth

    con = s3sleuth.open(store).engine.con  # type: ignore[attr-defined]
    sql = (
        "SELECT operation, http_status, count(*) AS n, sum(bytes_sent) AS bytes "
        "FROM access_log GROUP BY ALL"
    )
    con.execute(sql).fetchall()  # warm the file metadata cache
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each measurement, interleaved; medians are reported",
    )
    args = parser.parse_args()
    big, small = generate(args.lines, args.files)
    size_mib = big.stat().st_size / 2**20
    splitter = "compiled tokenizer" if compiled.scan() else "CSV splitter (no compiled module)"
    print(f"input: {args.lines:,} lines, {size_mib:.0f} MiB; 2 cores; median of {args.repeats}; "
          f"fast path: {splitter}\n")  # fmt: skip

    base, one, many, peaks, inside = [], [], [], [], []
    summary: dict[str, int] = {}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every measurement alike
        base.append(baseline(big))
        seconds, peak, summary = ingest_subprocess(big, DATA / "store-one")
        one.append(seconds)
        inside.append(float(summary["seconds"]))
        peaks.append(peak)
        seconds, peak, _ = ingest_subprocess(small, DATA / "store-many")
        many.append(seconds)
        peaks.append(peak)
    b, o, m = (statistics.median(x) for x in (base, one, many))
    agg = aggregate(DATA / "store-one")
    n = args.lines
    print(f"baseline (DuckDB regexp_extract, Athena regex): {b:6.2f} s {n / b:10,.0f} lines/s")
    print(f"s3sleuth ingest, one file:                      {o:6.2f} s {n / o:10,.0f} lines/s")
    print(
        f"s3sleuth ingest, {args.files} files:                   {m:6.2f} s {n / m:10,.0f} lines/s"
    )
    print(
        f"  parsed {summary['parsed']:,}, rejected {summary['rejected']:,}, "
        f"read {summary['lines']:,}"
    )
    print(f"aggregate (group by operation, status):         {agg * 1000:6.1f} ms")
    print()
    i = statistics.median(inside)
    print(f"ingest speed vs baseline:       {b / o:5.2f}x  (target >= 2x, aim 3x)")
    print(
        f"  without interpreter start-up: {b / i:5.2f}x  (the ingest's own {i:.2f} s; the "
        "baseline's figure excludes its start-up too)"
    )
    print(f"{args.files} small files vs one file:  {m / o:5.2f}x the time (target <= 1.5x)")
    print(f"peak memory (process tree):     {max(peaks) / 2**20:,.0f} MiB (target < 1024 MiB)")
    print(f"aggregate on stored rows:       {agg * 1000:.1f} ms (target < 100 ms)")
    print(
        f"all runs (s): baseline {[round(x, 2) for x in base]}, one {[round(x, 2) for x in one]},"
        f" many {[round(x, 2) for x in many]}"
    )


if __name__ == "__main__":
    main()
