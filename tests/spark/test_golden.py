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
