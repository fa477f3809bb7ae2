"""The store directory, its lock, and the staged-batch commit protocol.

Layout::

    STORE/
      access_log/date=YYYY-MM-DD/bucket=NAME/part-BATCH-N-I.parquet
      rejects/part-BATCH-N.parquet
      transfer_events/date=YYYY-MM-DD/part-BATCH-N.parquet    Transfer Family log events
      cloudtrail_events/date=YYYY-MM-DD/part-BATCH-N.parquet  CloudTrail records
      manifest.sqlite            which sources and batches are in
      catalog.duckdb             views over the Parquet, for any DuckDB client
      staging/BATCH/...          a batch being written; never visible to queries

An ingest writes a batch into `staging/BATCH`, then commits it: one manifest transaction (the
commit point), then renames into place. A crash before the commit point leaves only staging,
which recovery deletes; a crash after it leaves renames to finish, which recovery completes.
Either way no row is partial or duplicated, and the next ingest redoes only uncommitted work.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from s3sleuth.errors import StoreError
from s3sleuth.store import replace
from s3sleuth.store.manifest import TABLE_DIRS, FileEntry, Manifest, SourceEntry, file_entry

ENV_VAR = "S3SLEUTH_STORE"
DEFAULT_STORE = ".s3sleuth"


def default_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_VAR) or DEFAULT_STORE)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StagedBatch:
    """Files of one uncommitted batch, under `staging/BATCH`."""

    def __init__(self, store: StoreDir, batch_id: str) -> None:
        self.store = store
        self.id = batch_id
        self.dir = store.staging_dir / batch_id
        self.dir.mkdir(parents=True, exist_ok=True)

    def table_dir(self, table: str, flush: int, task: int | None = None) -> Path:
        """A fresh directory for one flush of one table (of one task, when several processes
        write the batch, as Spark's do)."""
        if task is None:
            return self.dir / f"{table}-{flush:05d}"
        return self.dir / f"{table}-t{task:05d}.{flush:05d}"

    def files(self) -> list[Path]:
        return sorted(p for p in self.dir.rglob("*.parquet") if p.is_file())

    def commit(
        self,
        entries: Iterable[SourceEntry],
        events: Iterable[tuple[str, str, int]] = (),
        windows: Iterable[tuple[str, int, int]] = (),
    ) -> None:
        def record(path: Path) -> FileEntry:
            _fsync_path(path)
            target = self.store._destination(self.dir, path).relative_to(self.store.root)
            return file_entry(path, str(target))

        # fsync and checksum the files side by side: both wait on the disk or release the GIL
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="s3sleuth-commit") as pool:
            files = list(pool.map(record, self.files()))
        self.store.manifest.commit_batch(self.id, entries, files, events, windows)
        self.store.finish_batch(self.id)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class StoreDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging_dir = root / "staging"
        self._manifest: Manifest | None = None

    @classmethod
    def open(cls, root: str | os.PathLike[str] | None = None, *, create: bool = False) -> StoreDir:
        path = default_root(root)
        if create:
            for sub in (*TABLE_DIRS, "staging"):
                (path / sub).mkdir(parents=True, exist_ok=True)
        elif not (path / "manifest.sqlite").exists():
            raise StoreError(
                f"no s3sleuth store at {path}",
                hint="ingest logs into it first ('s3sleuth ingest SOURCE'), or name another "
                "with {store}",
                params=("store",),
            )
        store = cls(path)
        store.recover_if_idle()
        return store

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            self._manifest = Manifest(self.root / "manifest.sqlite")
        return self._manifest

    def close(self) -> None:
        if self._manifest is not None:
            self._manifest.close()
            self._manifest = None

    def table_dir(self, table: str) -> Path:
        return self.root / table

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive writer lock; a second writer fails at once rather than waiting."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another s3sleuth process is writing to {self.root}",
                    hint="wait for it to finish",
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_batch(self) -> StagedBatch:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return StagedBatch(self, f"{stamp}-{uuid.uuid4().hex[:8]}")

    def _destination(self, batch_dir: Path, staged: Path) -> Path:
        # staging/BATCH/access_log-00001/date=.../x.parquet -> access_log/date=.../x.parquet
        relative = staged.relative_to(batch_dir)
        table = relative.parts[0].rsplit("-", 1)[0]
        return self.table_dir(table).joinpath(*relative.parts[1:])

    def finish_batch(self, batch_id: str) -> None:
        """Move a committed batch's files into place (idempotent), then drop its staging."""
        batch_dir = self.staging_dir / batch_id
        touched: set[Path] = set()
        for staged in sorted(batch_dir.rglob("*.parquet")):
            target = self._destination(batch_dir, staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            touched.add(target.parent)
        for directory in touched:
            _fsync_path(directory)
        self.manifest.mark_done(batch_id)
        shutil.rmtree(batch_dir, ignore_errors=True)
        replace.apply(self)  # rows of content this batch replaced

    def recover(self) -> None:
        """Finish committed batches and delete uncommitted ones. Call with the lock held."""
        if not self.staging_dir.exists():
            return
        for batch_dir in sorted(p for p in self.staging_dir.iterdir() if p.is_dir()):
            state = self.manifest.batch_state(batch_dir.name)
            if state is None:
                shutil.rmtree(batch_dir, ignore_errors=True)
            else:
                self.finish_batch(batch_dir.name)
        for leftover in self.staging_dir.glob("stdin-*"):
            leftover.unlink(missing_ok=True)
        replace.apply(self)  # a crash may have left replaced rows behind

    def recover_if_idle(self) -> None:
        try:
            with self.lock():
                self.recover()
        except StoreError:
            pass  # a live writer owns staging; it recovers on its own
        except OSError:
            pass  # a store this process may only read (a shared or archived copy)

    def parquet_files(self, table: str) -> list[Path]:
        return sorted(self.table_dir(table).rglob("*.parquet"))
