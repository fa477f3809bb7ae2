"""The DuckDB catalog: the views users query, generated from the field table.

- `access_log`: typed and clean; `-` is NULL (Bytes Sent `-` is 0).
- `rejects`: every line that did not parse, with its source, line number and reason.
- `transfer_events`, `cloudtrail_events`: Transfer Family events and CloudTrail records, each
  once (de-duplicated on `event_id`; `*_stored` has every copy as ingested), and
  `transfer_matches`, `cloudtrail_matches`: their joins to `access_log` (see correlate.joins).
- `s3_access_logs_db.mybucket_logs`: the AWS-documented Athena table (format.md §6a), with its
  string values and the legacy column names of §6c, so queries copied from AWS docs run as-is.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from s3sleuth.correlate.joins import match_views
from s3sleuth.enrich import enrichment_sql
from s3sleuth.events.tables import EVENT_TABLES, unique_events_sql
from s3sleuth.fields import (
    BARE_DASH_OPERATIONS,
    FIELDS,
    REJECT_COLUMNS,
    Field,
    column_types,
)
from s3sleuth.sql.literal import string_list, string_literal
from s3sleuth.store.store import Store

if TYPE_CHECKING:
    import duckdb

ATHENA_SCHEMA = "s3_access_logs_db"
ATHENA_TABLE = "mybucket_logs"


CANONICAL_TIME_FORMAT = "[%d/%b/%Y:%H:%M:%S +0000]"


def wire_token_sql(field: Field) -> str:
    """SQL rebuilding the canonical wire token from an `access_log` row (see parse.render).

    Athena's RegexSerDe table exposes these tokens as its string values.
    """
    col = f'"{field.name}"' if field.name != "key" else "key_raw"
    if field.kind == "time":
        render = f"strftime({col}, '{CANONICAL_TIME_FORMAT}')"
    elif field.quoted:
        bare = f"operation IN ({string_list(BARE_DASH_OPERATIONS)})"
        render = f"'\"' || {col} || '\"'"
        dash = f"CASE WHEN {bare} THEN '-' ELSE '\"-\"' END"
        return f"CASE WHEN {col} IS NULL THEN ({dash}) ELSE {render} END"
    elif field.dash_is_zero:
        render = f"CASE WHEN {col} = 0 THEN '-' ELSE CAST({col} AS VARCHAR) END"
    elif field.kind in ("int", "bigint"):
        render = f"CAST({col} AS VARCHAR)"
    else:
        render = col
    return f"COALESCE({render}, '-')"


def _typed_empty(columns: dict[str, str]) -> str:
    cols = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in columns.items())
    return f"SELECT {cols} WHERE false"


def _table_source(store: Store, table: str, columns: dict[str, str]) -> str:
    if not store.parquet_files(table):
        return _typed_empty(columns)
    pattern = string_literal(str(store.table_dir(table).resolve() / "**" / "*.parquet"))
    cols = ", ".join(f'"{n}"' for n in columns)
    return (
        f"SELECT {cols} FROM read_parquet({pattern}, union_by_name = true,"
        " hive_partitioning = false)"
    )


def athena_columns() -> dict[str, str]:
    """Athena column name -> SQL over `access_log`, in the documented order."""
    cols: dict[str, str] = {}
    for f in FIELDS:
        if f.kind == "time":
            value = "COALESCE(strftime(\"time\", '%d/%b/%Y:%H:%M:%S +0000'), '-')"
        elif f.name == "bytes_sent":
            value = "NULLIF(bytes_sent, 0)"  # Athena reads the logged `-` as NULL
        elif f.athena_type == "BIGINT":
            value = f'"{f.name}"'
        else:
            value = wire_token_sql(f)
        # A field the line's era did not have is NULL, as in Athena's optional regex groups.
        cols[f.athena] = f"CASE WHEN field_count >= {f.position} THEN {value} END"
    request_part = "COALESCE(regexp_extract(request_uri, '^(\\S*) (.*) (\\S*)$', {}), '-')"
    cols.update(
        {
            "bucket": cols["bucket_name"],
            "requesturi_operation": request_part.format(1),
            "requesturi_key": request_part.format(2),
            "requesturi_httpprotoversion": request_part.format(3),
            "hostheader": cols["endpoint"],
            "timestamp": "strftime(\"date\", '%Y/%m/%d')",
        }
    )
    return cols


@cache
def translated_views() -> tuple[str, dict[str, str]]:
    """The parts of the views written in Athena SQL, translated for DuckDB: the enrichment
    SELECT list, and {view name: query} of the event and match views.

    Cached, and independent of any store, so an ingest can prepare it while its last Parquet
    files are written (sqlglot takes ~0.15 s the first time).
    """
    from s3sleuth.sql.translate import translate  # sqlglot: ingest imports it on a thread

    queries = {name: unique_events_sql(name) for name in EVENT_TABLES} | match_views()
    return enrichment_sql("duckdb"), {
        name: translate(sql, target="duckdb")[0] for name, sql in queries.items()
    }


def prepare() -> None:
    """Everything writing a catalog needs that does not depend on the store: DuckDB and
    sqlglot loaded, the SQL translated. An ingest runs it on a thread while it finishes."""
    import duckdb  # noqa: F401

    translated_views()


def view_statements(store: Store) -> list[str]:
    athena = ",\n  ".join(f'{sql} AS "{name}"' for name, sql in athena_columns().items())
    enrichment, queries = translated_views()
    return [
        "CREATE OR REPLACE VIEW access_log AS SELECT *, "
        + enrichment
        + f" FROM ({_table_source(store, 'access_log', column_types())})",
        f"CREATE OR REPLACE VIEW rejects AS {_table_source(store, 'rejects', REJECT_COLUMNS)}",
        *(
            f"CREATE OR REPLACE VIEW {name}_stored AS {_table_source(store, name, cols)}"
            for name, cols in EVENT_TABLES.items()
        ),
        *(f"CREATE OR REPLACE VIEW {name} AS {query}" for name, query in queries.items()),
        f"CREATE SCHEMA IF NOT EXISTS {ATHENA_SCHEMA}",
        f"CREATE OR REPLACE VIEW {ATHENA_SCHEMA}.{ATHENA_TABLE} AS "
        f"SELECT\n  {athena}\nFROM access_log",
    ]


def configure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")


def connect(store: Store) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the store's views defined."""
    import duckdb

    con = duckdb.connect()
    configure(con)
    for statement in view_statements(store):
        con.execute(statement)
    return con


def write_catalog_file(store: Store) -> Path:
    """Persist the views in `catalog.duckdb`, for any DuckDB client
    (`duckdb STORE/catalog.duckdb`)."""
    import duckdb  # imported ahead, on a thread, by an ingest (see `prepare`)

    tmp = store.catalog_path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for statement in view_statements(store):
            con.execute(statement)
    finally:
        con.close()
    tmp.replace(store.catalog_path)
    return store.catalog_path


__all__ = ["ATHENA_SCHEMA", "ATHENA_TABLE", "connect", "write_catalog_file"]
