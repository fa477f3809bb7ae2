"""Rendering a library result: a table for people, every key in JSON and CSV for programs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from s3sleuth.diagnose.result import Item, Result, as_rows
from s3sleuth.output import emit_rows, write_json


def table_row(item: Item, columns: Sequence[str]) -> dict[str, Any]:
    """An item as one line of a table: its `row()` when it has one, else `columns` of it;
    lists are joined with commas."""
    row = item.row() if hasattr(item, "row") else {c: item[c] for c in columns}  # type: ignore[index]
    return {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}


def show(
    result: Result[Any],
    fmt: str,
    *,
    empty: dict[str, Any] | None = None,
    drop_empty: Sequence[str] = (),
) -> None:
    """Print `result` in `fmt`. JSON is exactly `[x.to_dict() for x in result]`. In a table,
    `empty` stands in for no rows, and the `drop_empty` columns go when no row has a value."""
    if fmt == "json":
        write_json(result.to_dicts(), sys.stdout)
        return
    if fmt not in ("table", "tsv"):
        emit_rows(as_rows(result.to_dicts()), fmt, console=Console())
        return
    rows = [table_row(item, result.columns) for item in result]
    for column in drop_empty:
        if not any(r.get(column) for r in rows):
            for r in rows:
                r.pop(column, None)
    if not rows and empty is not None:
        rows = [empty]
    emit_rows(as_rows(rows), fmt, console=Console())
