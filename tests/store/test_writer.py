"""Records survive the store: written as partitioned Parquet, read back unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sleuth.parse import parse_line, render_line
from s3sleuth.schema import ACCESS_LOG_SCHEMA
from s3sleuth.store.partitions import partition_value
from s3sleuth.store.store import StoreDir
from s3sleuth.store.writer import BatchWriter
from tests.parse.test_roundtrip import records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=30))
def test_records_round_trip_through_parquet(batch: list[dict[str, Any]]) -> None:
    rows = []
    for i, values in enumerate(batch):
        row = parse_line(render_line(values).encode())
        row["source_file"], row["source_line"] = "gen.log", i + 1
        rows.append(row)
    with tempfile.TemporaryDirectory() as tmp:
        store = StoreDir.open(Path(tmp), create=True)
        staged = store.new_batch()
        writer = BatchWriter(staged)
        writer.add_table(pa.Table.from_pylist(rows, schema=ACCESS_LOG_SCHEMA))
        writer.flush(wait=True)
        writer.close()
        table = ds.dataset(staged.dir, format="parquet", partitioning=None).to_table()
        store.close()
    back = sorted(table.to_pylist(), key=lambda r: r["source_line"])
    assert back == rows


def test_partition_values_are_safe_directory_names() -> None:
    assert partition_value("my-bucket.logs") == "my-bucket.logs"
    assert partition_value("a/../b c") == "a%2F..%2Fb%20c"
    assert partition_value(None) == "__HIVE_DEFAULT_PARTITION__"


def _one_partition(n: int) -> pa.Table:
    """n rows of one bucket on one day (1,000 parsed records, repeated), numbered 1..n."""
    from datetime import UTC, datetime

    import numpy as np

    from s3sleuth import synth

    rng = synth.random.Random(7)
    start = datetime(2024, 2, 1, tzinfo=UTC)
    rows = []
    for _ in range(1_000):
        record = synth.record(rng, start)
        record["bucket"], record["time"] = "logs", start
        row = parse_line(render_line(record).encode())
        row["source_file"], row["source_line"] = "gen.log", 0
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=ACCESS_LOG_SCHEMA)
    table = pa.concat_tables([table] * (n // 1_000)).combine_chunks()
    index = table.column_names.index("source_line")
    return table.set_column(index, "source_line", pa.array(np.arange(1, n + 1)))


def test_the_last_flush_is_written_in_two_halves(tmp_path: Path) -> None:
    rows = _one_partition(45_000)
    store = StoreDir.open(tmp_path, create=True)
    staged = store.new_batch()
    writer = BatchWriter(staged, flush_rows=10**9)
    writer.add_table(rows.slice(0, 3_000))
    writer.flush()  # an ordinary flush: one file
    writer.add_table(rows.slice(3_000))
    writer.flush(wait=True)  # the last, waited for: two files of about half each
    writer.close()
    counts = {
        f.parent.parent.parent.name: pq.ParquetFile(f).metadata.num_rows
        for f in staged.dir.rglob("*.parquet")
    }
    back = ds.dataset(staged.dir, format="parquet", partitioning=None).to_table()
    store.close()
    assert sorted(counts.values()) == [3_000, 21_000, 21_000]
    assert sorted(back.column("source_line").to_pylist()) == list(range(1, 45_001))
