"""`query` is read-only unless asked otherwise: the statements a user's SQL may run.

DuckDB can read any file the process can (`read_csv('/etc/passwd')`, `FROM 'x.csv'`), write
files (`COPY`), attach databases, install and load extensions, and read the environment. A
store's query needs none of that, so the SQL, once translated to DuckDB's dialect, is checked
before it runs: only SELECT (with WITH, set operations and VALUES), DESCRIBE, SHOW, SUMMARIZE
and EXPLAIN of those; no table functions or tables that name files; no `getenv`. `--unsafe`
(`unsafe=True`) lifts the check for users who want DuckDB's full power.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from s3sleuth.errors import QueryError

_STATEMENTS = ("Select", "Union", "Intersect", "Except", "Values", "Describe", "Show", "Summarize")
_FILE_FUNCTIONS = re.compile(
    r"(read_\w+|parquet_\w+|sniff_\w+|\w+_scan|glob|getenv|query|query_table|load_\w+)",
    re.IGNORECASE,
)
# A table name that is a path or a file name: DuckDB would read the file it names.
_FILE_LIKE = re.compile(r"[/\\~:]|\.[A-Za-z0-9]+$")


def _refuse(what: str) -> QueryError:
    return QueryError(
        f"query is read-only: {what} is not allowed",
        hint="query runs SELECT, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN on the store's tables; "
        "add --unsafe to run any DuckDB statement",
    )


def check(sql: str) -> None:
    """Raise QueryError when the DuckDB `sql` (one or more statements) could write, or read
    beyond the store."""
    import sqlglot
    from sqlglot.errors import ParseError

    quiet = logging.getLogger("sqlglot")
    level, quiet.level = quiet.level, logging.ERROR  # EXPLAIN parses as a Command, on purpose
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except ParseError:
        raise _refuse("a statement s3sleuth cannot read") from None
    finally:
        quiet.setLevel(level)
    for tree in trees:
        if tree is not None:
            _check_tree(tree)


def _check_tree(tree: Any) -> None:
    from sqlglot import exp

    if isinstance(tree, exp.Command) and str(tree.this).upper() == "EXPLAIN":
        inner = tree.expression.name if tree.expression else ""
        check(re.sub(r"^\s*ANALY[SZ]E\b", "", inner, flags=re.IGNORECASE))
        return
    kind = type(tree).__name__
    if kind not in _STATEMENTS:
        keyword = str(tree.this).upper() if isinstance(tree, exp.Command) else kind.upper()
        raise _refuse(keyword)
    for node in tree.find_all(exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        if _FILE_FUNCTIONS.fullmatch(name):
            raise _refuse(f"{name.lower()}()")
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier) and _FILE_LIKE.search(table.name):
            raise _refuse(f"reading the file {table.name!r}")


def check_all(statements: list[str]) -> None:
    """Check each statement; statements found read-only before are remembered on disk (next
    to the translation cache), so a repeated query does not load sqlglot to check it."""
    from s3sleuth.sql.translate import cache_dir, versions

    text = "\0".join((versions(), "read-only", *statements))
    key = hashlib.sha256(text.encode()).hexdigest()
    directory = cache_dir()
    marker = directory.parent / "read-only" / key if directory is not None else None
    if marker is not None and marker.exists():
        return
    for statement in statements:
        check(statement)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only home: check every time
