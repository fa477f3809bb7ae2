"""Store benchmark: what each command costs on a store of generated rows, against a bare
DuckDB process reading the same Parquet files, measured in the same run, interleaved.

    python bench/bench_store.py [--rows 1000000 4000000] [--repeats 3]

For each store size it prints, per command, the median wall time and peak RSS (the process
and its children) of the real console script, and the ratios the store-session issue names:

- `summary` and `report --html` against the reference: one bare Python process that imports
  DuckDB and runs ten typical aggregates on the store's Parquet files;
- `query "SELECT count(*) ..."` against a bare Python process running the same SQL there
  (also its first run, with the translation cache empty);
- the Athena seed query on `s3_access_logs_db.mybucket_logs` against its `access_log` twin.

It asserts nothing. Stores are generated once into bench/data (1M lines of synthetic logs,
repeated with the year shifted for larger stores, so every copy is a distinct source).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
BIN = Path(sys.executable).parent / "s3sleuth"
BASE_LINES = 1_000_000

SEED = """SELECT bucket_name, requestdatetime, requester, httpstatus, errorcode, operation, key
FROM s3_access_logs_db.mybucket_logs
WHERE requester LIKE '%app-server%' AND errorcode = 'AccessDenied'
  AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z')
      BETWEEN timestamp '2024-02-02 00:00:00' AND timestamp '2024-02-02 02:00:00'
ORDER BY requestdatetime DESC"""
TWIN = """SELECT bucket, time, requester, http_status, error_code, operation, key
FROM access_log
WHERE requester LIKE '%app-server%' AND error_code = 'AccessDenied'
  AND time BETWEEN timestamp '2024-02-02 00:00:00 UTC' AND timestamp '2024-02-02 02:00:00 UTC'
ORDER BY time DESC"""
# The same kind of question over every row: parsing requestdatetime back is what costs here.
WIDE_SEED = """SELECT httpstatus, count(*) AS n FROM s3_access_logs_db.mybucket_logs
WHERE parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z')
  BETWEEN timestamp '2021-01-01 00:00:00' AND timestamp '2025-01-01 00:00:00'
GROUP BY 1"""
WIDE_TWIN = """SELECT http_status, count(*) AS n FROM access_log
WHERE time BETWEEN timestamp '2021-01-01 00:00:00 UTC' AND timestamp '2025-01-01 00:00:00 UTC'
GROUP BY 1"""
COUNT = "SELECT count(*) AS n FROM access_log"

REFERENCE = """
import sys, duckdb
files = sys.argv[1] + "/access_log/**/*.parquet"
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{files}')")
for sql in [
    "SELECT count(*), sum(bytes_sent), count(DISTINCT requester) FROM t",
    "SELECT date_trunc('hour', time), count(*), sum(bytes_sent) FROM t GROUP BY 1 ORDER BY 1",
    "SELECT bucket, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT operation, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT requester, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT remote_ip, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT user_agent, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT error_code, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT approx_quantile(total_time_ms, [0.5, 0.95, 0.99]) FROM t",
    "SELECT split_part(key, '/', 1), count(*) FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
]:
    con.sql(sql).fetchall()
"""
BARE_QUERY = """
import sys, duckdb
files = sys.argv[1] + "/access_log/**/*.parquet"
print(duckdb.sql(f"SELECT count(*) AS n FROM read_parquet('{files}')").fetchall())
"""


def base_log() -> Path:
    path = DATA / f"bench-{BASE_LINES}.log"
    if not path.exists():
        from s3sleuth import synth

        DATA.mkdir(exist_ok=True)
        print(f"generating {BASE_LINES:,} lines -> {path}", flush=True)
        with open(path, "wb") as out:
            for line in synth.lines(BASE_LINES, hostile_rate=0.001):
                out.write(line + b"\n")
    return path


def store(rows: int) -> Path:
    """A store of about `rows` rows: the base log, plus copies a year earlier each."""
    path = DATA / f"store-{rows}"
    if (path / "manifest.sqlite").exists():
        return path
    base = base_log().read_bytes()
    copies = DATA / f"copies-{rows}"
    shutil.rmtree(copies, ignore_errors=True)
    copies.mkdir()
    for i in range(max(1, rows // BASE_LINES)):
        year = str(2024 - i).encode()
        (copies / f"log-{i}").write_bytes(base.replace(b"/2024:", b"/" + year + b":"))
    del base
    print(f"ingesting {copies} -> {path}", flush=True)
    subprocess.run([str(BIN), "ingest", str(copies), "--store", str(path), "-q"], check=True)
    shutil.rmtree(copies)
    return path


CACHE = DATA / "sql-cache"  # the commands' translation cache, cleared for the cold runs


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one process, stdout discarded."""
    if argv[-1] == "--cold":
        argv = argv[:-1]
        shutil.rmtree(CACHE, ignore_errors=True)
    started = time.perf_counter()
    env = {**os.environ, "S3SLEUTH_CACHE_DIR": str(CACHE)}
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed: {stderr.strip()}")
    return elapsed, usage.ru_maxrss * 1024


