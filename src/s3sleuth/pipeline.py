"""Ingest: sources -> parse -> store, idempotent and crash-safe.

Sources are identified by their content hash, so ingesting the same object again (even from
another path) adds nothing. Lines are packed into blocks of about `block_bytes` (many small
files share a block), parsed in worker processes, and written in order. Work is committed in
batches of whole sources; a crash loses only the uncommitted batch, which the next run redoes.
"""

from __future__ import annotations

import io
import multiprocessing
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from s3sleuth.errors import S3SleuthError, SourceError, UsageError
from s3sleuth.events.detect import KINDS
from s3sleuth.events.ingest import EventIngest, kind_of
from s3sleuth.memory import reuse_freed_memory
from s3sleuth.parse.block import SEGMENT, Block, Parsed, parse, warm_up
from s3sleuth.parse.framing import Segment
from s3sleuth.sources import LocalSource, read_chunks, resolve_all
from s3sleuth.sources.s3 import (
    Prefetcher,
    Range,
    S3Location,
    S3Object,
    S3Options,
    S3Reader,
)
from s3sleuth.store.catalog import write_catalog_file
from s3sleuth.store.coverage import covers, keep
from s3sleuth.store.manifest import WHOLE, Interval, SourceEntry
from s3sleuth.store.store import StagedBatch, Store
from s3sleuth.store.writer import BatchWriter

BLOCK_BYTES = 8 << 20  # measured best on 2 cores (bench/): bigger costs cache, smaller overhead
COMMIT_BYTES = 1 << 30  # commit at the first source boundary after this much input
WORKERS = 2
PROCESS_POOL_BYTES = 64 << 20  # below this, parsing in-process is quicker than starting workers


class Progress(Protocol):
    """Told what was just processed: source bytes, lines, and sources finished."""

    def __call__(self, nbytes: int, *, lines: int = 0, sources: int = 0) -> None: ...


Source = LocalSource | S3Object


@dataclass
class IngestResult:
    store: str
    files: int = 0  # sources ingested by this run
    skipped: int = 0  # sources already in the store
    lines: int = 0
    parsed: int = 0
    rejected: int = 0
    seconds: float = 0.0
    outside_window: int = 0  # lines outside --since/--until, or stored by an earlier run
    failed: list[dict[str, str]] = field(default_factory=list)  # sources that could not be read
    transfer_events: int = 0  # of `parsed`, the Transfer Family events
    cloudtrail_events: int = 0  # of `parsed`, the CloudTrail records

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "lines_per_second": round(self.lines_per_second)}
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class _Commit:
    """A barrier: every source before it is complete; commit them."""

    sources: list[tuple[Source, Admission]] = field(default_factory=list)


def _executor(workers: int, input_bytes: int) -> Executor:
    """Processes for big inputs (true parallelism), a thread for small ones (no start-up cost)."""
    if workers > 1 and input_bytes >= PROCESS_POOL_BYTES:
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=reuse_freed_memory
        )
        for _ in range(workers):
            pool.submit(warm_up)  # workers import while the main process hashes and reads
        return pool
    return ThreadPoolExecutor(1, thread_name_prefix="s3sleuth-parse")


def _ordered(
    func: Callable[[Block], Parsed],
    items: Iterator[Block | _Commit],
    pool: Executor,
    lookahead: int,
) -> Iterator[Parsed | _Commit]:
    """`map(func, items)` on `pool`, in order, with bounded lookahead (bounded memory)."""
    pending: deque[Future[Parsed] | _Commit] = deque()
    for item in items:
        pending.append(item if isinstance(item, _Commit) else pool.submit(func, item))
        while len(pending) > lookahead:
            head = pending.popleft()
            yield head if isinstance(head, _Commit) else head.result()
    while pending:
        head = pending.popleft()
        yield head if isinstance(head, _Commit) else head.result()


def _segments(source: LocalSource, index: int, block_bytes: int) -> Iterator[Segment]:
    """A source in line-aligned pieces of about `block_bytes`: byte ranges of a plain file
    (a worker reads them), or bytes for a compressed one (which cannot be read by range)."""
    if source.compressed:
        try:
            with source.open() as stream:
                for chunk in read_chunks(stream, block_bytes):
                    yield Segment(index, data=chunk, length=len(chunk))
        except (EOFError, OSError, zlib.error) as err:  # truncated or corrupt gzip
            raise SourceError(
                f"{source.name} is not a readable gzip file ({err})",
                hint="check or re-download it",
                source=source.name,
            ) from None
        return
    with open(source.path, "rb") as f:
        start = 0
        while start < source.size:
            end = min(start + block_bytes, source.size)
            f.seek(end)
            while end < source.size:  # extend to the end of the line
                window = f.read(64 << 10)
                cut = window.find(b"\n")
                if cut >= 0:
                    end += cut + 1
                    break
                end += len(window)
            yield Segment(index, path=str(source.path), offset=start, length=end - start)
            start = end


