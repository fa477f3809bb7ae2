"""`s3_access_logs_db.mybucket_logs`: the AWS-documented Athena table (format.md §6a, §6c).

Its columns are the logged strings under AWS's names, rebuilt from `access_log` in Athena SQL
(the inverse of the parser's typing), so queries copied from AWS docs and blog posts run as
they are: `-` where the log had one, quoted fields with their quotes, the legacy column names.
"""

from __future__ import annotations

from s3sleuth.fields import (
    ATHENA_DATABASE,
    ATHENA_TABLE,
    ATHENA_TIME_PATTERN,
    ATHENA_TYPED_TABLE,
    BARE_DASH_OPERATIONS,
    FIELDS,
    TYPED_TIME,
    Field,
)
from s3sleuth.sql.literal import string_list

SCHEMA, TABLE, TYPED_TABLE = ATHENA_DATABASE, ATHENA_TABLE, ATHENA_TYPED_TABLE


def _token(f: Field) -> str:
    """Athena SQL: the field's wire token (the string Athena's RegexSerDe would give)."""
    col = f'"{f.name}"' if f.name != "key" else "key_raw"
    if f.kind == "time":
        value = f"format_datetime({col}, '{ATHENA_TIME_PATTERN}')"
    elif f.name == "bytes_sent":
        return f"NULLIF({col}, 0)"  # Athena reads the logged `-` as NULL
    elif f.athena_type == "BIGINT":
        return col
    elif f.quoted:
        bare = f"operation IN ({string_list(BARE_DASH_OPERATIONS)})"
        dash = f"CASE WHEN {bare} THEN '-' ELSE '\"-\"' END"
        return f"CASE WHEN {col} IS NULL THEN ({dash}) ELSE '\"' || {col} || '\"' END"
    elif f.kind in ("int", "bigint"):
        value = f"CAST({col} AS varchar)"
    else:
        value = col
    return f"COALESCE({value}, '-')"


def columns() -> dict[str, str]:
    """Athena column name -> Athena SQL over `access_log`, in the documented order."""
    cols: dict[str, str] = {}
    for f in FIELDS:
        # A field the line's era did not have is NULL, as in Athena's optional regex groups.
        cols[f.athena] = f"CASE WHEN field_count >= {f.position} THEN {_token(f)} END"
    request_part = "COALESCE(regexp_extract(request_uri, '^(\\S*) (.*) (\\S*)$', {}), '-')"
    cols.update(
        {
            "bucket": cols["bucket_name"],
            "requesturi_operation": request_part.format(1),
            "requesturi_key": request_part.format(2),
            "requesturi_httpprotoversion": request_part.format(3),
            "hostheader": cols["endpoint"],
            "timestamp": "date_format(\"date\", '%Y/%m/%d')",
        }
    )
    return cols


def select_sql(typed_time: bool = False) -> str:
    """Athena SQL of the table; with `typed_time`, plus the typed time (see TYPED_TIME)."""
    body = ",\n  ".join(f'{sql} AS "{name}"' for name, sql in columns().items())
    extra = f',\n  "time" AS {TYPED_TIME}' if typed_time else ""
    return f"SELECT\n  {body}{extra}\nFROM access_log"
