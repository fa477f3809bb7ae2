"""Both engines, the same logs: identical rows, rejects and findings.

The logs are the conformance corpus (hostile lines, every era, files that are not logs at all)
and the demo data (with Transfer Family and CloudTrail logs, so findings carry evidence).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest

from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.denied import denied
from s3sleuth.diagnose.network import network
from s3sleuth.engines import Engine
from s3sleuth.pipeline.local import ingest as duckdb_ingest
from s3sleuth.session import query
from s3sleuth.spark import SparkEngine
from s3sleuth.spark import ingest as spark_ingest
from tests.conftest import ACCESS_SAMPLES, SAMPLES, engine

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ORDER = "ORDER BY source_file, source_line"


@pytest.fixture(scope="module")
def stores(
    spark: SparkSession, conformance: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("engines")
    sources = [str(conformance), str(SAMPLES)]
    spark_result = spark_ingest(spark, sources, root / "spark")
    duckdb_result = duckdb_ingest(sources, root / "duckdb")
    for field in ("files", "skipped", "lines", "parsed", "rejected"):
        assert getattr(spark_result, field) == getattr(duckdb_result, field), field
    assert spark_result.transfer_events and spark_result.cloudtrail_events
    return root / "spark", root / "duckdb"


def _table(sql: str, store: Path) -> pa.Table:
    return query(sql, store)


@pytest.mark.parametrize("table", ["access_log", "rejects", "transfer_events", "cloudtrail_events"])
def test_same_rows(stores: tuple[Path, Path], table: str) -> None:
    by_spark, by_duckdb = (_table(f"SELECT * FROM {table} {ORDER}", s) for s in stores)
    assert by_spark.num_rows > 0
    assert by_spark.schema == by_duckdb.schema
    assert by_spark.equals(by_duckdb)


def test_same_files_layout(stores: tuple[Path, Path]) -> None:
    """The same date/bucket partitions (file names differ: they carry batch and task ids)."""

    def partitions(store: Path) -> set[str]:
        return {str(p.parent.relative_to(store)) for p in store.rglob("*.parquet")}

    assert partitions(stores[0]) == partitions(stores[1])


def _findings(target: Engine) -> dict[str, Any]:
    return {
        "denied": denied(target).to_dicts(),
        "network": network(target).to_dicts(),
        "network_by_ip": network(target, by="ip").to_dicts(),
        "clients": clients(target).to_dicts(),
    }


def test_same_findings(spark: SparkSession, stores: tuple[Path, Path]) -> None:
    on_spark = _findings(SparkEngine(spark, stores[0]))
    on_duckdb = _findings(engine(stores[1]))
    assert all(on_duckdb.values())  # nothing compared is empty
    assert any(f["transfer_events"] for f in on_duckdb["denied"])  # evidence joined too
    assert any(r["vpc_endpoint_ids"] for r in on_duckdb["network"])
    assert on_spark == on_duckdb


@pytest.mark.parametrize(
    ("view", "order"),
    [
        ("transfer_matches", "event_id, request_id, source_file, source_line"),
        ("cloudtrail_matches", "event_id, source_file, source_line"),
        ("s3_access_logs_db.mybucket_logs", "requestid, operation, key, requestdatetime"),
    ],
)
def test_spark_has_every_view(
    spark: SparkSession, stores: tuple[Path, Path], view: str, order: str
) -> None:
    """The one list of views, materialised by both engines, gives the same rows."""
    sql = f"SELECT * FROM {view} ORDER BY {order}"
    on_spark = SparkEngine(spark, stores[0]).run(sql)
    on_duckdb = query(sql, stores[1])
    assert on_duckdb.num_rows > 0
    # sorted whole: rows that tie on `order` (the corpus repeats request ids) may come either way
    assert sorted(map(repr, on_spark.to_pylist())) == sorted(map(repr, on_duckdb.to_pylist()))


def test_rerun_adds_nothing(spark: SparkSession, stores: tuple[Path, Path]) -> None:
    again = spark_ingest(spark, [str(SAMPLES)], stores[0])
    assert again.files == 0 and again.lines == 0 and again.skipped > 0
    rows = _table("SELECT count(*) AS n FROM access_log", stores[0]).column("n")[0].as_py()
    assert rows == _table("SELECT count(*) AS n FROM access_log", stores[1]).column("n")[0].as_py()


def test_spark_engine_reports_sql_errors(spark: SparkSession, stores: tuple[Path, Path]) -> None:
    from s3sleuth.errors import QueryError

    with pytest.raises(QueryError, match=r"athena → spark"):
        SparkEngine(spark, stores[0]).run("SELECT no_such_column FROM access_log")


def test_a_large_file_is_read_in_ranges_with_the_same_line_numbers(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from s3sleuth.sources import LocalSource

    module = importlib.import_module(
        "s3sleuth.spark.ingest"
    )  # the package's `ingest` is a function

    source = tmp_path / "big.log"
    source.write_bytes(b"".join(p.read_bytes() for p in ACCESS_SAMPLES[:3]) + b"not a log line\n")
    monkeypatch.setattr(module, "RANGE_BYTES", 64 << 10)
    ranges = list(module.line_ranges(LocalSource.from_path(source), module.RANGE_BYTES))
    assert len(ranges) > 10
    spark_ingest(spark, [str(source)], tmp_path / "spark")
    duckdb_ingest([str(source)], tmp_path / "duckdb")
    for table in ("access_log", "rejects"):
        by_spark, by_duckdb = (
            _table(f"SELECT * FROM {table} {ORDER}", tmp_path / s) for s in ("spark", "duckdb")
        )
        assert by_spark.num_rows > 0 and by_spark.equals(by_duckdb), table


def test_a_broken_gzip_is_never_stored(spark: SparkSession, tmp_path: Path) -> None:
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(b"\x1f\x8b\x08" + b"\x00" * 20)
    # --type access: past the kind detection (which reads the head), to the parse itself.
    # Both engines name it and go on with the other sources (the command exits 1).
    (failure,) = spark_ingest(spark, [str(broken)], tmp_path / "spark", kind="access").failed
    assert "broken.log.gz is not a readable gzip file" in failure["error"]
    # The local engine goes on with the other sources and reports this one (exit 1).
    (failure,) = duckdb_ingest([str(broken)], tmp_path / "duckdb", kind="access").failed
    assert "broken.log.gz: not a readable gzip file" in failure["error"]
    assert not list((tmp_path / "spark").rglob("*.parquet"))  # nothing of the batch is visible
    assert not list((tmp_path / "duckdb" / "access_log").rglob("*.parquet"))


def test_json_deliveries_are_read_alike(stores: tuple[Path, Path]) -> None:
    """The samples' hour delivered through CloudWatch Logs: the same rows from both engines."""
    sql = f"SELECT * FROM access_log WHERE delivery = 'json' {ORDER}"
    by_spark, by_duckdb = (_table(sql, s) for s in stores)
    assert by_spark.num_rows > 100
    assert by_spark.equals(by_duckdb)


