"""Rendering result tables: `table` for people, `json`, `csv` and `parquet` for programs.

Every `--format json` output is one JSON array of objects keyed by column name.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console

from s3sleuth.errors import UsageError
from s3sleuth.values import Rows, jsonable

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("table", "tsv", "json", "csv", "parquet")

# C0 and C1 control characters, except tab and newline: log fields come from whoever sent the
# request, and ESC or BEL would let them retitle or recolour the user's terminal.
# ... and Unicode's direction overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
# make a key or user agent display reordered ("Trojan Source"): shown as \u escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def scrub(text: str) -> str:
    return _CONTROL.sub(_escape, text)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6g}"  # six significant digits, in plain digits on a terminal
        return format(Decimal(text), "f") if "e" in text and value == value else text
    return scrub(str(jsonable(value)))


def arrow_rows(table: pa.Table) -> Rows:
    import pyarrow as pa

    numeric = [pa.types.is_integer(field.type) for field in table.schema]
    data = [tuple(row.values()) for row in table.to_pylist()]
    return Rows(list(table.column_names), numeric, data)


def write_json(data: Sequence[dict[str, Any]] | dict[str, Any], out: TextIO) -> None:
    json.dump(data if isinstance(data, dict) else list(data), out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_long_csv(report: dict[str, Any], out: TextIO) -> None:
    """A report of sections (a JSON object, as `Summary.to_dict` gives) as one CSV in long
    form: section, row, column, value; lists and objects as JSON in their cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "row", "column", "value"])
    parts: list[tuple[str, list[dict[str, Any]]]] = [
        (section["title"], section["rows"]) for section in report.get("sections", [])
    ]
    parts += [(key, report[key]) for key in ("denied", "network", "clients") if key in report]
    for title, rows in parts:
        for number, row in enumerate(rows, 1):
            for column, value in row.items():
                writer.writerow([title, number, column, _csv_cell(value, DEFUSE_CSV)])


# Spreadsheets run a cell that starts with one of these as a formula; log fields (user agents,
# keys, referers) are chosen by whoever sent the request. `--no-csv-defuse` turns this off.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DEFUSE_CSV = True


def defuse(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading `'` before a formula character, also
    after leading spaces (spreadsheets skip them: `" =1+1"`). A bare number such as -5 and the
    log's own `-` are left alone."""
    if text.lstrip(" ").startswith(FORMULA_PREFIXES) and text != "-":
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def write_csv(rows: Rows, out: TextIO, *, defuse_cells: bool | None = None) -> None:
    safe = DEFUSE_CSV if defuse_cells is None else defuse_cells
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows.columns)
    for row in rows.data:
        writer.writerow([_csv_cell(v, safe) for v in row])


def _flat(value: Any) -> Any:
    """A value for one cell of CSV or TSV: its JSON form, with lists and objects (IAM actions,
    policy statements) as JSON text; NULL as an empty cell."""
    if value is None:
        return ""
    value = jsonable(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _csv_cell(value: Any, safe: bool = True) -> Any:
    value = _flat(value)
    return defuse(value) if safe and isinstance(value, str) else value


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def tsv_cell(value: Any) -> str:
    r"""A value in one tab-separated cell: tabs, newlines and backslashes escaped as
    `\t`, `\n`, `\\` (PostgreSQL's text format); other control characters as `\xNN`."""
    return scrub(str(_flat(value)).translate(_TSV_ESCAPES))


def write_tsv(rows: Rows, out: TextIO) -> None:
    out.write("\t".join(tsv_cell(c) for c in rows.columns) + "\n")
    for row in rows.data:
        out.write("\t".join(tsv_cell(v) for v in row) + "\n")


def write_table(rows: Rows, console: Console, title: str | None = None) -> None:
    from rich.table import Table

    view = Table(title=title, header_style="bold", show_lines=False)
    for name, numeric in zip(rows.columns, rows.numeric, strict=True):
        view.add_column(scrub(name), justify="right" if numeric else "left", overflow="fold")
    for row in rows.data:
        view.add_row(*(cell(v) for v in row))
    natural = _natural_width(view, console) if rows.data else console.width
    if console.is_terminal and natural > console.width:
        write_records(rows, console)  # folded into narrow columns it would be unreadable
        return
    if console.is_terminal:
        console.print(view)
        return
    # A pipe or file has no edge: the table keeps its natural width, never folding a value.
    edge = console.width
    console.width = max(natural, 1)
    try:
        console.print(view)
    finally:
        console.width = edge
    if not rows.data:
        console.print("(no rows)", style="dim")


def _natural_width(view: Any, console: Console) -> int:
    """How wide the table would be with no terminal edge to fold at."""
    from rich.measure import Measurement

    unbounded = console.options.update(max_width=1 << 20)
    return Measurement.get(console, unbounded, view).maximum


def write_records(rows: Rows, console: Console) -> None:
    """One block per row, a line per column (psql's expanded display), for results wider than
    the terminal: long findings and verdicts read as sentences, not 20-character columns."""
    from rich.text import Text

    width = max(len(c) for c in rows.columns)
    for number, row in enumerate(rows.data, 1):
        console.print(Text(f"-[ RECORD {number} ]" + "-" * max(0, width - 8), style="dim"))
        for name, value in zip(rows.columns, row, strict=True):
            line = Text()
            line.append(f"{scrub(name):<{width}}", style="bold").append(" | ").append(cell(value))
            console.print(line)


def emit(
    table: pa.Table, fmt: str, output: Path | None = None, console: Console | None = None
) -> None:
    """Write `table` in `fmt` to `output`, or to stdout."""
    check_format(fmt)
    if fmt == "parquet":
        if output is None:
            raise UsageError("--format parquet needs an output file", hint="add -o FILE.parquet")
        import pyarrow.parquet as pq

        pq.write_table(table, output)
        return
    emit_rows(arrow_rows(table), fmt, output, console)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")


def emit_rows(
    rows: Rows, fmt: str, output: Path | None = None, console: Console | None = None
) -> None:
    """Write `rows` as a table, JSON or CSV to `output`, or to stdout."""
    check_format(fmt)
    if fmt == "parquet":
        raise UsageError("parquet output needs an Arrow table", hint="use emit()")
    buffer = io.StringIO()
    if fmt == "json":
        write_json([{k: jsonable(v) for k, v in r.items()} for r in rows.dicts()], buffer)
    elif fmt == "csv":
        write_csv(rows, buffer)
    elif fmt == "tsv":
        write_tsv(rows, buffer)
    else:
        width = None if output is None else 200
        target = Console(file=buffer, width=width, force_terminal=False) if output else console
        write_table(rows, target or Console())
        if output is None:
            return
    if output is None:
        text = buffer.getvalue()
        # JSON escapes control characters itself; CSV does not: a terminal shows them escaped.
        print(scrub(text) if fmt == "csv" and sys.stdout.isatty() else text, end="")
    else:
        output.write_text(buffer.getvalue(), encoding="utf-8")
