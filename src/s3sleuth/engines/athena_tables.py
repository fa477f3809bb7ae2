"""The diagnoses' tables over an Athena table, as Athena SQL common table expressions.

The diagnoses query `access_log` (typed, with the enrichment columns), `transfer_events` and
`cloudtrail_events`. On Athena those become CTEs in front of each query, over either

- `logs`: the AWS-documented RegexSerDe table (format.md §6a, or `s3sleuth athena ddl`), whose
  columns are the logged strings: the mapping below types them as the parser does, from the
  field table; or
- `store`: an s3sleuth store uploaded to S3 (`s3sleuth athena ddl --parquet`), already typed;
- `s3tables`: the S3 Tables (Iceberg) mirror of a CloudWatch Logs log group, whose columns
  are the JSON record's keys (`s3sleuth athena ddl --source s3tables`).

Transfer Family and CloudTrail events are not in Athena here: their CTEs are empty, so
findings carry no evidence from them. The other views are those of `views.catalog`, as CTEs.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from s3sleuth.fields import FIELDS, JSON_ONLY, SINGLE_ENCODED_OPERATIONS, Field, column_types
from s3sleuth.sql.literal import string_list
from s3sleuth.views import catalog
from s3sleuth.views.enrich import ENRICHMENTS, ON_READ, select_sql

TABLE_FORMATS = ("logs", "store", "s3tables")
# The table CloudWatch Logs mirrors a log group into (format-cloudwatch.md §3.5).
S3TABLES_TABLE = '"s3tablescatalog/aws-cloudwatch"."logs"."amazon_s3__server_access"'


def _quoted(column: str) -> str:
    """A quoted wire token (`"GET / HTTP/1.1"`, `"-"` or `-`) without its quotes; NULL for -."""
    return (
        f"CASE WHEN {column} IN ('-', '\"-\"') THEN NULL "
        f"WHEN {column} LIKE '\"%\"' THEN substr({column}, 2, length({column}) - 2) "
        f"ELSE {column} END"
    )


def _decoded_key(column: str) -> str:
    """Percent-decoding as S3 encodes Keys (format.md §4): `+` is literal, twice for most
    operations; a malformed escape keeps the logged form rather than failing the query."""

    def once(value: str) -> str:
        return f"url_decode(replace({value}, '+', '%2B'))"

    single = string_list(sorted(SINGLE_ENCODED_OPERATIONS))
    raw = f"NULLIF({column}, '-')"
    return (
        f"CASE WHEN operation IN ({single}) THEN coalesce(try({once(raw)}), {raw}) "
        f"ELSE coalesce(try({once(once(raw))}), {raw}) END"
    )


def _typed(f: Field) -> str:
    col = f'"{f.athena}"'
    if f.kind == "time":
        return f"parse_datetime({col}, 'dd/MMM/yyyy:HH:mm:ss Z')"
    if f.name == "key":
        return _decoded_key(col)
    if f.quoted:
        return _quoted(col)
    if f.athena_type == "BIGINT":
        return f"coalesce({col}, 0)" if f.dash_is_zero else col
    if f.kind in ("int", "bigint"):
        kind = "integer" if f.kind == "int" else "bigint"
        return f"try_cast(NULLIF({col}, '-') AS {kind})"
    return f"NULLIF({col}, '-')"


def _logs_columns() -> dict[str, str]:
    """`access_log` column -> Athena SQL over the RegexSerDe table's columns."""
    by_name = {f.name: _typed(f) for f in FIELDS}
    by_name["key_raw"] = "NULLIF(\"key\", '-')"
    by_name["date"] = f"CAST({by_name['time']} AS date)"
    by_name["delivery"] = "'text'"
    typed: dict[str, str] = {}
    for name, sql_type in column_types().items():
        typed[name] = by_name.get(name) or f"CAST(NULL AS {_athena_type(sql_type)})"
    return typed


