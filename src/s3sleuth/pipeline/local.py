"""Ingest on this machine: sources -> parsing threads -> store, idempotent and crash-safe.

Sources are identified by their content hash, so ingesting the same object again (even from
another path) adds nothing. Lines are packed into blocks of about `block_bytes` (many small
files share a block), parsed on worker threads, and written in order. Work is committed in
batches of whole sources; a crash loses only the uncommitted batch, which the next run redoes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime
from functools import partial
from pathlib import Path
from threading import Thread

from s3sleuth.engines.duckdb import prepare
from s3sleuth.errors import SourceError
from s3sleuth.memory import reuse_freed_memory
from s3sleuth.parse.block import Block, Parsed, parse
from s3sleuth.pipeline import core
from s3sleuth.pipeline.cloudwatch import ingest_log_groups
from s3sleuth.pipeline.consumer import Consumer
from s3sleuth.pipeline.core import check_remote_kind, plan
from s3sleuth.pipeline.producer import Admission, Commit, LateDuplicate, Producer, admit
from s3sleuth.pipeline.result import IngestResult, Progress, Source
from s3sleuth.sources.s3 import (
    Prefetcher,
    Range,
    S3Location,
    S3Object,
    S3Options,
    S3Reader,
)
from s3sleuth.store.manifest import Interval
from s3sleuth.store.store import StoreDir

__all__ = ["IngestResult", "Progress", "Source", "ingest", "plan"]

BLOCK_BYTES = 8 << 20  # measured best on 2 cores (bench/): bigger costs cache, smaller overhead
COMMIT_BYTES = 1 << 30  # commit at the first source boundary after this much input
WORKERS = 2  # parsing threads: one per core of the machine measured


def _executor(workers: int) -> Executor:
    """Parsing threads. The heavy steps (the compiled tokenizer, numpy, PyArrow, Parquet
    writing, hashing) release the GIL, so threads run in parallel without worker processes'
    start-up and without sending every parsed block back through a pipe (measured with
    bench/: processes cost about a third more CPU for the same ingest)."""
    return ThreadPoolExecutor(max(1, workers), thread_name_prefix="s3sleuth-parse")


def _ordered(
    func: Callable[[Block], Parsed],
    items: Iterator[Block | Commit],
    pool: Executor,
    lookahead: int,
    drained: Callable[[], object] = lambda: None,
) -> Iterator[Parsed | Commit]:
    """`map(func, items)` on `pool`, in order, with bounded lookahead (bounded memory).
    `drained` is called once every item has been taken from `items`."""
    pending: deque[Future[Parsed] | Commit] = deque()
    for item in items:
        pending.append(item if isinstance(item, Commit) else pool.submit(func, item))
        while len(pending) > lookahead:
            head = pending.popleft()
            yield head if isinstance(head, Commit) else head.result()
    drained()
    while pending:
        head = pending.popleft()
        yield head if isinstance(head, Commit) else head.result()


class _Ahead:
    """Work done ahead on a thread, started once there is room for it; `wait` before using
    its result. A failure is left for the synchronous call to raise, with its one-line error."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._thread = Thread(target=self._quietly, args=(work,), name="s3sleuth-ahead")

    @staticmethod
    def _quietly(work: Callable[[], object]) -> None:
        with suppress(Exception):  # raised again, in one line, when the result is used
            work()

    def start(self) -> None:
        if self._thread.ident is None:
            self._thread.start()

    def wait(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()


def _plan_s3(
    specs: Sequence[str],
    options: S3Options,
    wanted: Interval,
    store: StoreDir,
    failed: list[dict[str, str]],
) -> tuple[list[S3Object], dict[str, Admission], Prefetcher | None]:
    """List the log objects in range, admit the ones not yet stored, start fetching them. A
    prefix that cannot be listed after its retries (the endpoint is down) goes in `failed`."""
    uris = [spec for spec in specs if spec.startswith("s3://")]
    if not uris:
        return [], {}, None
    reader = S3Reader(
        profile=options.profile,
        region=options.region,
        endpoint_url=options.endpoint_url,
        pool=options.pool,
        request_deadline=options.request_deadline,
        run_deadline=options.run_deadline,
    )
    window = Range.around(wanted[0], wanted[1], options.slack)
    objects: list[S3Object] = []
    for uri in uris:
        try:
            objects.extend(reader.list(S3Location.parse(uri), window))
        except SourceError as err:
            if not err.transient:  # denied, no such bucket, credentials: say so and stop
                raise
            failed.append({"source": uri, "error": f"cannot list {uri}: {err}"})
    admitted: dict[str, Admission] = {}
    seen: set[str] = set()
    for obj in objects:
        admission = admit(store, obj.identity, wanted, seen)
        if admission is not None:
            admitted[obj.name] = admission
    todo = [obj for obj in objects if obj.name in admitted]
    return objects, admitted, Prefetcher(reader, todo, options.pool)


def _access_logs(
    store: StoreDir,
    result: IngestResult,
    progress: Progress | None,
    wanted: Interval,
    sources: list[Source],
    fetcher: Prefetcher | None,
    admitted: dict[str, Admission],
    committed: set[str],
    *,
    hash_first: bool,
    block_bytes: int,
    commit_bytes: int,
    flush_rows: int,
    workers: int,
    catalog: _Ahead,
) -> None:
    """Parse and store the access logs: producer -> parsing threads -> consumer, in order.
    `catalog` starts once the input is read, when the cores have room."""
    hasher = None if hash_first else ThreadPoolExecutor(1, thread_name_prefix="s3sleuth-hash")
    fetched = iter(fetcher) if fetcher is not None else None
    producer = Producer(
        store,
        sources,
        result,
        progress,
        block_bytes,
        commit_bytes,
        wanted,
        fetched,
        admitted,
        hasher,
        committed,
    )
    consumer = Consumer(store, result, progress, flush_rows, producer, committed)
    try:
        with _executor(workers) as pool:
            items = _ordered(parse, iter(producer), pool, 2 * workers, drained=catalog.start)
            for item in items:
                if isinstance(item, Commit):
                    consumer.commit(item)
                else:
                    consumer.write(item)
    except BaseException:
        consumer.abandon()
        raise
    finally:
        if hasher is not None:
            hasher.shutdown(cancel_futures=True)
        if fetched is not None:
            fetched.close()  # stop fetching now, not when the generator is collected


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
    flush_rows: int = 150_000,  # with 2 workers' blocks in flight, peak memory stays < 1 GiB
    workers: int = WORKERS,
) -> IngestResult:
    """Ingest SOURCE arguments (files, directories, globs, `.gz`, `-`, `s3://BUCKET/PREFIX`,
    `cloudwatch://LOG_GROUP`) into the store.

    `kind` is `auto` (tell each file's kind by its content), or `access`, `transfer`,
    `cloudtrail` or `sal-json` (a CloudWatch Logs delivery of access logs, JSON or Parquet)
    to read every file as that kind of log. `since`/`until` keep only the
    access-log records in that window (and prune the log objects listed); the manifest
    remembers the window, so a later ingest with another window adds just what is new.
    Objects that cannot be fetched are listed in `result.failed`; everything else is ingested.
    """
    check_remote_kind(specs, kind)
    reuse_freed_memory()
    wanted: Interval = (since, until)
    with core.session(specs, store, kind=kind, progress=progress) as current:
        current.wanted = wanted
        target, result = current.store, current.result
        objects, admitted, fetcher = _plan_s3(
            specs, s3 or S3Options(), wanted, target, result.failed
        )
        if on_plan is not None:
            on_plan([*(s for s, _ in current.kinds), *objects])
        catalog = _Ahead(prepare)
        local: list[Source] = list(current.access_logs)
        run = partial(
            _access_logs,
            target,
            result,
            progress,
            wanted,
            block_bytes=block_bytes,
            commit_bytes=commit_bytes,
            flush_rows=flush_rows,
            workers=workers,
            catalog=catalog,
        )
        committed: set[str] = set()
        skipped = result.skipped
        try:
            run([*local, *objects], fetcher, admitted, committed, hash_first=False)
        except LateDuplicate:
            # Redo what was not committed, hashing first; what was is now skipped. The redo
            # counts the skipped sources again, so the first attempt's count is dropped.
            result.skipped = skipped
            relisted: list[dict[str, str]] = []  # the first listing's failures are counted
            objects, admitted, fetcher = _plan_s3(specs, s3 or S3Options(), wanted, target,
                                                  relisted)  # fmt: skip
            run([*local, *objects], fetcher, admitted, committed, hash_first=True)
        ingest_log_groups(current, specs, s3 or S3Options(), wanted)
        catalog.wait()
    return current.result
