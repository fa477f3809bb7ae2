"""Running SQL against the store, in Athena's dialect by default."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from s3sleuth.errors import QueryError
from s3sleuth.sql.engine import Engine, StoreRef
from s3sleuth.sql.translate import DIALECTS, translate
from s3sleuth.store.catalog import connect
from s3sleuth.store.store import Store


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, dialect: str = "athena") -> pa.Table:
    """Run `sql` (one or more statements) on `con`; returns the last statement's result."""
    if dialect not in ("athena", "duckdb"):
        raise QueryError(
            f"queries run on DuckDB; dialect {dialect!r} is not accepted here",
            hint=f"use --dialect athena or duckdb (known: {', '.join(DIALECTS)})",
        )
    statements = translate(sql, target="duckdb", source=dialect)
    if not statements:
        raise QueryError("no SQL statement given", dialect=dialect)
    try:
        for statement in statements[:-1]:
            con.execute(statement)
        relation = con.sql(statements[-1])
        return pa.table({}) if relation is None else relation.to_arrow_table()
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0]
        via = "" if dialect == "duckdb" else " → duckdb"
        raise QueryError(f"SQL error ({dialect}{via}): {first}", dialect=dialect) from None


def query(sql: str, store: StoreRef = None, dialect: str = "athena") -> pa.Table:
    """Run SQL against the store's tables and views; returns an Arrow table.

    `store` is a store directory, or an `Engine` (Spark, Athena), which takes Athena SQL only.
    """
    if isinstance(store, Engine):
        if dialect != "athena":
            raise QueryError(
                f"the {store.name} engine takes Athena SQL", hint="use --dialect athena"
            )
        return store.run(sql)
    target = Store.open(store)
    try:
        con = connect(target)
        try:
            return run_sql(con, sql, dialect)
        finally:
            con.close()
    finally:
        target.close()
