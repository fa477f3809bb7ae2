"""The store directory: one writer at a time, and a catalog any DuckDB client can open."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from s3sleuth import ingest
from s3sleuth.errors import StoreError
from s3sleuth.store.store import StoreDir
from tests.conftest import SAMPLES


def test_a_second_writer_fails_at_once_with_a_clear_message(tmp_path: Path) -> None:
    store = StoreDir.open(tmp_path / "store", create=True)
    with store.lock(), pytest.raises(StoreError, match="another s3sleuth process is writing"):
        ingest([str(SAMPLES)], tmp_path / "store")
    store.close()


def test_catalog_file_opens_in_any_duckdb_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The views name files relative to the store: a client started in it reads them."""
    result = ingest([str(SAMPLES)], tmp_path / "store")
    monkeypatch.chdir(tmp_path / "store")
    con = duckdb.connect("catalog.duckdb", read_only=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM access_log").fetchone()  # type: ignore[misc]
        (athena,) = con.execute(
            "SELECT count(*) FROM s3_access_logs_db.mybucket_logs WHERE httpstatus = '403'"
        ).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert n == result.parsed - result.transfer_events - result.cloudtrail_events and athena > 0


def test_an_empty_store_has_typed_empty_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    result = ingest([str(empty)], tmp_path / "store")
    assert (result.files, result.lines) == (1, 0)
    from s3sleuth import query

    table = query("SELECT * FROM access_log", tmp_path / "store")
    assert table.num_rows == 0 and "time" in table.column_names
    assert query("SELECT count(*) FROM rejects", tmp_path / "store").column(0)[0].as_py() == 0


def test_a_moved_store_keeps_working(tmp_path: Path) -> None:
    import shutil

    import s3sleuth

    ingest([str(SAMPLES)], tmp_path / "a")
    with s3sleuth.open(tmp_path / "a") as store:
        before = store.query("SELECT count(*) AS n FROM access_log").to_pylist()
    shutil.move(tmp_path / "a", tmp_path / "b")
    with s3sleuth.open(tmp_path / "b") as store:
        assert store.query("SELECT count(*) AS n FROM access_log").to_pylist() == before
        assert store.engine.con.execute(  # type: ignore[attr-defined]
            "SELECT count(*) FROM duckdb_views() WHERE sql LIKE ?", [f"%{tmp_path}%"]
        ).fetchone() == (0,)