def test_json_deliveries_spark_lists_itself(spark: SparkSession, tmp_path: Path) -> None:
    """JSON and Parquet deliveries under a URI Spark lists are read by its tasks with the
    same code: the rows the local engine stores from the same files."""
    import shutil

    from tests.parse.test_deliveries import envelopes

    files = envelopes(tmp_path / "in")
    folder = tmp_path / "deliveries"
    folder.mkdir()
    for name in ("json-lines", "filter-log-events", "parquet", "export"):
        shutil.copy(files[name], folder / files[name].name)
    by_spark = spark_ingest(spark, [folder.as_uri()], tmp_path / "spark")
    by_duckdb = duckdb_ingest([str(folder)], tmp_path / "duckdb")
    assert (by_spark.parsed, by_spark.rejected) == (by_duckdb.parsed, by_duckdb.rejected)
    assert by_spark.parsed > 0
    columns = "* EXCLUDE (source_file)"  # a URI there, a path here
    sql = f"SELECT {columns} FROM access_log ORDER BY delivery, time, request_id, source_line"
    spark_rows = query(sql, tmp_path / "spark", dialect="duckdb")
    duckdb_rows = query(sql, tmp_path / "duckdb", dialect="duckdb")
    assert spark_rows.equals(duckdb_rows)
