"""s3sleuth on Apache Spark (the `spark` extra): the same parse, store layout, enrichment and
diagnoses as the local DuckDB engine, for logs that outgrow one machine.

    import s3sleuth
    from s3sleuth.spark import ingest, session
    spark = session()                       # or the session your job already has
    ingest(spark, ["s3a://log-bucket/logs/"], "/dbfs/s3sleuth")
    with s3sleuth.open("/dbfs/s3sleuth", engine="spark", spark=spark) as store:
        findings = store.denied()

`SparkEngine` is imported on first use (`s3sleuth.engines.spark` imports `spark.schema`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from s3sleuth.spark.ingest import ingest
from s3sleuth.spark.session import session

__all__ = ["SparkEngine", "ingest", "session"]

if TYPE_CHECKING:
    from s3sleuth.engines.spark import SparkEngine as SparkEngine


def __getattr__(name: str) -> Any:
    if name == "SparkEngine":
        from s3sleuth.engines.spark import SparkEngine

        return SparkEngine
    raise AttributeError(f"module 's3sleuth.spark' has no attribute {name!r}")
