"""Ingest on Spark: the same parse, written in the same store layout, by Spark tasks.

Local files are cut into line-aligned byte ranges that the tasks read themselves; URIs
(`s3a://`, `hdfs://`) are listed and read by Spark (`binaryFile`, so bytes reach the parser
unchanged). Each task parses its ranges and files with the same code as the local engine
(`parse.block.parse_source`) and writes its rows with the same
`BatchWriter` into the store's staging directory; the driver then commits the batch through
the same manifest. So re-runs skip what is in, a failed job leaves nothing visible, and the
store reads the same from either engine.

The store must be a directory the driver and every executor can write: a local path in local
mode, a shared mount (`/dbfs/...`, EFS) on a cluster.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from s3sleuth.errors import SourceError, UsageError
from s3sleuth.events.detect import HEAD_BYTES, detect
from s3sleuth.parse.block import parse_source
from s3sleuth.pipeline import core
from s3sleuth.pipeline.cloudwatch import ingest_log_groups
from s3sleuth.pipeline.local import BLOCK_BYTES
from s3sleuth.pipeline.producer import admit, local_identity
from s3sleuth.pipeline.records import RecordWriter
from s3sleuth.pipeline.result import IngestResult, Progress
from s3sleuth.sources import LocalSource
from s3sleuth.sources.cloudwatch import is_log_group
from s3sleuth.sources.local import read_chunks
from s3sleuth.sources.s3 import S3Options
from s3sleuth.spark.schema import spark_schema
from s3sleuth.store.manifest import WHOLE, SourceEntry
from s3sleuth.store.store import StagedBatch, StoreDir
from s3sleuth.store.writer import BatchWriter

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_GZIP_MAGIC = b"\x1f\x8b"
# What each task reports per piece of a source; the driver sums them into manifest entries.
STATS = pa.schema(
    [
        ("name", pa.string()),
        ("lines", pa.int64()),
        ("rejected", pa.int64()),
        ("error", pa.string()),
    ]
)
# One work item: a byte range of a local file (read by the task), or a listed file's content.
WORK = pa.schema(
    [
        ("name", pa.string()),
        ("path", pa.string()),
        ("offset", pa.int64()),
        ("length", pa.int64()),
        ("first_line", pa.int64()),
        ("content", pa.binary()),
        ("kind", pa.string()),  # access, or sal-json (a delivery's records); NULL: by content
    ]
)
FILES_PER_ARROW_BATCH = 16  # whole files travel to the Python worker: keep few in flight
RANGE_BYTES = 64 << 20  # a large local file is cut into line-aligned ranges of about this


def _is_uri(spec: str) -> bool:
    return "://" in spec


def _is_spark_uri(spec: str) -> bool:
    """A URI Spark reads itself (a log group is read on the driver, as the local engine does)."""
    return _is_uri(spec) and not is_log_group(spec)


def line_ranges(source: LocalSource, size: int = RANGE_BYTES) -> Iterator[tuple[int, int, int]]:
    """(offset, length, lines before it) of line-aligned ranges of a plain file; a compressed
    file is one range (it cannot be read from the middle)."""
    if source.compressed or source.size <= size:
        yield 0, source.size, 0
        return
    with open(source.path, "rb") as f:
        offset = lines = 0
        for chunk in read_chunks(f, size):
            yield offset, len(chunk), lines
            offset += len(chunk)
            lines += chunk.count(b"\n")


def _raw(row: dict[str, Any]) -> bytes:
    if row["content"] is not None:
        data: bytes = row["content"]
        return data
    with open(row["path"], "rb") as f:
        f.seek(row["offset"])
        return f.read(row["length"])


def _parse_piece(row: dict[str, Any], writer: BatchWriter) -> dict[str, Any]:
    name = row["name"]
    lines = rejected = 0
    try:
        text = _raw(row)
    except OSError as err:
        return {"name": name, "lines": 0, "rejected": 0, "error": f"not readable ({err})"}
    if row["offset"] == 0 and text[:2] == _GZIP_MAGIC:
        try:
            text = gzip.decompress(text)
        except (EOFError, OSError, zlib.error) as err:  # as LocalSource.unreadable words it
            error = f"not a readable gzip file ({err})"
            return {"name": name, "lines": 0, "rejected": 0, "error": error}
    kind = row["kind"] or (detect(text[:HEAD_BYTES]) if row["offset"] == 0 else "access")
    if kind == "sal-json":  # a CloudWatch Logs delivery (JSON or Parquet): read whole
        counts = RecordWriter(writer=writer).add_from(lambda: io.BytesIO(text), name)
        return {"name": name, "lines": counts.lines, "rejected": counts.rejected, "error": None}
    chunks = read_chunks(io.BytesIO(text), BLOCK_BYTES)
    for piece in parse_source(chunks, name, first_line=row["first_line"]):
        if piece.rows.num_rows:
            writer.add_grouped(piece.rows, piece.runs)
        for number, reason, raw, count in piece.rejects:
            writer.add_reject(name, number, reason, raw)
            rejected += count
        lines += piece.lines
    return {"name": name, "lines": lines, "rejected": rejected, "error": None}


def parse_task(
    batches: Iterator[pa.RecordBatch], *, root: str, batch_id: str, flush_rows: int
) -> Iterator[pa.RecordBatch]:
    """One Spark task: parse its work items, write their rows into the batch's staging
    directory, and report per item. A retried task rewrites the same file names."""
    from pyspark import TaskContext

    context = TaskContext.get()
    task = context.partitionId() if context is not None else 0
    staged = StagedBatch(StoreDir(Path(root)), batch_id)
    writer = core.writer(staged, flush_rows=flush_rows, task=task)
    stats = []
    try:
        for batch in batches:
            for row in batch.to_pylist():
                stats.append(_parse_piece(row, writer))
        writer.flush(wait=True)
    finally:
        writer.close()
    yield pa.RecordBatch.from_pylist(stats, schema=STATS)


def _listing(spark: SparkSession, paths: list[str]) -> DataFrame:
    with _listing_errors():
        return (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .option("ignoreMissingFiles", "false")
            .load(paths)
        )


def _uri_identity(row: Any) -> str:
    # Remote files are not read by the driver: path, size and modification time name them.
    return f"{row['path']}|{row['length']}|{row['modificationTime'].isoformat()}"


def _admit(
    store: StoreDir,
    local: list[tuple[LocalSource, str]],
    listed: DataFrame | None,
    todo: dict[str, SourceEntry],
    result: IngestResult,
) -> tuple[list[tuple[LocalSource, str]], list[str]]:
    """The local sources (with their kinds) and listed paths not yet in the store; their
    entries go in `todo`."""
    seen: set[str] = set()
    admitted_local: list[tuple[LocalSource, str]] = []
    for source, kind in local:
        try:
            identity = local_identity(store, source, kind)
        except SourceError as err:  # a damaged .gz: named, the others go on (exit 1)
            result.failed.append({"source": source.name, "error": str(err)})
            continue
        admission = admit(store, identity, WHOLE, seen)
        if admission is None:
            result.skipped += 1
            continue
        admitted_local.append((source, kind))
        todo[source.name] = SourceEntry(
            admission.identity, source.name, source.size, source.mtime_ns, 0, 0, 0
        )
    admitted: list[str] = []
    for row in _listed(listed):
        admission = admit(store, _uri_identity(row), WHOLE, seen)
        if admission is None:
            result.skipped += 1
            continue
        admitted.append(row["path"])
        todo[row["path"]] = SourceEntry(
            admission.identity, row["path"], row["length"], None, 0, 0, 0
        )
    return admitted_local, admitted


def _listed(listed: DataFrame | None) -> list[Any]:
    if listed is None:
        return []
    with _listing_errors():
        return listed.select("path", "length", "modificationTime").collect()


@contextmanager
def _listing_errors() -> Iterator[None]:
    from pyspark.errors import PySparkException

    try:
        yield
    except PySparkException as err:
        first = str(err).strip().splitlines()[0]
        hint = "check the URIs (s3a:// needs hadoop-aws)"
        raise SourceError(f"Spark cannot list the sources: {first}", hint=hint) from None


def ingest(
    spark: SparkSession,
    specs: Sequence[str],
    store: str | Path | None = None,
    *,
    kind: str = "auto",
    progress: Progress | None = None,
    flush_rows: int = 250_000,
    s3: S3Options | None = None,
) -> IngestResult:
    """Ingest SOURCE arguments with Spark into the store: local files, directories and globs
    (told apart by content as in the local engine), and URIs Spark can read (`s3a://...`,
    `hdfs://...`), read as access logs."""
    if "-" in specs:
        raise UsageError("the spark engine cannot read stdin", hint="save it to a file first")
    with core.session(specs, store, kind=kind, progress=progress, is_remote=_is_uri) as current:
        todo: dict[str, SourceEntry] = {}  # source name -> its entry, counts to fill in
        uris = [s for s in specs if _is_spark_uri(s)]
        listed = _listing(spark, uris) if uris else None
        # Deliveries' records are the tasks' work too: taken from what the session reads.
        tasks = [(s, k) for s, k in current.kinds if k in ("access", "sal-json")]
        current.kinds = [(s, k) for s, k in current.kinds if k not in ("access", "sal-json")]
        local, admitted = _admit(current.store, tasks, listed, todo, current.result)
        if todo:
            work = _work(spark, local, listed, admitted)
            _run(spark, current.store, work, todo, current.result, flush_rows)
        ingest_log_groups(current, specs, s3 or S3Options(), (None, None))
    return current.result


def _work(
    spark: SparkSession,
    local: list[tuple[LocalSource, str]],
    listed: DataFrame | None,
    admitted: list[str],
) -> DataFrame:
    """One row per work item: ranges of local files (tasks read them, so the path must be
    visible to executors; a delivery is one range: its records are not lines), and the
    admitted listed files with their content."""
    from pyspark.sql import functions as F

    rows = [
        (s.name, str(s.path.resolve()), offset, length, first, None, kind)
        for s, kind in local
        for offset, length, first in (
            line_ranges(s, RANGE_BYTES) if kind == "access" else [(0, s.size, 0)]
        )
    ]
    parallelism = spark.sparkContext.defaultParallelism
    work = spark.createDataFrame(rows, spark_schema(WORK))
    work = work.repartition(max(1, min(len(rows), 4 * parallelism)))
    if listed is not None and admitted:
        files = listed.where(F.col("path").isin(admitted)).select(
            F.col("path").alias("name"),
            F.col("path"),
            F.lit(0).cast("long").alias("offset"),
            F.col("length"),
            F.lit(0).cast("long").alias("first_line"),
            F.col("content"),
            F.lit(None).cast("string").alias("kind"),
        )
        work = work.unionByName(files)
    return work


def _run(
    spark: SparkSession,
    store: StoreDir,
    work: DataFrame,
    todo: dict[str, SourceEntry],
    result: IngestResult,
    flush_rows: int,
) -> None:
    batch = store.new_batch()
    task = partial(
        parse_task, root=str(store.root.resolve()), batch_id=batch.id, flush_rows=flush_rows
    )
    conf = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(conf)
    spark.conf.set(conf, str(FILES_PER_ARROW_BATCH))
    try:
        stats = work.mapInArrow(task, spark_schema(STATS)).collect()
    except BaseException:
        batch.discard()
        raise
    finally:
        if before is None:
            spark.conf.unset(conf)
        else:
            spark.conf.set(conf, before)
    lines: dict[str, int] = {}
    rejected: dict[str, int] = {}
    for row in stats:
        if row["error"]:
            batch.discard()
            raise SourceError(f"{row['name']} is {row['error']}", hint="check or re-download it")
        lines[row["name"]] = lines.get(row["name"], 0) + row["lines"]
        rejected[row["name"]] = rejected.get(row["name"], 0) + row["rejected"]
    entries = []
    for name, entry in todo.items():
        n, bad = lines.get(name, 0), rejected.get(name, 0)
        entries.append(replace(entry, lines=n, parsed=n - bad, rejected=bad))
        result.files += 1
        result.lines += n
        result.parsed += n - bad
        result.rejected += bad
    batch.commit(entries)
