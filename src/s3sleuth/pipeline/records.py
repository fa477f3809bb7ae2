"""Storing CloudWatch Logs deliveries of access logs (JSON or Parquet) as `access_log` rows.

Each record becomes the row its text line would (parse.record), written by the same writer
as text lines, so the rows carry the same enrichment and partitions; what cannot be read goes
to `rejects` with its source, position and reason. A file is read as a stream (Parquet a
batch at a time), so its size does not bound memory.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from s3sleuth.errors import SourceError
from s3sleuth.events.detect import HEAD_BYTES
from s3sleuth.parse import columnar
from s3sleuth.parse.deliveries import (
    PARQUET_MAGIC,
    Item,
    Record,
    Unreadable,
    export_records,
    is_export,
    json_records,
    line_records,
    parquet_records,
)
from s3sleuth.parse.record import RecordRejected, to_row
from s3sleuth.pipeline.producer import Admission
from s3sleuth.schema import ACCESS_LOG_SCHEMA
from s3sleuth.sources import LocalSource, read_chunks
from s3sleuth.store.coverage import keep
from s3sleuth.store.store import StagedBatch
from s3sleuth.store.writer import BatchWriter

ROWS_PER_TABLE = 20_000
WHOLE_FILE = Admission("")  # every record, none stored before
BLOCK_BYTES = 8 << 20  # as the text parser's blocks


Opener = Callable[[], BinaryIO]  # opens the file (decompressed) from its start


def items(
    open_: Opener, name: str, path: Path | None = None
) -> tuple[str, Iterator[Item | pa.Table]]:
    """(`json` or `parquet`, the file's records, or blocks of rows the fast path typed), by
    what the file holds. `path`: the file itself, when it can be read by range (Parquet
    seeks; a compressed one is read into memory)."""
    with open_() as stream:
        head = stream.read(HEAD_BYTES)
    if head.startswith(PARQUET_MAGIC):
        if path is None:
            with open_() as stream:
                return "parquet", parquet_records(io.BytesIO(stream.read()), name)
        return "parquet", parquet_records(path, name)
    if columnar.is_json_lines(head):
        return "json", _json_lines(open_, name)
    reader = export_records if is_export(head.lstrip()) else json_records
    return "json", _reading(open_, reader)


def _json_lines(open_: Opener, name: str) -> Iterator[Item | pa.Table]:
    """A JSON Lines file a block at a time: typed by the fast path where it can, else record
    by record. (Typing two blocks at once on threads measured no faster: Arrow's JSON reader
    already keeps both cores busy.)"""
    position = 0
    with open_() as stream:
        for chunk in read_chunks(stream, BLOCK_BYTES):
            try:
                table = columnar.rows(chunk, name, position)
            except columnar.NotFast:
                for item in line_records(chunk, position):
                    position = item.position
                    yield item
                continue
            position += table.num_rows
            yield table


def _reading(open_: Opener, reader: Callable[[BinaryIO], Iterator[Item]]) -> Iterator[Item]:
    with open_() as stream:
        yield from reader(stream)


def converted(
    found: Iterable[Item | pa.Table], delivery: str
) -> Iterator[tuple[int, dict[str, Any] | str | pa.Table, bytes]]:
    """(position, row or the reason it was rejected, raw) of each record; blocks of rows
    the fast path typed as they are."""
    for item in found:
        if isinstance(item, pa.Table):
            yield 0, item, b""
            continue
        if isinstance(item, Unreadable):
            yield item.position, item.reason, item.raw
            continue
        assert isinstance(item, Record)
        try:
            yield item.position, to_row(item.value, delivery, item.event_time), item.raw
        except RecordRejected as err:
            yield item.position, str(err), item.raw


def rows_table(pending: list[dict[str, Any]]) -> pa.Table:
    """Rows as an `access_log` table; `pending` is emptied."""
    table = pa.Table.from_pylist(pending, schema=ACCESS_LOG_SCHEMA)
    pending.clear()
    return table


@dataclass
class Counts:
    """What became of a file's records."""

    rows: int = 0  # stored now
    rejected: int = 0  # stored in `rejects` now
    outside: int = 0  # outside the window, or stored by an earlier ingest
    invalid: int = 0  # records that cannot be read, stored now or earlier

    @property
    def lines(self) -> int:
        return self.rows + self.rejected + self.outside


class RecordWriter:
    """Writes the records of delivery files into one batch's `access_log` and `rejects`."""

    def __init__(self, batch: StagedBatch | None = None, writer: BatchWriter | None = None) -> None:
        """Into `batch` (with a writer of its own), or through `writer` (a Spark task's)."""
        if writer is None:
            from s3sleuth.views.compute import enrich_table  # rows carry the enrichment

            assert batch is not None
            writer = BatchWriter(batch, transform=enrich_table)
        self.writer = writer

    def add(self, source: LocalSource, admission: Admission) -> Counts:
        """Store one file's records that are in the admission's window and not stored by
        an earlier ingest (which stored its rejects too)."""
        path = None if source.compressed else source.path
        return self.add_from(source.open, source.name, admission, path)

    def add_from(
        self, open_: Opener, name: str, admission: Admission = WHOLE_FILE, path: Path | None = None
    ) -> Counts:
        """`add` for a file given by how to open it (the bytes a Spark task holds)."""
        counts = Counts()
        pending: list[dict[str, Any]] = []

        def store(table: pa.Table) -> None:
            if admission.filters:
                times = table.column("time").to_numpy()
                kept = table.filter(pa.array(keep(times, admission.wanted, list(admission.stored))))
                counts.outside += table.num_rows - kept.num_rows
                table = kept
            self.writer.add_table(table)
            counts.rows += table.num_rows

        try:
            delivery, found = items(open_, name, path)
            for position, row, raw in converted(found, delivery):
                if isinstance(row, pa.Table):
                    store(row)
                elif isinstance(row, str):
                    counts.invalid += 1
                    if admission.stored:
                        counts.outside += 1
                    else:
                        self.writer.add_reject(name, position, row, raw)
                        counts.rejected += 1
                else:
                    row["source_file"], row["source_line"] = name, position
                    pending.append(row)
                    if len(pending) >= ROWS_PER_TABLE:
                        store(rows_table(pending))
        except (EOFError, OSError, zlib.error) as err:  # a truncated or corrupt gzip
            raise SourceError(f"{name} is not readable ({err})", source=name) from None
        if pending:
            store(rows_table(pending))
        return counts

    def add_reject(self, source: str, position: int, reason: str, raw: bytes) -> None:
        self.writer.add_reject(source, position, reason, raw)

    def add_table(self, table: pa.Table) -> None:
        """Queue rows typed already (`access_log` columns)."""
        self.writer.add_table(table)

    def finish(self) -> None:
        self.writer.flush(wait=True)
        self.writer.close()

    def close(self) -> None:
        self.writer.close()
