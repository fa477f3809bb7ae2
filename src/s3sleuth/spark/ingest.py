"""Ingest on Spark: the same parse, written in the same store layout, by Spark tasks.

Spark lists and reads the log files (`binaryFile`, so `s3a://`, `hdfs://` and local paths all
work, and bytes reach the parser unchanged). Each task parses whole files with the same code
as the local engine (`parse.block.parse_source`) and writes its rows with the same
`BatchWriter` into the store's staging directory; the driver then commits the batch through
the same manifest. So re-runs skip what is in, a failed job leaves nothing visible, and the
store reads the same from either engine.

The store must be a directory the driver and every executor can write: a local path in local
mode, a shared mount (`/dbfs/...`, EFS) on a cluster.
"""

from __future__ import annotations

import gzip
import io
import os
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import pyarrow as pa

from s3sleuth.errors import SourceError, UsageError
from s3sleuth.events.detect import KINDS
from s3sleuth.events.ingest import kind_of
from s3sleuth.parse.block import parse_source
from s3sleuth.pipeline import BLOCK_BYTES, ingest_event_files, plan
from s3sleuth.producer import admit, local_identity
from s3sleuth.results import IngestResult, Progress
from s3sleuth.sources.local import read_chunks
from s3sleuth.store.catalog import write_catalog_file
from s3sleuth.store.manifest import WHOLE, SourceEntry
from s3sleuth.store.store import StagedBatch, Store
from s3sleuth.store.writer import BatchWriter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_GZIP_MAGIC = b"\x1f\x8b"
# What each task reports per file; the driver builds the manifest entries from it.
STATS = pa.schema(
    [
        ("path", pa.string()),
        ("lines", pa.int64()),
        ("rejected", pa.int64()),
        ("error", pa.string()),
    ]
)
FILES_PER_ARROW_BATCH = 16  # whole files travel to the Python worker: keep few in flight


def _is_uri(spec: str) -> bool:
    return "://" in spec


