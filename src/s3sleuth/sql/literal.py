"""SQL string literals: the one place values are quoted into generated SQL."""

from __future__ import annotations

from collections.abc import Iterable


def string_literal(value: str) -> str:
    """`value` as an SQL string literal (quotes doubled; valid in Athena, DuckDB and Spark)."""
    return "'" + value.replace("'", "''") + "'"


def string_list(values: Iterable[str]) -> str:
    """Comma-separated literals, sorted, for an `IN (...)` list."""
    return ", ".join(string_literal(v) for v in sorted(values))