def new_identity(store: Store, source: LocalSource, seen: set[str]) -> str | None:
    """The content hash, or None when the source is already in the store (or in this run)."""
    manifest = store.manifest
    if manifest.identity_at(source.name, source.size, source.mtime_ns):
        return None
    identity = source.content_hash()
    if identity in seen or manifest.has_identity(identity):
        return None
    seen.add(identity)
    return identity


@dataclass(frozen=True)
class Admission:
    """A source to read: its identity, the window to keep, and the windows already stored."""

    identity: str
    wanted: Interval = WHOLE
    stored: tuple[Interval, ...] = ()

    @property
    def filters(self) -> bool:
        return self.wanted != WHOLE or bool(self.stored)


def admit(store: Store, identity: str, wanted: Interval, seen: set[str]) -> Admission | None:
    """None when the store (or this run) already holds the source's records in `wanted`."""
    if identity in seen:
        return None
    stored = store.manifest.windows(identity)
    if stored is not None and covers(stored, wanted):
        return None
    seen.add(identity)
    return Admission(identity, wanted, tuple(stored or ()))


def _s3_segments(data: bytes, index: int, block_bytes: int) -> Iterator[Segment]:
    for chunk in read_chunks(io.BytesIO(data), block_bytes):
        yield Segment(index, data=chunk, length=len(chunk))


class _Producer:
    """Reads sources in order and packs their lines into blocks, with commit barriers.

    Local files are hashed as they come; log objects arrive already admitted and fetched, in
    order, from `fetched`.
    """

    def __init__(
        self,
        store: Store,
        sources: list[Source],
        result: IngestResult,
        progress: Progress | None,
        block_bytes: int,
        commit_bytes: int,
        wanted: Interval = WHOLE,
        fetched: Iterator[tuple[S3Object, bytes | SourceError]] | None = None,
        admitted: dict[str, Admission] | None = None,
    ) -> None:
        self.store, self.sources, self.result = store, sources, result
        self.progress, self.block_bytes, self.commit_bytes = progress, block_bytes, commit_bytes
        self.wanted, self.fetched = wanted, fetched
        self.admitted: dict[str, Admission] = admitted or {}
        self.seen: set[str] = set()

    def _admit(self, source: LocalSource) -> Admission | None:
        manifest = self.store.manifest
        identity = manifest.identity_at(source.name, source.size, source.mtime_ns)
        if identity is None:
            identity = source.content_hash()
        admission = admit(self.store, identity, self.wanted, self.seen)
        if admission is not None:
            self.admitted[source.name] = admission
        return admission

    def _pieces(self, source: Source, index: int) -> Iterator[Segment] | None:
        """The source's segments, or None when a log object could not be fetched."""
        if isinstance(source, LocalSource):
            return _segments(source, index, self.block_bytes)
        assert self.fetched is not None
        obj, data = next(self.fetched)
        assert obj == source, "fetches come back in listing order"
        if isinstance(data, SourceError):
            self.result.failed.append({"source": source.name, "error": str(data)})
            return None
        return _s3_segments(data, index, self.block_bytes)

    def __iter__(self) -> Iterator[Block | _Commit]:
        segments: list[Segment] = []
        names: list[str] = []
        size = since_commit = 0
        done = _Commit()

        def block() -> Block:
            nonlocal segments, names, size
            out = Block(segments, tuple(names), size)
            segments, names, size = [], [], 0
            return out

        for source in self.sources:
            admission = (
                self._admit(source)
                if isinstance(source, LocalSource)
                else self.admitted.get(source.name)
            )
            pieces = None if admission is None else self._pieces(source, len(names))
            if admission is None or pieces is None:
                self.result.skipped += admission is None
                if self.progress is not None:
                    self.progress(source.size, sources=1)
                continue
            names.append(source.name)
            for segment in pieces:
                segments.append(segment)
                size += segment.length
                if size >= self.block_bytes:
                    yield block()
                    names = [source.name]
            done.sources.append((source, admission))
            since_commit += source.size
            if since_commit >= self.commit_bytes:
                if segments:
                    yield block()
                yield done
                done, since_commit = _Commit(), 0
        if segments:
            yield block()
        yield done


