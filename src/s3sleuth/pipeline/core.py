"""What every ingest shares, on this machine or on Spark.

An ingest opens the store (creating it), takes the writer's lock, recovers what a crash left,
brings stored enrichment up to date, plans the local sources and tells their kinds; the engine
then stores the access logs (with `writer`, so rows carry the enrichment), and the session
stores the Transfer Family and CloudTrail files, then rebuilds the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from s3sleuth.errors import S3SleuthError, SourceError, UsageError
from s3sleuth.pipeline.events import EventIngest, check_kind, kind_of
from s3sleuth.pipeline.producer import admit, local_identity
from s3sleuth.pipeline.result import IngestResult, Progress
from s3sleuth.sources import LocalSource, resolve_all
from s3sleuth.sources.cloudwatch import is_log_group
from s3sleuth.store.manifest import WHOLE, Interval
from s3sleuth.store.store import StagedBatch, StoreDir
from s3sleuth.store.writer import BatchWriter
from s3sleuth.views.compute import enrich_table
from s3sleuth.views.upgrade import upgrade


def writer(batch: StagedBatch, *, flush_rows: int, task: int | None = None) -> BatchWriter:
    """The access-log writer of every ingest: rows are enriched as they are written."""
    return BatchWriter(batch, flush_rows=flush_rows, task=task, transform=enrich_table)


def plan(specs: Sequence[str], store: StoreDir) -> list[LocalSource]:
    """The files an ingest of `specs` would read (stdin is spooled into the store first)."""
    return resolve_all(specs, store.staging_dir, exclude=store.root)


@dataclass
class Session:
    """One ingest in progress: the locked store, the planned local sources and their kinds."""

    store: StoreDir
    result: IngestResult
    kinds: list[tuple[LocalSource, str]] = field(default_factory=list)
    progress: Progress | None = None
    wanted: Interval = WHOLE  # the ingest's window (`--since`/`--until`)

    @property
    def access_logs(self) -> list[LocalSource]:
        return [source for source, kind in self.kinds if kind == "access"]

    @property
    def event_files(self) -> list[tuple[LocalSource, str]]:
        return [(source, kind) for source, kind in self.kinds if kind != "access"]


def ingest_event_files(session: Session) -> None:
    """Transfer Family and CloudTrail files, in one batch after the access logs."""
    store, result, progress = session.store, session.result, session.progress
    events = EventIngest(store)
    seen: set[str] = set()
    try:
        for source, kind in session.event_files:
            # Transfer Family and CloudTrail events are read whole (small, and their records
            # are not windowed); access-log records, in the ingest's window.
            wanted = session.wanted if kind == "sal-json" else WHOLE
            total = 0
            try:  # the hash reads a .gz through: a damaged one fails here, before any row
                admission = admit(store, local_identity(store, source, kind), wanted, seen)
            except SourceError as err:  # the rest of the run goes on without it
                events.damaged(source, str(err))
                result.failed.append({"source": source.name, "error": str(err)})
                admission = None
            else:
                result.skipped += admission is None
            if admission is not None:
                counts = events.add(source, admission, kind)
                total = counts.lines
                result.files += 1
                result.lines += total
                result.parsed += counts.rows
                result.rejected += counts.rejected
                result.outside_window += counts.outside
            if progress is not None:
                progress(source.size, lines=total, sources=1)
        events.commit()
    except BaseException:
        events.abandon()
        raise
    result.transfer_events += events.counts.get("transfer_events", 0)
    result.cloudtrail_events += events.counts.get("cloudtrail_events", 0)


@contextmanager
def session(
    specs: Sequence[str],
    store: str | Path | None,
    *,
    kind: str = "auto",
    progress: Progress | None = None,
    is_remote: Callable[[str], bool] = lambda spec: spec.startswith("s3://") or is_log_group(spec),
) -> Iterator[Session]:
    """The shared skeleton: yields once the local sources are planned; on a clean exit stores
    the event files and rebuilds the catalog. Specs `is_remote` says are left to the engine."""
    check_kind(kind)
    started = time.perf_counter()
    target = StoreDir.open(store, create=True)
    result = IngestResult(store=str(target.root))
    try:
        with target.lock():
            target.recover()
            upgrade(target)  # stored enrichment of an older version, before rows are added
            local = plan([s for s in specs if not is_remote(s)], target)
            current = Session(target, result, [(s, kind_of(s, kind)) for s in local], progress)
            try:
                yield current
                ingest_event_files(current)
            finally:
                for source in local:
                    if source.name == "<stdin>":
                        source.path.unlink(missing_ok=True)
            from s3sleuth.engines.duckdb import write_catalog

            write_catalog(target.root)
    except OSError as err:
        raise S3SleuthError(
            f"cannot read or write: {err}", hint="check paths and permissions"
        ) from err
    finally:
        target.close()
    result.seconds = time.perf_counter() - started


def check_remote_kind(specs: Sequence[str], kind: str) -> None:
    if any(spec.startswith("s3://") for spec in specs) and kind not in ("auto", "access"):
        raise UsageError(
            "s3:// sources are read as access logs",
            hint="leave out {kind}, or set it to access",
            params=("kind",),
        )
    if any(is_log_group(spec) for spec in specs) and kind not in ("auto", "sal-json"):
        raise UsageError(
            "cloudwatch:// sources are read as JSON access-log records",
            hint="leave out {kind}, or set it to sal-json",
            params=("kind",),
        )