def local_path(spark_path: str) -> str | None:
    """The local path of a `file:` URI as Spark lists it, else None."""
    parsed = urlparse(spark_path)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def _decoded(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data


def _parse_file(path: str, name: str, data: bytes, writer: BatchWriter) -> dict[str, Any]:
    lines = rejected = 0
    try:
        text = _decoded(data)
    except (EOFError, OSError, zlib.error) as err:
        return {"path": path, "lines": 0, "rejected": 0, "error": f"not a readable gzip ({err})"}
    for piece in parse_source(read_chunks(io.BytesIO(text), BLOCK_BYTES), name):
        if piece.rows.num_rows:
            writer.add_grouped(piece.rows, piece.runs)
        for number, reason, raw in piece.rejects:
            writer.add_reject(name, number, reason, raw)
        lines += piece.lines
        rejected += len(piece.rejects)
    return {"path": path, "lines": lines, "rejected": rejected, "error": None}


def parse_task(
    batches: Iterator[pa.RecordBatch],
    *,
    root: str,
    batch_id: str,
    names: dict[str, str],
    flush_rows: int,
) -> Iterator[pa.RecordBatch]:
    """One Spark task: parse its files, write their rows into the batch's staging directory,
    and report per file. A retried task rewrites the same file names."""
    from pyspark import TaskContext

    context = TaskContext.get()
    task = context.partitionId() if context is not None else 0
    staged = StagedBatch(Store(Path(root)), batch_id)
    writer = BatchWriter(staged, flush_rows=flush_rows, task=task)
    stats = []
    try:
        for batch in batches:
            paths = batch.column("path").to_pylist()
            for i, path in enumerate(paths):
                data = batch.column("content")[i].as_py()
                name = names.get(path) or local_path(path) or path
                stats.append(_parse_file(path, name, data, writer))
        writer.flush(wait=True)
    finally:
        writer.close()
    yield pa.RecordBatch.from_pylist(stats, schema=STATS)


def _listing(spark: SparkSession, paths: list[str]) -> DataFrame:
    return (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("ignoreMissingFiles", "false")
        .load(paths)
    )


def _uri_identity(row: Any) -> str:
    # Remote files are not read by the driver: path, size and modification time name them.
    return f"{row['path']}|{row['length']}|{row['modificationTime'].isoformat()}"


def ingest(
    spark: SparkSession,
    specs: Sequence[str],
    store: str | Path | None = None,
    *,
    kind: str = "auto",
    progress: Progress | None = None,
    flush_rows: int = 250_000,
) -> IngestResult:
    """Ingest SOURCE arguments with Spark into the store: local files, directories and globs
    (told apart by content as in the local engine), and URIs Spark can read (`s3a://...`,
    `hdfs://...`), read as access logs."""
    if kind not in ("auto", *KINDS):
        raise UsageError(
            f"unknown log type {kind!r}", hint=f"use auto or one of {', '.join(KINDS)}"
        )
    if "-" in specs:
        raise UsageError("--engine spark cannot read stdin", hint="save it to a file first")
    started = time.perf_counter()
    target = Store.open(store, create=True)
    result = IngestResult(store=str(target.root))
    try:
        with target.lock():
            target.recover()
            planned = plan([s for s in specs if not _is_uri(s)], target)
            kinds = [(source, kind_of(source, kind)) for source in planned]
            seen: set[str] = set()
            todo: dict[str, SourceEntry] = {}  # Spark path -> entry to complete
            names: dict[str, str] = {}
            for source, k in kinds:
                if k != "access":
                    continue
                admission = admit(target, local_identity(target, source), WHOLE, seen)
                if admission is None:
                    result.skipped += 1
                    continue
                uri = source.path.resolve().as_uri()
                names[uri] = names[f"file:{source.path.resolve()}"] = source.name
                todo[uri] = SourceEntry(
                    admission.identity, source.name, source.size, source.mtime_ns, 0, 0, 0
                )
            uris = [s for s in specs if _is_uri(s)]
            if uris:
                for row in (
                    _listing(spark, uris).select("path", "length", "modificationTime").collect()
                ):
                    admission = admit(target, _uri_identity(row), WHOLE, seen)
                    if admission is None:
                        result.skipped += 1
                        continue
                    todo[row["path"]] = SourceEntry(
                        admission.identity, row["path"], row["length"], None, 0, 0, 0
                    )
            if todo:
                _run(spark, target, todo, names, result, flush_rows)
            ingest_event_files(
                target, [(s, k) for s, k in kinds if k != "access"], result, progress
            )
            write_catalog_file(target)
    finally:
        target.close()
    result.seconds = time.perf_counter() - started
    return result


def _run(
    spark: SparkSession,
    store: Store,
    todo: dict[str, SourceEntry],
    names: dict[str, str],
    result: IngestResult,
    flush_rows: int,
) -> None:
    batch = store.new_batch()
    task = partial(
        parse_task,
        root=str(store.root.resolve()),
        batch_id=batch.id,
        names=names,
        flush_rows=flush_rows,
    )
    conf = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(conf)
    spark.conf.set(conf, str(FILES_PER_ARROW_BATCH))
    try:
        files = _listing(spark, list(todo)).select("path", "content")
        stats = files.mapInArrow(task, "path string, lines long, rejected long, error string")
        rows = stats.collect()
    except BaseException:
        batch.discard()
        raise
    finally:
        if before is None:
            spark.conf.unset(conf)
        else:
            spark.conf.set(conf, before)
    by_path = {_normal(path): entry for path, entry in todo.items()}
    entries = []
    for row in rows:
        entry = by_path.get(_normal(row["path"]))
        if entry is None:
            continue  # listed by Spark under a directory, but not admitted
        if row["error"]:
            batch.discard()
            raise SourceError(f"{entry.source} is {row['error']}", hint="check or re-download it")
        entry = replace(
            entry,
            lines=row["lines"],
            parsed=row["lines"] - row["rejected"],
            rejected=row["rejected"],
        )
        entries.append(entry)
        result.files += 1
        result.lines += entry.lines
        result.parsed += entry.parsed
        result.rejected += entry.rejected
    batch.commit(entries)


def _normal(path: str) -> str:
    local = local_path(path)
    return os.path.abspath(local) if local is not None else path