class _Consumer:
    """Writes parsed blocks in order and commits at the barriers."""

    def __init__(
        self,
        store: Store,
        result: IngestResult,
        progress: Progress | None,
        flush_rows: int,
        admitted: dict[str, Admission],
    ) -> None:
        self.store, self.result, self.progress = store, result, progress
        self.flush_rows, self.admitted = flush_rows, admitted
        self.outside: dict[str, int] = {}
        self.batch: StagedBatch | None = None
        self.writer: BatchWriter | None = None
        self.lines: dict[str, int] = {}
        self.rejected: dict[str, int] = {}

    def _writer(self) -> BatchWriter:
        if self.writer is None:
            self.batch = self.store.new_batch()
            self.writer = BatchWriter(self.batch, flush_rows=self.flush_rows)
        return self.writer

    def write(self, parsed: Parsed) -> None:
        """Number the block's lines within their sources, then queue its rows and rejects."""
        offsets = []
        for count, name in zip(parsed.segment_lines, parsed.segment_sources, strict=True):
            offsets.append(self.lines.get(name, 0))
            self.lines[name] = self.lines.get(name, 0) + count
        shift = np.array(offsets, np.int64)
        rows = parsed.rows
        segment = rows.column(SEGMENT).to_numpy()
        numbers = rows.column("source_line").to_numpy() + shift[segment]
        index = rows.column_names.index("source_line")
        rows = rows.set_column(index, "source_line", pa.array(numbers, pa.int64()))
        writer = self._writer()
        admissions = [self.admitted[name] for name in parsed.segment_sources]
        if any(a.filters for a in admissions):
            rows = self._in_window(rows, segment, admissions, parsed.segment_sources)
            writer.add_table(rows.drop_columns([SEGMENT]))
        else:
            writer.add_grouped(rows.drop_columns([SEGMENT]), parsed.runs)
        for segment_index, name, number, reason, raw in parsed.rejects:
            self.rejected[name] = self.rejected.get(name, 0) + 1
            if admissions[segment_index].stored:  # the first ingest of the source kept them
                self.outside[name] = self.outside.get(name, 0) + 1
                continue
            writer.add_reject(name, number + offsets[segment_index], reason, raw)
        if self.progress is not None:
            self.progress(parsed.input_bytes, lines=sum(parsed.segment_lines))

    def _in_window(
        self, rows: pa.Table, segment: np.ndarray, admissions: list[Admission], names: list[str]
    ) -> pa.Table:
        """Rows in each source's window that no earlier ingest stored; counts the rest."""
        times = rows.column("time").to_numpy()
        mask = np.ones(rows.num_rows, dtype=bool)
        for index, admission in enumerate(admissions):
            if not admission.filters:
                continue
            here = segment == index
            drop = here & ~keep(times, admission.wanted, list(admission.stored))
            mask &= ~drop
            self.outside[names[index]] = self.outside.get(names[index], 0) + int(drop.sum())
        return rows.filter(pa.array(mask))

    def commit(self, barrier: _Commit) -> None:
        if not barrier.sources:
            return
        writer = self._writer()
        entries = []
        for source, admission in barrier.sources:
            lines = self.lines.pop(source.name, 0)
            rejected = self.rejected.pop(source.name, 0)
            outside = self.outside.pop(source.name, 0)
            entries.append(
                SourceEntry(
                    admission.identity,
                    source.name,
                    source.size,
                    source.mtime_ns,
                    lines,
                    lines - rejected,
                    rejected,
                    admission.wanted,
                )
            )
            self.result.files += 1
            self.result.lines += lines
            # lines = parsed + rejected + outside_window, always
            rejected_now = rejected if not admission.stored else 0
            self.result.rejected += rejected_now
            self.result.outside_window += outside
            self.result.parsed += lines - rejected_now - outside
        writer.flush(wait=True)
        writer.close()
        if self.progress is not None:
            self.progress(0, sources=len(barrier.sources))
        assert self.batch is not None
        self.batch.commit(entries)
        self.batch, self.writer = None, None

    def abandon(self) -> None:
        if self.writer is not None and self.batch is not None:
            self.writer.close()
            self.batch.discard()


def plan(specs: Sequence[str], store: Store) -> list[LocalSource]:
    """The files an ingest of `specs` would read (stdin is spooled into the store first)."""
    return resolve_all(specs, store.staging_dir)


