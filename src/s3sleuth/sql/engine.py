"""Where SQL runs. The diagnoses are written once, in Athena SQL, against these tables:
`access_log` (with the enrichment columns), `transfer_events` and `cloudtrail_events`.

The default engine is the local store's DuckDB catalog (`sql.run`). Any object with a `run`
method that takes such Athena SQL and returns Arrow can stand in for it: Spark
(`s3sleuth.spark.SparkEngine`) and Athena (`s3sleuth.athena.AthenaEngine`) do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyarrow as pa

from s3sleuth.errors import UsageError

if TYPE_CHECKING:
    from s3sleuth.athena.engine import AthenaOptions

ENGINES = ("duckdb", "spark", "athena")


@runtime_checkable
class Engine(Protocol):
    name: str

    def run(self, sql: str) -> pa.Table:
        """Run one Athena (Trino) SQL statement; the result as an Arrow table."""
        ...


# What the library's diagnoses accept: a store directory (None: the default one), or an engine.
StoreRef = str | Path | Engine | None


def open_engine(
    engine: str, store: str | Path | None = None, athena: AthenaOptions | None = None
) -> StoreRef:
    """What the diagnoses should query: the store itself (duckdb), Spark over the store, or
    Athena over the table `athena` names. Spark and boto3 are imported only here, when asked."""
    if engine == "duckdb":
        return store
    if engine == "spark":
        from s3sleuth.spark import SparkEngine, session

        return SparkEngine(session(), store)
    if engine == "athena":
        from s3sleuth.athena.engine import AthenaEngine

        if athena is None:
            raise UsageError("--engine athena needs a database and table")
        return AthenaEngine(athena)
    raise UsageError(f"unknown engine {engine!r}", hint=f"use one of {', '.join(ENGINES)}")
