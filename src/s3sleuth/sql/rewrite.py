"""Athena (Trino) SQL to DuckDB and Spark, through sqlglot (see `sql.translate`, which caches it).

sqlglot does most of the work. Three constructs it leaves wrong are rewritten on the parse tree:

- `parse_datetime(x, 'joda')` keeps its Joda pattern -> `StrToTime` with a strftime pattern, as a
  timestamp with time zone (what Trino returns);
- `format_datetime(ts, 'joda')` is passed through -> `TimeToStr`;
- `date_add('hour', n, ts)` becomes Spark's day-only `DATE_ADD` -> `TIMESTAMPADD(HOUR, n, ts)`.

On the store (`typed_time`), a query over `s3_access_logs_db.mybucket_logs` that parses
`requestdatetime` back with AWS's pattern reads the typed time instead: the same instant,
without formatting every row's time to text and parsing it again (5-6x slower, measured).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from s3sleuth.errors import QueryError
from s3sleuth.fields import (
    ATHENA_DATABASE,
    ATHENA_TABLE,
    ATHENA_TIME_PATTERN,
    ATHENA_TYPED_TABLE,
    TYPED_TIME,
)

# Joda-Time pattern letters -> strftime. Longest runs first.
_JODA = {
    "yyyy": "%Y",
    "yy": "%y",
    "YYYY": "%Y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "dd": "%d",
    "d": "%-d",
    "HH": "%H",
    "H": "%-H",
    "hh": "%I",
    "h": "%-I",
    "mm": "%M",
    "m": "%-M",
    "ss": "%S",
    "s": "%-S",
    "SSSSSS": "%f",
    "SSS": "%g",
    "EEEE": "%A",
    "EEE": "%a",
    "a": "%p",
    "ZZ": "%z",
    "Z": "%z",
    "z": "%Z",
}
_JODA_TOKEN = re.compile(r"'([^']*)'|([A-Za-z])\2*|[^A-Za-z']+")


def joda_to_strftime(pattern: str) -> str:
    """Translate a Joda-Time pattern (Trino's parse_datetime/format_datetime) to strftime."""
    out = []
    for match in _JODA_TOKEN.finditer(pattern):
        text = match.group(0)
        if match.group(1) is not None:
            out.append(match.group(1) or "'")  # quoted literal; '' is a quote
        elif match.group(2) is not None:
            if text not in _JODA:
                raise QueryError(
                    f"unsupported Joda pattern letters {text!r} in {pattern!r}",
                    hint="use date_parse() with a MySQL-style pattern instead",
                )
            out.append(_JODA[text])
        else:
            out.append(text.replace("%", "%%"))
    return "".join(out)


def _literal_pattern(node: exp.Expression | None, function: str) -> str:
    if not isinstance(node, exp.Literal) or not node.is_string:
        raise QueryError(f"{function}() needs a literal pattern string")
    return joda_to_strftime(node.this)


# Trino functions DuckDB lacks, as DuckDB SQL templates over the call's arguments ({0}, {1}).
# A URL's parts follow RFC 3986's generic syntax; an absent part is NULL, as in Trino.
_URL = "^[A-Za-z][A-Za-z0-9+.-]*://"
DUCKDB_FUNCTIONS: dict[str, str] = {
    "to_iso8601": (
        "CASE typeof({0}) WHEN 'DATE' THEN strftime({0}, '%Y-%m-%d') "
        "WHEN 'TIMESTAMP WITH TIME ZONE' THEN strftime({0}, '%Y-%m-%dT%H:%M:%S.%gZ') "
        "ELSE strftime({0}, '%Y-%m-%dT%H:%M:%S.%g') END"
    ),
    "url_extract_protocol": "nullif(regexp_extract({0}, '^([A-Za-z][A-Za-z0-9+.-]*):', 1), '')",
    "url_extract_host": f"nullif(regexp_extract({{0}}, '{_URL}(?:[^@/?#]*@)?([^:/?#]*)', 1), '')",
    "url_extract_port": (
        f"try_cast(nullif(regexp_extract({{0}}, '{_URL}(?:[^@/?#]*@)?[^:/?#]*:([0-9]+)', 1), '')"
        " AS bigint)"
    ),
    "url_extract_path": f"regexp_extract({{0}}, '^(?:{_URL}[^/?#]*)?([^?#]*)', 1)",
    "url_extract_query": "nullif(regexp_extract({0}, '\\?([^#]*)', 1), '')",
    "url_extract_fragment": "nullif(regexp_extract({0}, '#(.*)$', 1), '')",
    "url_extract_parameter": ("nullif(regexp_extract({0}, '[?&]' || {1} || '=([^&#]*)', 1), '')"),
}


def _duckdb_function(node: exp.Anonymous) -> Any:
    template = DUCKDB_FUNCTIONS.get(node.name.lower())
    if template is None:
        return None
    args = [f"({a.sql('duckdb')})" for a in node.expressions]
    return sqlglot.parse_one(template.format(*args), read="duckdb")


def _rewrite(node: exp.Expression, target: str) -> exp.Expression:
    if target == "duckdb" and isinstance(node, exp.Anonymous):
        replaced: exp.Expression | None = _duckdb_function(node)
        if replaced is not None:
            return replaced
    if isinstance(node, exp.ParseDatetime):
        fmt = _literal_pattern(node.args.get("format"), "parse_datetime")
        # safe: `-` gives NULL instead of failing the query; Athena's RegexSerDe would have
        # NULLed such a row before parse_datetime ever saw it.
        parsed = exp.StrToTime(this=node.this, format=exp.Literal.string(fmt), safe=True)
        # Trino's parse_datetime gives a timestamp WITH time zone; sqlglot's cast is to one
        # without (engines run in UTC, so the instant is kept).
        return exp.cast(parsed, exp.DataType.build("timestamptz"))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "format_datetime":
        if len(node.expressions) != 2:
            raise QueryError("format_datetime() takes a timestamp and a pattern")
        value, pattern = node.expressions
        fmt = _literal_pattern(pattern, "format_datetime")
        return exp.TimeToStr(this=value, format=exp.Literal.string(fmt))
    if target == "spark" and isinstance(node, exp.DateAdd):
        unit = node.text("unit").upper() or "DAY"
        if unit != "DAY":
            return exp.Anonymous(
                this="TIMESTAMPADD", expressions=[exp.var(unit), node.expression, node.this]
            )
    return node


# How users parse requestdatetime back: AWS's documented pattern, or the table's own.
_AWS_TIME_PATTERNS = frozenset({"dd/MMM/yyyy:HH:mm:ss Z", ATHENA_TIME_PATTERN})


def _parses_request_time(node: exp.Expression) -> bool:
    pattern = node.args.get("format")
    return (
        isinstance(node, exp.ParseDatetime)
        and isinstance(node.this, exp.Column)
        and node.this.name.lower() == "requestdatetime"
        and isinstance(pattern, exp.Literal)
        and pattern.this in _AWS_TIME_PATTERNS
    )


def _typed_time(tree: Any) -> Any:
    """Each SELECT over the AWS table (without `*`) that parses requestdatetime reads the
    typed twin of the table and its typed time column."""
    for select in list(tree.find_all(exp.Select)):
        sources = [t for t in select.find_all(exp.Table) if t.parent_select is select]
        aws = [
            t for t in sources if t.name.lower() == ATHENA_TABLE and t.db.lower() == ATHENA_DATABASE
        ]
        if len(aws) != 1 or len(sources) != 1 or select.is_star:
            continue
        parses = [n for n in select.find_all(exp.ParseDatetime) if _parses_request_time(n)]
        if not parses:
            continue
        for node in parses:
            column = node.this
            node.replace(exp.column(TYPED_TIME, table=column.table or None))
        aws[0].set("this", exp.to_identifier(ATHENA_TYPED_TABLE))
    return tree


def _syntax_error(err: ParseError, source: str) -> str:
    """`athena SQL syntax error near 'SELEC 1' (line 1, column 7)`: where, in plain words."""
    if not err.errors:
        return f"{source} SQL syntax error: {str(err).splitlines()[0]}"
    first = err.errors[0]
    near = f"{first.get('start_context') or ''}{first.get('highlight') or ''}".strip()
    near = " ".join(near.split())[-40:]
    what = str(first.get("description") or "").split(" / ")[0].lower()
    where = f"line {first.get('line')}, column {first.get('col')}"
    return f"{source} SQL syntax error near {near!r} ({where}): {what}"


def rewrite(sql: str, target: str, source: str, *, typed_time: bool = False) -> list[str]:
    """Translate one or more statements from `source` to `target` with sqlglot."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=source) if t is not None]
    except ParseError as err:
        raise QueryError(_syntax_error(err, source), dialect=source) from None
    if typed_time:
        trees = [_typed_time(t) for t in trees]
    return [t.transform(partial(_rewrite, target=target)).sql(target) for t in trees]