def _ingest_events(
    store: Store,
    sources: list[tuple[LocalSource, str]],
    result: IngestResult,
    progress: Progress | None,
) -> None:
    """Transfer Family and CloudTrail files, in one batch after the access logs."""
    events = EventIngest(store)
    seen: set[str] = set()
    try:
        for source, kind in sources:
            identity = new_identity(store, source, seen)
            total = 0
            if identity is None:
                result.skipped += 1
            else:
                total, rejected = events.add(source, identity, kind)
                result.files += 1
                result.lines += total
                result.parsed += total - rejected
                result.rejected += rejected
            if progress is not None:
                progress(source.size, lines=total, sources=1)
        events.commit()
    except BaseException:
        events.abandon()
        raise
    result.transfer_events += events.counts.get("transfer_events", 0)
    result.cloudtrail_events += events.counts.get("cloudtrail_events", 0)


def _plan_s3(
    specs: Sequence[str], options: S3Options, wanted: Interval, store: Store
) -> tuple[list[S3Object], dict[str, Admission], Prefetcher | None]:
    """List the log objects in range, admit the ones not yet stored, start fetching them."""
    uris = [spec for spec in specs if spec.startswith("s3://")]
    if not uris:
        return [], {}, None
    reader = S3Reader(
        profile=options.profile,
        region=options.region,
        endpoint_url=options.endpoint_url,
        pool=options.pool,
    )
    window = Range.around(wanted[0], wanted[1], options.slack)
    objects: list[S3Object] = []
    for uri in uris:
        objects.extend(reader.list(S3Location.parse(uri), window))
    admitted: dict[str, Admission] = {}
    seen: set[str] = set()
    for obj in objects:
        admission = admit(store, obj.identity, wanted, seen)
        if admission is not None:
            admitted[obj.name] = admission
    todo = [obj for obj in objects if obj.name in admitted]
    return objects, admitted, Prefetcher(reader, todo, options.pool)


def ingest(
    specs: Sequence[str],
    store: str | Path | None = None,
    *,
    kind: str = "auto",
    since: datetime | None = None,
    until: datetime | None = None,
    s3: S3Options | None = None,
    progress: Progress | None = None,
    on_plan: Callable[[Sequence[Source]], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
    commit_bytes: int = COMMIT_BYTES,
    flush_rows: int = 250_000,
    workers: int = WORKERS,
) -> IngestResult:
    """Ingest SOURCE arguments (files, directories, globs, `.gz`, `-`, `s3://BUCKET/PREFIX`)
    into the store.

    `kind` is `auto` (tell each file's kind by its content), or `access`, `transfer` or
    `cloudtrail` to read every file as that kind of log. `since`/`until` keep only the
    access-log records in that window (and prune the log objects listed); the manifest
    remembers the window, so a later ingest with another window adds just what is new.
    Objects that cannot be fetched are listed in `result.failed`; everything else is ingested.
    """
    if kind not in ("auto", *KINDS):
        raise UsageError(
            f"unknown log type {kind!r}", hint=f"use auto or one of {', '.join(KINDS)}"
        )
    if any(spec.startswith("s3://") for spec in specs) and kind not in ("auto", "access"):
        raise UsageError(
            "s3:// sources are read as access logs", hint="leave out --type, or use --type access"
        )
    started = time.perf_counter()
    reuse_freed_memory()
    wanted: Interval = (since, until)
    target = Store.open(store, create=True)
    result = IngestResult(store=str(target.root))
    try:
        with target.lock():
            target.recover()
            planned = plan([spec for spec in specs if not spec.startswith("s3://")], target)
            objects, admitted, fetcher = _plan_s3(specs, s3 or S3Options(), wanted, target)
            if on_plan is not None:
                on_plan([*planned, *objects])
            kinds = [(source, kind_of(source, kind)) for source in planned]
            sources: list[Source] = [source for source, k in kinds if k == "access"]
            sources += objects
            producer = _Producer(
                target,
                sources,
                result,
                progress,
                block_bytes,
                commit_bytes,
                wanted,
                iter(fetcher) if fetcher is not None else None,
                admitted,
            )
            consumer = _Consumer(target, result, progress, flush_rows, producer.admitted)
            try:
                with _executor(workers, sum(s.size for s in sources)) as pool:
                    for item in _ordered(parse, iter(producer), pool, lookahead=2 * workers):
                        if isinstance(item, _Commit):
                            consumer.commit(item)
                        else:
                            consumer.write(item)
                _ingest_events(
                    target, [(s, k) for s, k in kinds if k != "access"], result, progress
                )
            except BaseException:
                consumer.abandon()
                raise
            finally:
                for source in planned:
                    if source.name == "<stdin>":
                        source.path.unlink(missing_ok=True)
            write_catalog_file(target)
    except OSError as err:
        raise S3SleuthError(
            f"cannot read or write: {err}", hint="check paths and permissions"
        ) from err
    finally:
        target.close()
    result.seconds = time.perf_counter() - started
    return result
