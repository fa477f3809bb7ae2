"""Crash safety: `kill -9` in the middle of an ingest leaves no partial and no duplicate rows,
and the next run completes the work."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from s3sleuth import ingest, query, synth
from s3sleuth.store.store import StoreDir


def _write_logs(directory: Path, files: int, lines: int) -> int:
    directory.mkdir()
    produced = synth.lines(files * lines, hostile_rate=0.01)
    for i in range(files):
        with open(directory / f"2024-02-01-00-{i:02d}-00-{i:016X}", "wb") as out:
            for _ in range(lines):
                out.write(next(produced) + b"\n")
    return files * lines


def _committed_batches(store: Path) -> int:
    try:
        with sqlite3.connect(store / "manifest.sqlite") as db:
            return int(db.execute("SELECT count(*) FROM batches").fetchone()[0])
    except sqlite3.Error:
        return 0


def _rows(store: Path) -> tuple[int, int, int]:
    """(rows, distinct (file, line) pairs, rejects) as a query sees them."""
    table = query(
        "SELECT count(*), count(DISTINCT (source_file, source_line)) FROM access_log", store
    )
    rejects = query("SELECT count(*) FROM rejects", store).column(0)[0].as_py()
    return table.column(0)[0].as_py(), table.column(1)[0].as_py(), rejects


def test_kill_9_mid_ingest_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    logs, store = tmp_path / "logs", tmp_path / "store"
    total = _write_logs(logs, files=40, lines=1500)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "s3sleuth",
            "ingest",
            str(logs),
            "--store",
            str(store),
            "--commit-mb",
            "1",
            "-q",
        ]
    )
    deadline = time.monotonic() + 60
    while _committed_batches(store) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the ingest finished before it could be killed; make it bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    StoreDir.open(store).close()  # recovery runs on open
    assert not any((store / "staging").iterdir())  # the unfinished batch is gone
    rows, distinct, rejects = _rows(store)
    with sqlite3.connect(store / "manifest.sqlite") as db:
        parsed, rejected = db.execute("SELECT sum(parsed), sum(rejected) FROM sources").fetchone()
    assert 0 < rows < total
    assert (rows, rejects) == (parsed, rejected)  # exactly the committed sources, whole
    assert distinct == rows  # no duplicate line

    result = ingest([str(logs)], store)  # the next run completes the work
    rows, distinct, rejects = _rows(store)
    assert result.skipped > 0 and result.files > 0
    assert rows + rejects == total
    assert distinct == rows


def test_a_batch_committed_but_not_moved_is_finished_by_recovery(tmp_path: Path) -> None:
    logs, store_dir = tmp_path / "logs", tmp_path / "store"
    _write_logs(logs, files=1, lines=200)
    ingest([str(logs)], store_dir)
    rows_before = _rows(store_dir)[0]
    store = StoreDir.open(store_dir)
    # Stage a copy of an existing part as a new batch, commit it, and "crash" before the moves.
    part = next((store_dir / "access_log").rglob("*.parquet"))
    batch = store.new_batch()
    staged = batch.table_dir("access_log", 1) / part.parent.parent.name / part.parent.name
    staged.mkdir(parents=True)
    staged.joinpath("part-crash.parquet").write_bytes(part.read_bytes())
    store.manifest.commit_batch(batch.id, [])
    store.close()
    copied = pq.read_metadata(part).num_rows
    assert _rows(store_dir)[0] == rows_before + copied  # StoreDir.open in query() rolled it forward
    assert not (store_dir / "staging" / batch.id).exists()
    with sqlite3.connect(store_dir / "manifest.sqlite") as db:
        state = db.execute("SELECT state FROM batches WHERE batch_id = ?", (batch.id,)).fetchone()
    assert state == ("done",)
