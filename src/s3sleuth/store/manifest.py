"""The ingest manifest: which sources are in the store, and which batches are committed.

SQLite gives atomic commits and safe concurrent readers with nothing to install. A batch's
manifest rows are written in one transaction; that transaction is the commit point of an ingest.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

from s3sleuth.errors import DamagedStoreError

# The store's tables, each a directory of Parquet files.
TABLE_DIRS = ("access_log", "rejects", "transfer_events", "cloudtrail_events")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
  identity    TEXT PRIMARY KEY,  -- content hash of a local file; key + ETag of an object
  source      TEXT NOT NULL,     -- path or URI, as recorded in source_file
  size        INTEGER NOT NULL,
  mtime_ns    INTEGER,
  lines       INTEGER NOT NULL,
  parsed      INTEGER NOT NULL,
  rejected    INTEGER NOT NULL,
  batch_id    TEXT NOT NULL,
  ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_by_location ON sources (source, size, mtime_ns);
-- The time windows a source was ingested under (`ingest --since/--until`); NULL is open.
-- A source without rows here was ingested whole.
CREATE TABLE IF NOT EXISTS source_windows (
  identity TEXT NOT NULL,
  since    TEXT,
  until    TEXT,
  batch_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS source_windows_by_identity ON source_windows (identity);
-- Every data file a batch put in the store, as committed (`s3sleuth verify` checks them).
-- Files written before this table existed have no row.
CREATE TABLE IF NOT EXISTS files (
  path     TEXT PRIMARY KEY,  -- relative to the store's root
  batch_id TEXT NOT NULL,
  size     INTEGER NOT NULL,
  rows     INTEGER NOT NULL,
  sha256   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_batch ON files (batch_id);
-- Sources whose content changed under the same name: the old identity's rows are removed
-- from the data files once the batch with the new content is in (`store.replace`).
CREATE TABLE IF NOT EXISTS replacements (
  identity TEXT NOT NULL,  -- the old content
  source   TEXT NOT NULL,
  batch_id TEXT NOT NULL   -- the batch with the new content, whose rows stay
);
-- CloudWatch Logs (`ingest cloudwatch://`): `log_windows` are the times whose events are all
-- stored, never read again; `log_events` the ids of stored events outside them (the last
-- hours of a read, where late events still arrive), so a re-run skips those it reads again.
CREATE TABLE IF NOT EXISTS log_events (
  log_group TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  time_ms   INTEGER NOT NULL,
  batch_id  TEXT NOT NULL,
  PRIMARY KEY (log_group, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_windows (
  log_group TEXT NOT NULL,
  start_ms  INTEGER NOT NULL,  -- epoch ms
  end_ms    INTEGER NOT NULL,  -- exclusive
  batch_id  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  batch_id   TEXT PRIMARY KEY,
  state      TEXT NOT NULL CHECK (state IN ('committing', 'done')),
  created_at TEXT NOT NULL
);
"""


Interval = tuple[datetime | None, datetime | None]  # [since, until); None is open
WHOLE: Interval = (None, None)


@dataclass(frozen=True)
class SourceEntry:
    identity: str
    source: str
    size: int
    mtime_ns: int | None
    lines: int
    parsed: int
    rejected: int
    window: Interval = WHOLE
    # False for a file that only grew: its earlier content's rows are part of it and stay.
    replaces: bool = True


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the store's root
    size: int
    rows: int
    sha256: str


