"""Enrichment computed once: the columns stored as rows are written equal the rules run on
read, and a store written under other rules is recomputed when it is next opened."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import s3sleuth
from s3sleuth import synth
from s3sleuth.parse import render_line
from s3sleuth.views import upgrade
from s3sleuth.views.compute import enrich_table
from s3sleuth.views.enrich import METADATA_KEY, STORED_NAMES, VERSION, enrichment_sql
from tests.conftest import SAMPLES


def _logs(directory: Path) -> Path:
    """The samples, and generated lines from every era with hostile ones among them."""
    directory.mkdir()
    lines = list(synth.lines(3000, hostile_rate=0.05, seed=3))
    rng = random.Random(5)
    odd = synth.record(
        rng,
        datetime(2024, 2, 3, tzinfo=UTC),
        requester="arn:aws:sts::123456789012:assumed-role/R/user.with.dots.0123456789abcdef@s-0123",
        remote_ip="::ffff:10.1.2.3",
        user_agent=None,
        field_count=27,
    )
    (directory / "gen.log").write_bytes(b"\n".join(lines) + b"\n" + render_line(odd).encode())
    return directory


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stored")
    path = root / "store"
    s3sleuth.ingest([str(SAMPLES), str(_logs(root / "logs"))], path)
    return path


def _on_read(path: Path) -> pa.Table:
    """Every rule, run on read over the stored fields (the path stores had before)."""
    con = duckdb.connect()
    files = str(path / "access_log" / "**" / "*.parquet")
    con.execute(f"CREATE VIEW access_log AS SELECT * FROM read_parquet('{files}')")
    return con.sql(
        f"SELECT source_file, source_line, {enrichment_sql('duckdb')} FROM access_log "
        "ORDER BY source_file, source_line"
    ).to_arrow_table()


def _stored(path: Path) -> pa.Table:
    with s3sleuth.open(path) as session:
        return session.query(
            "SELECT * FROM access_log ORDER BY source_file, source_line", dialect="duckdb"
        )


def test_stored_columns_equal_the_rules_run_on_read(store: Path) -> None:
    on_read, stored = _on_read(store), _stored(store)
    assert stored.num_rows == on_read.num_rows > 3000
    for name in on_read.column_names:
        assert stored.column(name).to_pylist() == on_read.column(name).to_pylist(), name
    assert set(stored.column("client").to_pylist()) >= {"console", "transfer-family", "aws-cli"}


def test_every_file_records_the_rules_it_was_enriched_with(store: Path) -> None:
    files = list((store / "access_log").rglob("*.parquet"))
    assert files and all(upgrade.file_version(p) == VERSION for p in files)
    assert upgrade.is_current(store)


def _as_if_written_by_other_rules(path: Path) -> None:
    """Each file as an older version wrote it: no enrichment, or other rules' values."""
    for number, file in enumerate(sorted((path / "access_log").rglob("*.parquet"))):
        table = pq.read_table(file)
        if number % 2:  # from before enrichment was stored
            table = table.drop_columns(list(STORED_NAMES)).replace_schema_metadata(None)
        else:  # stale values, stamped with another version
            index = table.column_names.index("client")
            table = table.set_column(index, "client", pa.array(["stale"] * table.num_rows))
            table = table.replace_schema_metadata({METADATA_KEY: b"0000000000000000"})
        pq.write_table(table, file)
    (path / upgrade.MARKER).write_text("0000000000000000\n")


def test_a_change_of_rules_recomputes_the_stored_columns(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    _as_if_written_by_other_rules(copy)
    assert not upgrade.is_current(copy)
    recomputed = _stored(copy)  # opening the store upgrades it
    assert upgrade.is_current(copy)
    assert recomputed.equals(_stored(store))
    assert "stale" not in recomputed.column("client").to_pylist()


def test_a_store_locked_by_a_writer_computes_them_on_read(store: Path, tmp_path: Path) -> None:
    from s3sleuth.store.store import StoreDir

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    _as_if_written_by_other_rules(copy)
    writer = StoreDir(copy)
    with writer.lock():  # another process ingesting: the session may not upgrade now
        assert _stored(copy).equals(_stored(store))
        assert not upgrade.is_current(copy)
    writer.close()


def test_enrich_table_keeps_nulls_and_is_idempotent(store: Path) -> None:
    file = next((store / "access_log").rglob("*.parquet"))
    table = pq.read_table(file)
    again = enrich_table(table)
    assert again.column_names == table.column_names
    for name in STORED_NAMES:
        assert again.column(name).to_pylist() == table.column(name).to_pylist(), name
    anonymous = table.filter(pa.compute.is_null(table.column("requester")))
    if anonymous.num_rows:
        assert set(anonymous.column("principal_account").to_pylist()) == {None}


def test_stored_columns_are_dictionary_encoded(store: Path) -> None:
    """A few values each: Parquet keeps them as a dictionary (plain, they were 5x larger)."""
    for file in (store / "access_log").rglob("*.parquet"):
        group = pq.ParquetFile(file).metadata.row_group(0)
        for index in range(group.num_columns):
            column = group.column(index)
            if column.path_in_schema in STORED_NAMES:
                assert "RLE_DICTIONARY" in column.encodings, (file.name, column.path_in_schema)


def test_every_file_has_the_current_columns_in_order(store: Path, tmp_path: Path) -> None:
    """The views read the files by position; an upgraded file is put in the same order."""
    from s3sleuth.schema import ACCESS_LOG_SCHEMA

    expected = [*ACCESS_LOG_SCHEMA.names, *STORED_NAMES]
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    first = sorted((copy / "access_log").rglob("*.parquet"))[0]
    table = pq.read_table(first)
    pq.write_table(table.select(list(reversed(table.column_names))), first)
    assert upgrade.file_version(first) is None  # out of order: stale
    (copy / upgrade.MARKER).unlink()
    assert _stored(copy).equals(_stored(store))
    for file in (copy / "access_log").rglob("*.parquet"):
        assert pq.read_schema(file).names == expected


def test_a_store_from_before_json_deliveries_gets_the_new_columns(
    store: Path, tmp_path: Path
) -> None:
    """Files written before `delivery`, `schema_version` and `bucket_arn` existed hold text
    lines: the upgrade adds the columns, `text` and NULLs, and the rows are otherwise kept."""
    from tests.conftest import ACCESS_SAMPLES

    text = tmp_path / "text"
    s3sleuth.ingest([str(p) for p in ACCESS_SAMPLES[:2]], text)
    copy = tmp_path / "copy"
    shutil.copytree(text, copy)
    for file in (copy / "access_log").rglob("*.parquet"):
        table = pq.read_table(file)
        pq.write_table(table.drop_columns(["delivery", "schema_version", "bucket_arn"]), file)
    (copy / upgrade.MARKER).write_text("0000000000000000\n")
    with s3sleuth.open(copy) as opened:
        rows = opened.query(
            "SELECT delivery, count(*) AS n, count(schema_version) AS versions,"
            " count(bucket_arn) AS arns FROM access_log GROUP BY 1"
        ).to_pylist()
    total = _stored(text).num_rows
    assert rows == [{"delivery": "text", "n": total, "versions": 0, "arns": 0}]
    assert _stored(copy).equals(_stored(text))
