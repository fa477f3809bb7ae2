"""The diagnoses' SQL on Spark: the store's base tables as temporary views, the views of
`views.catalog` over them, and every statement translated from Athena SQL by sqlglot.

Spark's temporary views cannot live in a schema, so `s3_access_logs_db.mybucket_logs` is the
temporary view `s3_access_logs_db__mybucket_logs`, and queries naming it are rewritten to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from s3sleuth.errors import QueryError
from s3sleuth.schema import arrow_schema
from s3sleuth.spark.schema import spark_schema
from s3sleuth.sql.translate import translate
from s3sleuth.store.store import StoreDir, default_root
from s3sleuth.views import catalog
from s3sleuth.views.upgrade import is_current

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _flat(schema: str | None, name: str) -> str:
    return f"{schema}__{name}" if schema else name


def _unqualify(tree: Any) -> Any:
    from sqlglot import exp

    for table in tree.find_all(exp.Table):
        if table.db:
            table.set("this", exp.to_identifier(_flat(table.db, table.name)))
            table.set("db", None)
    return tree


class SparkEngine:
    """Runs Athena SQL on Spark over a store: a local directory (checked and recovered like
    any store) or a URI Spark reads, such as `s3a://bucket/store` after an upload."""

    name = "spark"

    def __init__(self, spark: SparkSession, store: str | Path | None = None) -> None:
        self.spark = spark
        root = str(store) if store is not None and "://" in str(store) else None
        enriched = True  # an uploaded store is taken as written by this version
        if root is None:
            local = StoreDir.open(store)  # a clear error when there is no store
            enriched = is_current(local.root) or not local.parquet_files("access_log")
            local.close()
            root = str(default_root(store).resolve())
        self.root = root
        self._register(enriched)

    def _table(self, table: str, columns: dict[str, str]) -> DataFrame:
        schema = spark_schema(arrow_schema(columns))
        location = f"{self.root.rstrip('/')}/{table.removesuffix('_stored')}"
        if "://" not in location and not any(Path(location).rglob("*.parquet")):
            return self.spark.createDataFrame([], schema)
        return (
            self.spark.read.schema(schema)
            .option("recursiveFileLookup", "true")  # columns come from the files, not paths
            .parquet(location)
        )

    def _register(self, enriched: bool) -> None:
        import sqlglot

        for name, columns in catalog.base_tables(enriched).items():
            self._table(name, columns).createOrReplaceTempView(name)
        for view in catalog.views(enriched):
            (sql,) = translate(view.athena, target="spark")
            tree = _unqualify(sqlglot.parse_one(sql, read="spark"))
            name = _flat(view.schema, view.name)
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {tree.sql('spark')}")

    def run(self, sql: str) -> pa.Table:
        import sqlglot
        from pyspark.errors import PySparkException

        statements = translate(sql, target="spark")
        if not statements:
            raise QueryError("no SQL statement given", dialect="athena")
        statements = [
            _unqualify(sqlglot.parse_one(s, read="spark")).sql("spark") for s in statements
        ]
        try:
            for statement in statements[:-1]:
                self.spark.sql(statement)
            return self.spark.sql(statements[-1]).toArrow()
        except PySparkException as err:
            first = str(err).strip().splitlines()[0]
            raise QueryError(f"SQL error (athena → spark): {first}", dialect="athena") from None

    def records(self, sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.run(sql).to_pylist()
        return rows

    def close(self) -> None:
        """The Spark session belongs to the caller; nothing to release."""


__all__ = ["SparkEngine"]
