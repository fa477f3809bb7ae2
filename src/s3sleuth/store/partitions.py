"""Partitioning rows by (date, bucket): the store's directory layout."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def partition_value(value: object) -> str:
    """A directory-safe partition value (percent-encoded like DuckDB's and Hive's)."""
    if value is None:
        return NULL_PARTITION
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), str(value))


_MAX_RUNS = 64


def partition_runs(table: pa.Table) -> tuple[pa.Table, list[tuple[int, int]]]:
    """`table` grouped by (date, bucket), and the [start, stop) rows of each group.

    A block's rows mostly come in a few long runs (a log file covers one bucket and a short
    time), with the reference parser's few rows after them; up to `_MAX_RUNS` runs are
    returned as they lie (a partition may have several), and only more than that are worth
    a sort, which copies every row.
    """
    if table.num_rows == 0:
        return table, []
    days = pc.fill_null(table.column("date").cast(pa.int32()), np.iinfo(np.int32).min)
    buckets = pc.dictionary_encode(table.column("bucket")).combine_chunks()
    bucket_ids = pc.fill_null(buckets.indices, -1).to_numpy(zero_copy_only=False)
    keys = days.to_numpy().astype(np.int64) * (1 << 32) + (bucket_ids.astype(np.int64) + 1)
    if np.count_nonzero(np.diff(keys)) >= _MAX_RUNS:
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        table = table.take(pa.array(order))
    cuts = np.flatnonzero(np.diff(keys)) + 1
    bounds = zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(keys)].tolist(), strict=True)
    return table, list(bounds)
