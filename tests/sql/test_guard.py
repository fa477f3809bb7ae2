"""`query` is read-only unless --unsafe: no file read or written, no extension, no environment."""

from __future__ import annotations

from pathlib import Path

import pytest

import s3sleuth
from s3sleuth.errors import QueryError
from tests.conftest import SAMPLES
from tests.conftest import s3sleuth as run


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guard") / "store"
    s3sleuth.open(path, create=True).ingest(str(sorted(SAMPLES.glob("2024-*"))[0]))
    return path


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT count(*) AS n FROM access_log", "athena"),
        ("WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION ALL SELECT 2", "athena"),
        ("SELECT * FROM s3_access_logs_db.mybucket_logs LIMIT 1", "athena"),
        ("DESCRIBE access_log", "duckdb"),
        ("SHOW TABLES", "duckdb"),
        ("SUMMARIZE rejects", "duckdb"),
        ("EXPLAIN SELECT count(*) FROM access_log", "duckdb"),
        ("VALUES (1), (2)", "duckdb"),
    ],
)
def test_reading_the_store_is_allowed(store: Path, sql: str, dialect: str) -> None:
    with s3sleuth.open(store) as opened:
        opened.rows(sql, dialect)


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("SELECT * FROM read_text('/etc/hosts')", "read_text()"),
        ("SELECT * FROM '/etc/passwd'", "reading the file '/etc/passwd'"),
        ("SELECT * FROM 'data.parquet'", "reading the file 'data.parquet'"),
        ("SELECT * FROM glob('/etc/*')", "glob()"),
        ("SELECT getenv('HOME')", "getenv()"),
        ("COPY (SELECT 1) TO '/tmp/s3sleuth-guard.csv'", "COPY"),
        ("ATTACH '/tmp/s3sleuth-guard.db' AS x", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("SET threads = 1", "SET"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("EXPLAIN COPY (SELECT 1) TO '/tmp/x.csv'", "COPY"),
        ("SELECT 1; COPY (SELECT 1) TO '/tmp/x.csv'", "COPY"),
    ],
)
def test_anything_else_is_refused_with_the_way_out(store: Path, sql: str, refused: str) -> None:
    with s3sleuth.open(store) as opened, pytest.raises(QueryError) as err:
        opened.rows(sql, "duckdb")
    assert f"query is read-only: {refused} is not allowed" in str(err.value)
    assert not Path("/tmp/s3sleuth-guard.csv").exists()


def test_cli_refuses_with_exit_2_and_unsafe_lifts_it(store: Path, tmp_path: Path) -> None:
    data = tmp_path / "extra.csv"
    data.write_text("a,b\n1,2\n")
    sql = f"SELECT a + b AS s FROM read_csv('{data}')"
    refused = run("query", sql, "--store", str(store), "--dialect", "duckdb")
    assert refused.returncode == 2 and "--unsafe" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    lifted = run("query", sql, "--store", str(store), "--dialect", "duckdb", "--unsafe")
    assert lifted.returncode == 0 and lifted.stdout.splitlines() == ["s", "3"]
