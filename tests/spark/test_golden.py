"""The golden answers of `denied`, `network` and `clients`, on the Spark engine too: the same
logs ingested by Spark tasks and asked through Spark's views give the committed files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import s3sleuth
from s3sleuth.spark import ingest as spark_ingest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DIAGNOSE = Path(__file__).parents[1] / "diagnose"


def golden(name: str) -> object:
    return json.loads((DIAGNOSE / "golden" / name).read_text())


@pytest.fixture(scope="module")
def stores(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spark-golden")
    out = {}
    for name in ("denied", "network"):
        spark_ingest(spark, [str(DIAGNOSE / "logs" / f"{name}.log")], root / name)
        out[name] = root / name
    return out


def test_denied_golden_on_spark(spark: SparkSession, stores: dict[str, Path]) -> None:
    with s3sleuth.open(stores["denied"], engine="spark", spark=spark) as store:
        assert store.denied().to_dicts() == golden("denied.json")


def test_network_and_clients_golden_on_spark(spark: SparkSession, stores: dict[str, Path]) -> None:
    with s3sleuth.open(stores["network"], engine="spark", spark=spark) as store:
        assert store.network().to_dicts() == golden("network.json")
        assert store.network(by="ip").to_dicts() == golden("network_by_ip.json")
        assert store.clients().to_dicts() == golden("clients.json")


def test_cost_and_usage_on_spark_equal_duckdb(spark: SparkSession, stores: dict[str, Path]) -> None:
    on_spark = s3sleuth.open(stores["network"], engine="spark", spark=spark)
    on_duckdb = s3sleuth.open(stores["network"])
    with on_spark, on_duckdb:
        for by in ("principal", "prefix", "network"):
            assert on_spark.cost(by=by).to_dicts() == on_duckdb.cost(by=by).to_dicts(), by
        expected = on_duckdb.usage(by="key").to_dicts()
        assert expected and on_spark.usage(by="key").to_dicts() == expected


def test_audit_and_detect_on_spark_equal_duckdb(spark: SparkSession, tmp_path: Path) -> None:
    import random

    from s3sleuth import synth
    from s3sleuth.parse.render import render_line
    from tests.audit.test_topics import REQUESTS, _line
    from tests.detect import test_rules as detect_case

    audit_log = tmp_path / "audit.log"
    audit_log.write_text("".join(_line(i, o) + "\n" for i, (_, o) in enumerate(REQUESTS)))
    spark_ingest(spark, [str(audit_log)], tmp_path / "audit")
    spark_audit = s3sleuth.open(tmp_path / "audit", engine="spark", spark=spark)
    with spark_audit, s3sleuth.open(tmp_path / "audit") as duckdb_audit:
        for topic in ("deletes", "legacy-auth", "acl", "presigned", "anonymous", "cross-account"):
            assert spark_audit.audit(topic).to_dicts() == duckdb_audit.audit(topic).to_dicts()
    lines = []
    for i, values in enumerate(detect_case.ROWS):
        values = dict(values)
        when = values.pop("_when")
        lines.append(render_line(synth.record(random.Random(i), when, **values)) + "\n")
    (tmp_path / "detect.log").write_text("".join(lines))
    (tmp_path / "detect.toml").write_text(detect_case.CONFIG)
    spark_ingest(spark, [str(tmp_path / "detect.log")], tmp_path / "detect")
    window = (detect_case.SINCE, detect_case.UNTIL)
    config = tmp_path / "detect.toml"
    spark_detect = s3sleuth.open(tmp_path / "detect", engine="spark", spark=spark)
    with spark_detect, s3sleuth.open(tmp_path / "detect") as duckdb_detect:
        spark_found = spark_detect.detect(*window, config=config).to_dicts()
        duckdb_found = duckdb_detect.detect(*window, config=config).to_dicts()

    def key(row: dict[str, object]) -> tuple[str, str, str]:
        return (str(row["rule"]), str(row["principal_arn"]), str(row.get("remote_ip")))

    assert sorted(map(key, spark_found)) == sorted(map(key, duckdb_found))
    assert len(duckdb_found) >= 15
