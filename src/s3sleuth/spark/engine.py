"""The diagnoses' SQL on Spark: the store's tables as temporary views, with the same
enrichment columns, and every statement translated from Athena SQL by sqlglot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from s3sleuth.enrich import enrichment_sql
from s3sleuth.errors import QueryError
from s3sleuth.events.tables import EVENT_TABLES, unique_events_sql
from s3sleuth.schema import ACCESS_LOG_SCHEMA, REJECT_SCHEMA, arrow_schema
from s3sleuth.spark.schema import spark_schema
from s3sleuth.sql.translate import translate
from s3sleuth.store.store import Store, default_root

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_SCHEMAS: dict[str, pa.Schema] = {
    "access_log": ACCESS_LOG_SCHEMA,
    "rejects": REJECT_SCHEMA,
    **{name: arrow_schema(cols) for name, cols in EVENT_TABLES.items()},
}


class SparkEngine:
    """Runs Athena SQL on Spark over a store: a local directory (checked and recovered like
    any store) or a URI Spark reads, such as `s3a://bucket/store` after an upload."""

    name = "spark"

    def __init__(self, spark: SparkSession, store: str | Path | None = None) -> None:
        self.spark = spark
        root = str(store) if store is not None and "://" in str(store) else None
        if root is None:
            local = Store.open(store)  # a clear error when there is no store
            local.close()
            root = str(default_root(store).resolve())
        self.root = root
        self._register()

    def _table(self, table: str) -> DataFrame:
        schema = spark_schema(_SCHEMAS[table])
        location = f"{self.root.rstrip('/')}/{table}"
        if "://" not in location and not any(Path(location).rglob("*.parquet")):
            return self.spark.createDataFrame([], schema)
        return (
            self.spark.read.schema(schema)
            .option("recursiveFileLookup", "true")  # columns come from the files, not paths
            .parquet(location)
        )

    def _register(self) -> None:
        self._table("access_log").createOrReplaceTempView("access_log_stored")
        self.spark.sql(
            "CREATE OR REPLACE TEMP VIEW access_log AS SELECT *, "
            f"{enrichment_sql('spark')} FROM access_log_stored"
        )
        self._table("rejects").createOrReplaceTempView("rejects")
        for table in EVENT_TABLES:
            self._table(table).createOrReplaceTempView(f"{table}_stored")
            (sql,) = translate(unique_events_sql(table), target="spark")
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {table} AS {sql}")

    def run(self, sql: str) -> pa.Table:
        from pyspark.errors import PySparkException

        statements = translate(sql, target="spark")
        if not statements:
            raise QueryError("no SQL statement given", dialect="athena")
        try:
            for statement in statements[:-1]:
                self.spark.sql(statement)
            return self.spark.sql(statements[-1]).toArrow()
        except PySparkException as err:
            first = str(err).strip().splitlines()[0]
            raise QueryError(f"SQL error (athena → spark): {first}", dialect="athena") from None


__all__ = ["SparkEngine"]
