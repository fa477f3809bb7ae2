"""Where a parsing thread's time goes, per 8 MiB block of the ingest benchmark's file.

    python bench/profile_parse.py [--blocks 10]

Times each step of `parse.block.parse` on blocks from the middle of bench_ingest's 1M-line file
(in one thread, so the figures are CPU time, not the ingest's wall time), with the compiled
tokenizer and with the CSV splitter used without it, plus the two other costs of the local
engine's ingest: hashing the file and writing Parquet. Prints figures only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import time
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq

from bench_ingest import generate
from s3sleuth.parse import compiled
from s3sleuth.parse.block import SEGMENT, Block, parse
from s3sleuth.parse.framing import pack
from s3sleuth.parse.split_compiled import split_compiled
from s3sleuth.parse.split_csv import split_csv
from s3sleuth.pipeline.local import BLOCK_BYTES
from s3sleuth.pipeline.producer import _segments
from s3sleuth.sources import LocalSource
from s3sleuth.store.writer import DICTIONARY_COLUMNS, STATISTICS_COLUMNS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=10)
    args = parser.parse_args()
    big, _ = generate(args.lines, 2000)
    source = LocalSource.from_path(big)
    segments = list(_segments(source, 0, BLOCK_BYTES))
    middle = len(segments) // 2
    chosen = segments[middle : middle + args.blocks]
    spent: dict[str, float] = {}

    def timed(step: str, work: Callable[..., Any], *inputs: Any, **options: Any) -> Any:
        started = time.perf_counter()
        out = work(*inputs, **options)
        spent[step] = spent.get(step, 0.0) + time.perf_counter() - started
        return out

    scan = compiled.scan()
    for segment in chosen:
        block = Block([segment], (source.name,), segment.length)
        lines = timed("read and frame", pack, block.segments, block.sources)
        if scan is not None:
            timed("split and type (compiled tokenizer)", split_compiled, scan, lines)
        compiled.ENABLED = False
        try:
            timed("split and type (CSV splitter)", split_csv, lines)
            timed("whole parse (CSV splitter)", parse, block)
        finally:
            compiled.ENABLED = True
        rows = timed("whole parse", parse, block).rows.drop_columns([SEGMENT])
        buffer = io.BytesIO()
        timed("write Parquet (snappy)", pq.write_table, rows, buffer, compression="snappy",
              use_dictionary=DICTIONARY_COLUMNS, write_statistics=STATISTICS_COLUMNS)  # fmt: skip
    built = "yes" if scan else "not built"
    print(f"{len(chosen)} blocks of {BLOCK_BYTES >> 20} MiB from {big.name} ({len(segments)} "
          f"blocks in all), one thread; compiled module: {built}")  # fmt: skip
    for step, seconds in spent.items():
        print(f"  {step:38} {seconds / len(chosen) * 1000:6.1f} ms/block")
    per_file = spent["whole parse"] / len(chosen) * len(segments)
    print(f"  whole parse, scaled to the file:       {per_file:6.2f} CPU-s")
    digest, started = hashlib.sha256(), time.perf_counter()
    with open(big, "rb") as f:
        while chunk := f.read(BLOCK_BYTES):
            digest.update(chunk)
    print(f"sha256 of the file (its identity):        {time.perf_counter() - started:6.2f} s")


if __name__ == "__main__":
    main()
