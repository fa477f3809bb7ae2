"""Rendering result tables: `table` for people, `json`, `csv` and `parquet` for programs.

Every `--format json` output is one JSON array of objects keyed by column name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from s3sleuth.errors import UsageError
from s3sleuth.values import jsonable

FORMATS = ("table", "json", "csv", "parquet")

# C0 and C1 control characters, except tab and newline: log fields come from whoever sent the
# request, and ESC or BEL would let them retitle or recolour the user's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def scrub(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return scrub(str(jsonable(value)))


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    return [{k: jsonable(v) for k, v in row.items()} for row in table.to_pylist()]


def write_json(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    json.dump(list(rows), out, indent=2, ensure_ascii=False)
    out.write("\n")


# Spreadsheets run a cell that starts with one of these as a formula; log fields (user agents,
# keys, referers) are chosen by whoever sent the request. `--no-csv-defuse` turns this off.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DEFUSE_CSV = True


def defuse(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading `'` before a formula character.
    A bare number such as -5 is left alone."""
    if text.startswith(FORMULA_PREFIXES):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def write_csv(table: pa.Table, out: TextIO, *, defuse_cells: bool | None = None) -> None:
    safe = DEFUSE_CSV if defuse_cells is None else defuse_cells
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_csv_cell(v, safe) for v in row.values()])


def _csv_cell(value: Any, safe: bool = True) -> Any:
    """Lists and objects (IAM actions, policy statements) go in one cell as JSON."""
    if value is None:
        return ""
    value = jsonable(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if safe and isinstance(value, str):
        return defuse(value)
    return value


def write_table(table: pa.Table, console: Console, title: str | None = None) -> None:
    view = Table(title=title, header_style="bold", show_lines=False)
    for name in table.column_names:
        numeric = pa.types.is_integer(table.schema.field(name).type)
        view.add_column(scrub(name), justify="right" if numeric else "left", overflow="fold")
    for row in table.to_pylist():
        view.add_row(*(cell(v) for v in row.values()))
    console.print(view)
    if table.num_rows == 0:
        console.print("(no rows)", style="dim")


def emit(
    table: pa.Table, fmt: str, output: Path | None = None, console: Console | None = None
) -> None:
    """Write `table` in `fmt` to `output`, or to stdout."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise UsageError("--format parquet needs an output file", hint="add -o FILE.parquet")
        pq.write_table(table, output)
        return
    buffer = io.StringIO()
    if fmt == "json":
        write_json(rows_of(table), buffer)
    elif fmt == "csv":
        write_csv(table, buffer)
    else:
        width = None if output is None else 200
        target = Console(file=buffer, width=width, force_terminal=False) if output else console
        write_table(table, target or Console())
        if output is None:
            return
    if output is None:
        print(buffer.getvalue(), end="")
    else:
        output.write_text(buffer.getvalue(), encoding="utf-8")
