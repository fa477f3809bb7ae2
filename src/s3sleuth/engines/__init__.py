"""Where SQL runs. The diagnoses are written once, in Athena SQL, against the tables of
`views.catalog`; an engine provides those tables and runs the SQL.

- `duckdb`: the local store, one connection a session (`engines.duckdb`);
- `spark`: Spark over a store, the store's tables as temporary views (`engines.spark`);
- `athena`: Amazon Athena over AWS's table of the raw logs or an uploaded store, the tables as
  common table expressions (`engines.athena`).

pyspark and boto3 are imported only when their engine is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pyarrow as pa

ENGINES = ("duckdb", "spark", "athena")


@runtime_checkable
class Engine(Protocol):
    name: str

    def run(self, sql: str) -> pa.Table:
        """Run one Athena (Trino) SQL statement; the result as an Arrow table."""
        ...

    def records(self, sql: str) -> list[dict[str, Any]]:
        """`run`'s result as Python dicts (the store's engine skips Arrow to make them)."""
        ...

    def close(self) -> None:
        """Release what the engine holds (a connection); the engine is not used again."""
        ...


__all__ = ["ENGINES", "Engine"]
