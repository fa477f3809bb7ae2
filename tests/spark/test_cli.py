"""The command line with --engine spark: a user's view of the same answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLES, s3sleuth


def test_ingest_and_denied_with_spark(tmp_path: Path) -> None:
    spark_store, duckdb_store = tmp_path / "spark", tmp_path / "duckdb"
    ingested = s3sleuth(
        "ingest", str(SAMPLES), "--engine", "spark", "--store", str(spark_store), "--format",
        "json",
    )  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr
    assert " WARN " not in ingested.stderr  # Spark's start-up warnings are kept out of the way
    (summary,) = json.loads(ingested.stdout)
    assert summary["lines"] > 3000 and summary["rejected"] == 0
    assert s3sleuth("ingest", str(SAMPLES), "--store", str(duckdb_store)).returncode == 0

    on_spark = s3sleuth(
        "denied", "--engine", "spark", "--store", str(spark_store), "--format", "json"
    )
    on_duckdb = s3sleuth("denied", "--store", str(duckdb_store), "--format", "json")
    assert on_spark.returncode == 0, on_spark.stderr
    findings = json.loads(on_spark.stdout)
    assert findings and findings == json.loads(on_duckdb.stdout)


def test_spark_ingest_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    result = s3sleuth("ingest", str(SAMPLES), "--engine", "spark", "--since", "1d")
    assert result.returncode == 2
    assert "--engine spark" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_uri_is_a_one_line_error(tmp_path: Path) -> None:
    result = s3sleuth(
        "ingest", f"file://{tmp_path}/nowhere", "--engine", "spark", "--store", str(tmp_path / "s")
    )
    assert result.returncode == 2
    assert "Spark cannot list the sources" in result.stderr and "Traceback" not in result.stderr
