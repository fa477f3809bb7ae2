"""s3sleuth on Apache Spark (the `spark` extra): the same parse, store layout, enrichment and
diagnoses as the local DuckDB engine, for logs that outgrow one machine.

    from s3sleuth.spark import SparkEngine, ingest, session
    spark = session()                       # or the session your job already has
    ingest(spark, ["s3a://log-bucket/logs/"], "/dbfs/s3sleuth")
    findings = s3sleuth.denied(SparkEngine(spark, "/dbfs/s3sleuth"))
"""

from s3sleuth.spark.engine import SparkEngine
from s3sleuth.spark.ingest import ingest
from s3sleuth.spark.session import session

__all__ = ["SparkEngine", "ingest", "session"]