def _s3tables_typed(f: Field) -> str:
    """A column of the S3 Tables mirror (the JSON record's keys) as `access_log` types it.
    Its types are documented only for `request_time` (timestamptz) and `http_status` (int)
    (format-cloudwatch.md §3.5): the rest is cast, so either a number or a string reads."""
    col = f'"{f.json_key}"'
    if f.kind == "time":
        return col
    if f.name == "acl_required":  # boolean, or "Yes"
        return f"CASE WHEN lower(CAST({col} AS varchar)) IN ('true', 'yes') THEN 'Yes' END"
    if f.kind in ("int", "bigint"):
        kind = "integer" if f.kind == "int" else "bigint"
        typed = f"try_cast({col} AS {kind})"
        return f"coalesce({typed}, 0)" if f.dash_is_zero else typed
    return f"NULLIF({col}, '-')"


def _s3tables_columns() -> dict[str, str]:
    """`access_log` column -> Athena SQL over the S3 Tables table's columns. The Key is kept
    as delivered in both `key` and `key_raw`."""
    by_name = {f.name: _s3tables_typed(f) for f in FIELDS}
    by_name["key_raw"] = by_name["key"]
    by_name["date"] = f"CAST({by_name['time']} AS date)"
    by_name["delivery"] = "'json'"
    by_name["field_count"] = f"CAST({len(FIELDS)} AS smallint)"
    by_name.update({column: f'"{key}"' for column, key in JSON_ONLY.items()})
    return {
        name: by_name.get(name) or f"CAST(NULL AS {_athena_type(sql_type)})"
        for name, sql_type in column_types().items()
    }


def _athena_type(duckdb_type: str) -> str:
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql("athena")


def _empty(columns: dict[str, str]) -> str:
    cols = ", ".join(f'CAST(NULL AS {_athena_type(t)}) AS "{n}"' for n, t in columns.items())
    return f"SELECT {cols} WHERE false"


def stored_sql(table: str, table_format: str = "logs") -> str:
    """Athena SQL for `access_log_stored` over `table` (database-qualified): the typed fields
    of the raw logs, or an uploaded store as it is (with its stored enrichment)."""
    if table_format == "store":
        return f"SELECT * FROM {table}"
    columns = _s3tables_columns() if table_format == "s3tables" else _logs_columns()
    cols = ",\n    ".join(f'{sql} AS "{name}"' for name, sql in columns.items())
    return f"SELECT\n    {cols}\n  FROM {table}"


def access_log_sql(table: str, table_format: str = "logs") -> str:
    """Athena SQL for `access_log` (typed, enriched) over `table`, in one statement."""
    rules = ON_READ if table_format == "store" else ENRICHMENTS
    return select_sql(rules, f"({stored_sql(table, table_format)}) AS stored")


def _definitions(table: str, table_format: str) -> dict[str, str]:
    """Every table a diagnosis may name -> its Athena SQL, in dependency order. The AWS
    table is Athena's own (the user's table); events are not in Athena here: empty."""
    enriched = table_format == "store"
    bases = catalog.base_tables(enriched)
    out = {"access_log_stored": stored_sql(table, table_format)}
    out |= {name: _empty(cols) for name, cols in bases.items() if name not in out}
    return out | {v.name: v.athena for v in catalog.views(enriched) if v.schema is None}


def _names(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="athena")
    return {t.name for t in tree.find_all(exp.Table) if not t.db}


def with_tables(sql: str, table: str, table_format: str = "logs") -> str:
    """`sql` (one Athena statement over the diagnoses' tables) with those tables, and what
    they are built from, as CTEs ahead of the statement's own."""
    tree = sqlglot.parse_one(sql, read="athena")
    definitions = _definitions(table, table_format)
    own = {cte.alias for cte in tree.find_all(exp.CTE)}
    needed: set[str] = set()
    frontier = {t.name for t in tree.find_all(exp.Table) if not t.db} - own
    while frontier:
        name = frontier.pop()
        if name in definitions and name not in needed:
            needed.add(name)
            frontier |= _names(definitions[name]) - needed
    ctes = [
        exp.CTE(
            this=sqlglot.parse_one(body, read="athena"),
            alias=exp.TableAlias(this=exp.to_identifier(name)),
        )
        for name, body in definitions.items()
        if name in needed
    ]
    if ctes:
        existing = tree.args.get("with_")
        tree.set(
            "with_", exp.With(expressions=[*ctes, *(existing.expressions if existing else [])])
        )
    return tree.sql("athena")