def commands(path: Path, report: Path) -> dict[str, list[str]]:
    s = ["--store", str(path)]
    py = sys.executable
    return {
        "reference (10 aggregates, bare DuckDB)": [py, "-c", REFERENCE, str(path)],
        "summary": [str(BIN), "summary", *s],
        "report --html": [str(BIN), "report", "--html", str(report), *s],
        "denied": [str(BIN), "denied", *s],
        "network": [str(BIN), "network", *s],
        "clients": [str(BIN), "clients", *s],
        "query count(*), first run (no cached SQL)": [str(BIN), "query", COUNT, *s, "--cold"],
        "query count(*)": [str(BIN), "query", COUNT, *s],
        "bare count(*) (DuckDB)": [py, "-c", BARE_QUERY, str(path)],
        "Athena seed query (mybucket_logs)": [str(BIN), "query", SEED, *s],
        "its access_log twin": [str(BIN), "query", TWIN, *s],
        "seed over every row (mybucket_logs)": [str(BIN), "query", WIDE_SEED, *s],
        "its access_log twin (every row)": [str(BIN), "query", WIDE_TWIN, *s],
    }


def run(rows: int, repeats: int) -> None:
    # Built in a process of its own: a child's peak RSS starts from its parent's at fork, so
    # this process stays small to keep the measured peaks the commands' own.
    subprocess.run([sys.executable, __file__, "--build", str(rows)], check=True)
    path = DATA / f"store-{rows}"
    report = DATA / "report.html"
    cmds = commands(path, report)
    measure(cmds["summary"])  # warm the page cache and build the catalog once
    times: dict[str, list[float]] = {name: [] for name in cmds}
    peaks: dict[str, int] = dict.fromkeys(cmds, 0)
    for _ in range(repeats):  # interleaved, so machine noise hits every command alike
        for name, argv in cmds.items():
            seconds, peak = measure(argv)
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"\n{rows:,} rows ({path}); median of {repeats}, peak RSS over all runs")
    for name in cmds:
        print(f"  {name:<40} {median[name]:7.2f} s  {peaks[name] / 2**20:7.0f} MiB")
    ref = median["reference (10 aggregates, bare DuckDB)"]
    print("  ratios:")
    print(f"    summary / reference          {median['summary'] / ref:5.2f}x  (target <= 2)")
    print(f"    report --html / reference    {median['report --html'] / ref:5.2f}x  (target <= 2)")
    bare = median["query count(*)"] / median["bare count(*) (DuckDB)"]
    print(f"    query / bare DuckDB          {bare:5.2f}x  (target <= 2)")
    cold = median["query count(*), first run (no cached SQL)"] / median["bare count(*) (DuckDB)"]
    print(f"    the same, first run          {cold:5.2f}x")
    seed = median["Athena seed query (mybucket_logs)"] / median["its access_log twin"]
    print(f"    seed query / its twin        {seed:5.2f}x  (target <= 2)")
    wide = median["seed over every row (mybucket_logs)"] / median["its access_log twin (every row)"]
    print(f"    the same over every row      {wide:5.2f}x  (target <= 2)")
    worst = max(peaks.values()) / 2**30
    print(f"    largest peak RSS             {worst:5.2f} GiB (target < 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        store(args.build)
        return
    for rows in args.rows:
        run(rows, args.repeats)


if __name__ == "__main__":
    main()
