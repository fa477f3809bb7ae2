"""JSON ingest benchmark: CloudWatch Logs JSON Lines against text lines of the same requests.

    python bench/bench_json.py [--lines 300000] [--repeats 3]

The same requests are written as text log lines, as the JSON records a vended delivery to S3
writes (one per line), and as Parquet; each file is ingested by the command line in a fresh
process, interleaved. Prints lines/s and the ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from s3sleuth import synth
from s3sleuth.parse import parse_line
from s3sleuth.parse.record import to_record

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import DATA, ingest_subprocess


def generate(lines: int) -> tuple[Path, Path, Path]:
    DATA.mkdir(exist_ok=True)
    text, records = DATA / f"json-bench-{lines}.log", DATA / f"json-bench-{lines}.jsonl"
    parquet = DATA / f"json-bench-{lines}.parquet"
    if not (text.exists() and records.exists()):
        print(f"generating {lines:,} requests -> {text.name}, {records.name}", flush=True)
        with open(text, "wb") as t, open(records, "w") as j:
            for i, line in enumerate(synth.lines(lines, hostile_rate=0.0)):
                row = parse_line(line)
                t.write(line + b"\n")
                j.write(json.dumps(to_record(row, millis=i % 1000), separators=(",", ":")))
                j.write("\n")
    if not parquet.exists():  # the same records as vended delivery's Parquet would hold them
        import pyarrow.json as pj
        import pyarrow.parquet as pq

        pq.write_table(pj.read_json(records), parquet)
    return text, records, parquet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    text, records, parquet = generate(args.lines)
    mib = (text.stat().st_size / 2**20, records.stat().st_size / 2**20)
    print(f"input: {args.lines:,} requests; text {mib[0]:.0f} MiB, JSON Lines {mib[1]:.0f} MiB;"
          f" median of {args.repeats}\n")  # fmt: skip
    names = ("text", "json", "parquet")
    times: dict[str, list[float]] = {name: [] for name in names}
    inside: dict[str, list[float]] = {name: [] for name in names}
    peaks: dict[str, list[int]] = {name: [] for name in names}
    for _ in range(args.repeats):
        for name, path in zip(names, (text, records, parquet), strict=True):
            seconds, peak, summary = ingest_subprocess(path, DATA / f"store-json-bench-{name}")
            assert summary["parsed"] == args.lines, summary
            times[name].append(seconds)
            inside[name].append(float(summary["seconds"]))
            peaks[name].append(peak)
    n = args.lines
    for name, label in zip(names, ("text lines", "JSON Lines", "Parquet"), strict=True):
        t, i = statistics.median(times[name]), statistics.median(inside[name])
        print(f"{label:11}: {t:6.2f} s {n / t:10,.0f} lines/s   (ingest's own {i:.2f} s, "
              f"{n / i:,.0f} lines/s; peak {max(peaks[name]) / 2**20:,.0f} MiB)")  # fmt: skip
    ratio = statistics.median(times["text"]) / statistics.median(times["json"])
    own = statistics.median(inside["text"]) / statistics.median(inside["json"])
    print(f"\nJSON Lines vs text, lines/s: {ratio:.2f}x  (without start-up: {own:.2f}x)")
    ratio = statistics.median(times["text"]) / statistics.median(times["parquet"])
    own = statistics.median(inside["text"]) / statistics.median(inside["parquet"])
    print(f"Parquet vs text, lines/s:    {ratio:.2f}x  (without start-up: {own:.2f}x)")


if __name__ == "__main__":
    main()
