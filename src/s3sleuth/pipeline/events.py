"""Ingest of Transfer Family and CloudTrail files, and of CloudWatch Logs deliveries of
access logs (`sal-json`, see pipeline.records): parse, stage, commit like access logs.

Event files are small next to access logs (a CloudTrail file is a few MB), so each is read
whole and converted in the main process. They share the store's manifest (content-hash
identity: idempotent) and its staged-batch commit (crash-safe), and the `rejects` table.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from s3sleuth.errors import SourceError, UsageError
from s3sleuth.events.cloudtrail import parse_cloudtrail
from s3sleuth.events.detect import HEAD_BYTES, KINDS, detect
from s3sleuth.events.tables import EVENT_TABLES, TIME_COLUMN
from s3sleuth.events.transfer import parse_transfer
from s3sleuth.pipeline.producer import Admission
from s3sleuth.pipeline.records import Counts, RecordWriter
from s3sleuth.schema import REJECT_SCHEMA, arrow_schema
from s3sleuth.sources import LocalSource
from s3sleuth.store.manifest import SourceEntry
from s3sleuth.store.store import StagedBatch, StoreDir

Parser = Callable[[bytes], Iterator[tuple[int, dict[str, Any] | str, bytes]]]
TABLES: dict[str, tuple[str, Parser]] = {
    "transfer": ("transfer_events", parse_transfer),
    "cloudtrail": ("cloudtrail_events", parse_cloudtrail),
}


def _read(source: LocalSource, limit: int = -1) -> bytes:
    try:
        with source.open() as stream:
            return stream.read(limit)
    except (EOFError, OSError, zlib.error) as err:
        raise source.unreadable(err) from None


def check_kind(kind: str) -> None:
    """`ingest --type`: auto, or one of KINDS."""
    if kind not in ("auto", *KINDS):
        raise UsageError(
            f"unknown log type {kind!r}", hint=f"use auto or one of {', '.join(KINDS)}"
        )


def kind_of(source: LocalSource, forced: str) -> str:
    """The kind of log in `source`: `forced` unless it is `auto`. A file whose start cannot
    be read is an access log here: the ingest reports it as damaged and goes on."""
    if forced != "auto":
        return forced
    try:
        return detect(_read(source, HEAD_BYTES))
    except SourceError:
        return "access"


def _write(batch: StagedBatch, table: str, rows: list[dict[str, Any]], number: int) -> None:
    """Rows as Parquet partitioned by date, like `access_log`."""
    by_date: dict[date | None, list[dict[str, Any]]] = {}
    for row in rows:
        when = row[TIME_COLUMN[table]]
        by_date.setdefault(when.date() if when else None, []).append(row)
    for day, part in by_date.items():
        directory = batch.table_dir(table, number) / f"date={day or '__NULL__'}"
        directory.mkdir(parents=True, exist_ok=True)
        data = pa.Table.from_pylist(part, schema=arrow_schema(EVENT_TABLES[table]))
        pq.write_table(data, directory / f"part-{batch.id}-{number:05d}.parquet")


class EventIngest:
    """Collects event sources of one ingest run into one batch."""

    def __init__(self, store: StoreDir) -> None:
        self.store = store
        self.batch: StagedBatch | None = None
        self.entries: list[SourceEntry] = []
        self.rejects: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self._files = 0
        self.records: RecordWriter | None = None  # CloudWatch Logs deliveries of access logs

    def add(self, source: LocalSource, admission: Admission, kind: str) -> Counts:
        """Parse one file into the batch; what became of its records."""
        if self.batch is None:
            self.batch = self.store.new_batch()
        if kind == "sal-json":
            if self.records is None:
                self.records = RecordWriter(self.batch)
            counts = self.records.add(source, admission)
            self.entries.append(
                SourceEntry(
                    admission.identity, source.name, source.size, source.mtime_ns, counts.lines,
                    counts.lines - counts.invalid, counts.invalid, admission.wanted,
                )
            )  # fmt: skip
            return counts
        identity = admission.identity
        table, parser = TABLES[kind]
        rows: list[dict[str, Any]] = []
        rejected = 0
        for line, row, raw in parser(_read(source)):
            if isinstance(row, str):
                self.rejects.append(
                    {"source_file": source.name, "source_line": line, "reason": row, "raw": raw}
                )
                rejected += 1
            else:
                rows.append({**row, "source_file": source.name, "source_line": line})
        if rows:
            self._files += 1
            _write(self.batch, table, rows, self._files)
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        self.entries.append(
            SourceEntry(
                identity, source.name, source.size, source.mtime_ns, len(rows) + rejected,
                len(rows), rejected,
            )
        )  # fmt: skip
        return Counts(rows=len(rows), rejected=rejected, invalid=rejected)

    def damaged(self, source: LocalSource, reason: str) -> None:
        """A file that cannot be read through: a reject at the line it breaks in."""
        if self.batch is None:
            self.batch = self.store.new_batch()
        _, damage = source.read_through()
        line = damage[0] if damage else 1
        self.rejects.append(
            {"source_file": source.name, "source_line": line, "reason": reason, "raw": b""}
        )

    def commit(self) -> None:
        if self.batch is None:
            return
        if self.records is not None:
            self.records.finish()
        if self.rejects:
            directory = self.batch.table_dir("rejects", 0)
            directory.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                pa.Table.from_pylist(self.rejects, schema=REJECT_SCHEMA),
                directory / f"part-{self.batch.id}-events.parquet",
            )
        self.batch.commit(self.entries)
        self.batch = None

    def abandon(self) -> None:
        if self.records is not None:
            self.records.close()
        if self.batch is not None:
            self.batch.discard()
