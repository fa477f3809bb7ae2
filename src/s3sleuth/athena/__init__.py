"""s3sleuth and Amazon Athena: DDL for the log bucket or an uploaded store, and the diagnoses
run as Athena queries (the `athena` extra)."""

from s3sleuth.athena.ddl import parquet_ddl, regex_ddl
from s3sleuth.engines.athena import AthenaEngine, AthenaOptions

__all__ = ["AthenaEngine", "AthenaOptions", "parquet_ddl", "regex_ddl"]
