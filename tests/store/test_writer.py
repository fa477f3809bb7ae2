"""Records survive the store: written as partitioned Parquet, read back unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sleuth.parse import parse_line, render_line
from s3sleuth.schema import ACCESS_LOG_SCHEMA
from s3sleuth.store.partitions import partition_value
from s3sleuth.store.store import Store
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
        store = Store.open(Path(tmp), create=True)
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