def file_entry(path: Path, name: str) -> FileEntry:
    """What the manifest records of a data file: size, row count and checksum."""
    import pyarrow.parquet as pq

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    rows = pq.ParquetFile(path).metadata.num_rows
    return FileEntry(name, path.stat().st_size, rows, digest.hexdigest())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:  # not a database, or a truncated one
            self._db.close()
            raise DamagedStoreError(
                f"the store's manifest {path} is damaged ({err})",
                hint="restore it from a backup, or ingest into a new store: nothing was written",
                path=str(path),
            ) from None

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def has_identity(self, identity: str) -> bool:
        row = self._db.execute("SELECT 1 FROM sources WHERE identity = ?", (identity,)).fetchone()
        return row is not None

    def earlier(self, source: str, size: int) -> tuple[str, int, int] | None:
        """(identity, size, lines) of the largest smaller file ingested from this path, if
        any: the file may have grown since."""
        row = self._db.execute(
            "SELECT identity, size, lines FROM sources WHERE source = ? AND size < ? "
            "ORDER BY size DESC LIMIT 1",
            (source, size),
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), int(row[2]))

    def has_size(self, size: int) -> bool:
        """Whether a source of exactly this size is in the store (a copy may be)."""
        row = self._db.execute("SELECT 1 FROM sources WHERE size = ? LIMIT 1", (size,)).fetchone()
        return row is not None

    def identity_at(self, source: str, size: int, mtime_ns: int) -> str | None:
        """The identity of this exact file (same path, size and mtime) if it is already in."""
        row = self._db.execute(
            "SELECT identity FROM sources WHERE source = ? AND size = ? AND mtime_ns = ?",
            (source, size, mtime_ns),
        ).fetchone()
        return None if row is None else str(row[0])

    def windows(self, identity: str) -> list[Interval] | None:
        """The windows a source was ingested under: None when it is not in the store,
        [WHOLE] when it was ingested whole."""
        if not self.has_identity(identity):
            return None
        rows = self._db.execute(
            "SELECT since, until FROM source_windows WHERE identity = ?", (identity,)
        ).fetchall()
        return [(_time(a), _time(b)) for a, b in rows] or [WHOLE]

    def commit_batch(
        self,
        batch_id: str,
        entries: Iterable[SourceEntry],
        files: Iterable[FileEntry] = (),
        events: Iterable[tuple[str, str, int]] = (),
        windows: Iterable[tuple[str, int, int]] = (),
    ) -> None:
        """The commit point: after this, the batch's staged files belong to the store.
        `events`: the (log group, event id, time) of the CloudWatch Logs events it holds;
        `windows`: (log group, start, end) of the times whose events are now all stored."""
        windows = list(windows)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        entries = list(entries)
        with self._transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO log_events VALUES (?, ?, ?, ?)",
                [(group, event, when, batch_id) for group, event, when in events],
            )
            db.executemany(
                "INSERT INTO log_windows VALUES (?, ?, ?, ?)",
                [(group, start, end, batch_id) for group, start, end in windows],
            )
            db.executemany(  # ids inside a complete window are not needed any more
                "DELETE FROM log_events WHERE log_group = ? AND time_ms >= ? AND time_ms < ?",
                windows,
            )
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                [(f.path, batch_id, f.size, f.rows, f.sha256) for f in files],
            )
            db.execute("INSERT INTO batches VALUES (?, 'committing', ?)", (batch_id, now))
            # A source seen before under another window keeps its first row.
            for e in entries:
                if e.replaces:  # the same name with other content: that content goes
                    db.execute(
                        "INSERT INTO replacements SELECT identity, source, ? FROM sources "
                        "WHERE source = ? AND identity <> ?",
                        (batch_id, e.source, e.identity),
                    )
            db.executemany(
                "INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*astuple(e)[:7], batch_id, now) for e in entries],
            )
            db.executemany(
                "INSERT INTO source_windows VALUES (?, ?, ?, ?)",
                [(e.identity, _iso(e.window[0]), _iso(e.window[1]), batch_id) for e in entries],
            )

    def lines_of(self, source: str) -> int:
        """How many lines (records) of `source` the store has read, in all its versions."""
        (count,) = self._db.execute(
            "SELECT coalesce(sum(lines), 0) FROM sources WHERE source = ?", (source,)
        ).fetchone()
        return int(count)

    def log_windows(self, group: str) -> list[tuple[int, int]]:
        """The times (start, end) whose events of the group are all in the store."""
        rows = self._db.execute(
            "SELECT start_ms, end_ms FROM log_windows WHERE log_group = ? ORDER BY 1", (group,)
        )
        return [(int(a), int(b)) for a, b in rows]

    def log_event_ids(self, group: str, start_ms: int, end_ms: int) -> set[str]:
        """The ids of the group's stored events in [start, end) outside its windows."""
        rows = self._db.execute(
            "SELECT event_id FROM log_events WHERE log_group = ? AND time_ms >= ? AND time_ms < ?",
            (group, start_ms, end_ms),
        )
        return {str(r[0]) for r in rows}

    def mark_done(self, batch_id: str) -> None:
        self._db.execute("UPDATE batches SET state = 'done' WHERE batch_id = ?", (batch_id,))

    def batch_state(self, batch_id: str) -> str | None:
        row = self._db.execute(
            "SELECT state FROM batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def files(self) -> list[tuple[FileEntry, str]]:
        """Every recorded data file, with its batch."""
        rows = self._db.execute(
            "SELECT path, size, rows, sha256, batch_id FROM files ORDER BY path"
        ).fetchall()
        return [(FileEntry(r[0], r[1], r[2], r[3]), r[4]) for r in rows]

    def replacements(self) -> list[tuple[str, str, str]]:
        """Pending (old identity, source, batch with the new content)."""
        rows = self._db.execute("SELECT identity, source, batch_id FROM replacements").fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def finish_replacement(self, identity: str, source: str) -> None:
        """The old content's rows are gone: forget it."""
        with self._transaction() as db:
            for table in ("sources", "source_windows"):
                db.execute(f"DELETE FROM {table} WHERE identity = ?", (identity,))
            db.execute(
                "DELETE FROM replacements WHERE identity = ? AND source = ?", (identity, source)
            )

    def forget_file(self, path: str) -> None:
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))

    def update_file(self, entry: FileEntry) -> None:
        """A recorded file rewritten in place (the stored enrichment of a new version)."""
        self._db.execute(
            "UPDATE files SET size = ?, rows = ?, sha256 = ? WHERE path = ?",
            (entry.size, entry.rows, entry.sha256, entry.path),
        )

    def integrity(self) -> str:
        """SQLite's own check of the manifest: `ok`, or what is wrong."""
        try:
            rows = self._db.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as err:
            return str(err)
        return "; ".join(str(r[0]) for r in rows)

    def forget_batches(self, batch_ids: Iterable[str]) -> list[str]:
        """Drop what the batches recorded (their sources, windows and files), so the next
        ingest reads those sources again; the sources forgotten."""
        ids = sorted(set(batch_ids))
        marks = ", ".join("?" for _ in ids)
        with self._transaction() as db:
            sources = [
                str(r[0])
                for r in db.execute(f"SELECT source FROM sources WHERE batch_id IN ({marks})", ids)
            ]
            tables = ("sources", "source_windows", "files", "log_events", "log_windows")
            for table in (*tables, "batches"):
                db.execute(f"DELETE FROM {table} WHERE batch_id IN ({marks})", ids)
        return sources
