"""The vectorized fast path: the same parse as `parse.line`, as one DuckDB SELECT.

It tokenizes the common shapes (six quotes in the standard places, or no quotes at all) with
`string_split`, converts every field, rebuilds the line from the converted values and keeps a
row only when the rebuilt line equals the raw line. That equality is the exact check: a row it
keeps is one the reference parser would produce identically, with `raw_line` NULL. Every other
line goes back to the reference parser. The SQL is generated from the field table.
"""

from __future__ import annotations

from functools import cache

from s3sleuth.fields import (
    BARE_DASH_OPERATIONS,
    COLUMN_ORDER,
    FIELDS,
    KNOWN_FIELDS,
    MIN_FIELDS,
    SINGLE_ENCODED_OPERATIONS,
    Field,
)

TIME_FORMAT = "[%d/%b/%Y:%H:%M:%S %z]"
CANONICAL_TIME_FORMAT = "[%d/%b/%Y:%H:%M:%S +0000]"


def _sql_list(values: frozenset[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def _value(field: Field) -> str:
    """SQL converting the wire token `w[i]` to the field's typed value."""
    tok = f"w[{field.position}]"
    if field.kind == "time":
        return f"CASE WHEN {tok} = '-' THEN NULL ELSE try_strptime({tok}, '{TIME_FORMAT}') END"
    if field.quoted:
        return (f"CASE WHEN {tok} IN ('-', '\"-\"') THEN NULL "
                f"WHEN {tok} LIKE '\"%\"' THEN {tok}[2:-2] END")
    if field.kind in ("int", "bigint"):
        dash = "0" if field.dash_is_zero else "NULL"
        return f"CASE WHEN {tok} = '-' THEN {dash} ELSE TRY_CAST({tok} AS {field.sql_type}) END"
    return f"NULLIF({tok}, '-')"


def _render(field: Field) -> str:
    """SQL rebuilding the canonical wire token from the typed value (see parse.render)."""
    col = f'"{field.name}"' if field.name != "key" else "key_raw"
    if field.kind == "time":
        render = f"strftime({col}, '{CANONICAL_TIME_FORMAT}')"
    elif field.quoted:
        bare = f"operation IN ({_sql_list(BARE_DASH_OPERATIONS)})"
        render = f"'\"' || {col} || '\"'"
        return f"CASE WHEN {col} IS NULL THEN (CASE WHEN {bare} THEN '-' ELSE '\"-\"' END) ELSE {render} END"
    elif field.dash_is_zero:
        render = f"CASE WHEN {col} = 0 THEN '-' ELSE CAST({col} AS VARCHAR) END"
    elif field.kind in ("int", "bigint"):
        render = f"CAST({col} AS VARCHAR)"
    else:
        render = col
    return f"COALESCE({render}, '-')"


def _decoded_key() -> str:
    once = "try(url_decode(key_raw))"
    twice = "try(url_decode(try(url_decode(key_raw))))"
    single = f"operation IN ({_sql_list(SINGLE_ENCODED_OPERATIONS)})"
    return f"CASE WHEN strpos(key_raw, '%') = 0 THEN key_raw WHEN {single} THEN {once} ELSE {twice} END"


@cache
def fastpath_sql(relation: str = "chunk") -> str:
    """A SELECT over `relation(source_line, line)` giving every `access_log` column plus `ok`.

    `source_file` is the statement's only parameter.
    """
    tokens = f"""
    SELECT source_line, line,
      CASE
        WHEN len(q) = 7 AND len(h) = 10 AND h[10] = '' AND len(m) = 8 AND m[1] = '' AND m[8] = ''
             AND q[5] = ' ' AND (q[7] = '' OR q[7][1] = ' ')
        THEN [h[1], h[2], h[3] || ' ' || h[4], h[5], h[6], h[7], h[8], h[9],
              '"' || q[2] || '"', m[2], m[3], m[4], m[5], m[6], m[7],
              '"' || q[4] || '"', '"' || q[6] || '"'] || list_slice(t, 2, len(t))
        WHEN len(q) = 1 AND len(s) > {MIN_FIELDS}
        THEN [s[1], s[2], s[3] || ' ' || s[4]] || list_slice(s, 5, len(s))
      END AS w
    FROM (
      SELECT source_line, line, q,
        string_split(q[1], ' ') AS h, string_split(q[3], ' ') AS m, string_split(line, ' ') AS s, string_split(q[7], ' ') AS t
      FROM (SELECT source_line, line, string_split(line, '"') AS q FROM {relation})
    )"""
    values = ",\n      ".join(f'{_value(f)} AS "{f.name}"' for f in FIELDS if f.name != "key")
    typed = f"""
    SELECT source_line, line, len(w) AS field_count,
      NULLIF(w[8], '-') AS key_raw,
      {values},
      CASE WHEN len(w) > {KNOWN_FIELDS} THEN array_to_string(list_slice(w, {KNOWN_FIELDS + 1}, len(w)), ' ') END
        AS extra_fields,
      -- An empty token is a doubled or trailing space; "TLS 1.3" (Storj) is one field in two
      -- tokens. The reference parser handles both.
      w IS NOT NULL AND NOT list_contains(w, '') AND w[24] IS DISTINCT FROM 'TLS' AS plain
    FROM ({tokens})"""
    rendered = ", ".join(
        f"CASE WHEN field_count >= {f.position} THEN {_render(f)} END" for f in FIELDS
    )
    decoded = f"""
    SELECT *, {_decoded_key()} AS decoded_key,
      concat_ws(' ', {rendered}, extra_fields) = line AS exact
    FROM ({typed})"""
    outputs = {
        "key": "decoded_key",
        "source_file": "CAST(? AS VARCHAR)",
        "raw_line": "CAST(NULL AS BLOB)",
        "date": 'CAST("time" AS DATE)',
        "field_count": "CAST(field_count AS SMALLINT)",
    }
    select = ",\n  ".join(f'{outputs.get(c, _quote(c))} AS {_quote(c)}' for c in COLUMN_ORDER)
    # A failed conversion renders as `-` (or not at all), so `exact` is false for it; only a
    # key that would not decode needs its own check.
    return f"""
SELECT {select},
  COALESCE(plain AND exact AND (key_raw IS NULL OR decoded_key IS NOT NULL), false) AS ok
FROM ({decoded})
"""


def _quote(name: str) -> str:
    return f'"{name}"'
