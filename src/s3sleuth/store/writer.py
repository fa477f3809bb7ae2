"""Accumulates parsed rows in DuckDB and flushes them as date/bucket-partitioned Parquet.

Arrow tables wait in memory until `flush_rows`, then DuckDB writes them to the batch's staging
directory in one partitioned COPY straight from Arrow. Memory stays bounded by `flush_rows`,
however large the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from s3sleuth.fields import COLUMN_ORDER, column_types
from s3sleuth.schema import ACCESS_LOG_SCHEMA, REJECT_SCHEMA
from s3sleuth.store.catalog import configure
from s3sleuth.store.store import StagedBatch

class BatchWriter:
    def __init__(self, batch: StagedBatch, *, flush_rows: int = 250_000,
                 memory_limit: str = "512MB") -> None:
        self.batch = batch
        self.flush_rows = flush_rows
        self.pending_rows = 0
        self.staged_rows = 0
        self._flushes = 0
        self._rejects: list[dict[str, Any]] = []
        self.con = duckdb.connect()
        configure(self.con)
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(f"SET temp_directory = '{batch.dir / 'spill'}'")
        self._pending: list[pa.Table] = []

    def close(self) -> None:
        self.con.close()

    def add_table(self, table: pa.Table) -> None:
        """Queue rows already in `access_log` column order (written at the next flush)."""
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._grew(table.num_rows)

    def add_records(self, records: Iterable[Mapping[str, Any]]) -> None:
        rows = list(records)
        if rows:
            self.add_table(pa.Table.from_pylist(rows, schema=ACCESS_LOG_SCHEMA))

    def add_reject(self, source_file: str, source_line: int, reason: str, raw: bytes) -> None:
        self._rejects.append(
            {"source_file": source_file, "source_line": source_line, "reason": reason, "raw": raw}
        )
        if len(self._rejects) >= self.flush_rows:
            self.flush()

    def _grew(self, rows: int) -> None:
        self.pending_rows += rows
        if self.pending_rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Write everything pending to the batch's staging directory."""
        if self.pending_rows:
            self._flushes += 1
            target = self.batch.table_dir("access_log", self._flushes)
            pattern = f"part-{self.batch.id}-{self._flushes:05d}-{{i}}"
            pending = pa.concat_tables(
                [t.cast(ACCESS_LOG_SCHEMA) for t in self._pending], promote_options="none")
            self.con.register("pending", pending)
            try:
                self.con.execute(
                    f"COPY pending TO '{target}' (FORMAT parquet, PARTITION_BY (date, bucket), "
                    f"WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN '{pattern}', "
                    "COMPRESSION snappy)"
                )
            finally:
                self.con.unregister("pending")
            self._pending = []
            self.staged_rows += self.pending_rows
            self.pending_rows = 0
        if self._rejects:
            self._flushes += 1
            target = self.batch.table_dir("rejects", self._flushes)
            target.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pylist(self._rejects, schema=REJECT_SCHEMA)
            pq.write_table(table, target / f"part-{self.batch.id}-{self._flushes:05d}.parquet")
            self._rejects = []


__all__ = ["COLUMN_ORDER", "BatchWriter"]
