"""The fast path's splitter without the compiled module: PyArrow's CSV reader.

The reader (space-delimited, `"`-quoted, values as bytes) splits the lines into tokens. It does
not know the log format, so nothing it returns is trusted until two checks pass:

- the exact check: each row's tokens, joined again with the quotes S3 would write, must equal
  the raw line byte for byte. The screen only lets through lines whose split is determined
  (no quote, or six quotes that open and close fields), so this compares lengths, where the
  quotes are, and the dash forms, rather than building each line again;
- the canonical check: every typed value must be written back as the same token (`typed`).

Lines are grouped by token count (their format era) and each group gets one pass; whatever is
left goes to the reference parser.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from s3sleuth.fields import KNOWN_FIELDS, MIN_FIELDS
from s3sleuth.parse import columns as col
from s3sleuth.parse.framing import Lines, non_utf8_lines
from s3sleuth.parse.typed import Tokens, typed
from s3sleuth.schema import ACCESS_LOG_SCHEMA

_SPACE = pa.scalar(b" ", pa.binary())
_MAX_PASSES = 8
_MIN_PASS_LINES = 16  # fewer leftover lines than this go straight to the reference parser


def _csv(data: pa.Buffer, columns: int) -> tuple[pa.Table, dict[int, int]]:
    """Tokenize. Returns the rows with `columns` tokens, and {row number: token count} of
    the rows with another count."""
    others: dict[int, int] = {}

    def other(row: pcsv.InvalidRow) -> str:
        others[row.number] = row.actual_columns
        return "skip"

    names = [f"c{i}" for i in range(columns)]
    table = pcsv.read_csv(
        pa.BufferReader(data),
        read_options=pcsv.ReadOptions(
            column_names=names, use_threads=False, block_size=max(data.size, 1 << 20)
        ),
        parse_options=pcsv.ParseOptions(
            delimiter=" ",
            quote_char='"',
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=other,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.binary()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, others


def _pass_input(lines: Lines, rows: col.Ints) -> tuple[pa.Buffer, col.Ints]:
    """Bytes for a CSV pass over `rows`, and the line index of each CSV row.

    Most passes cover nearly the whole block: then the other lines are overwritten by a
    one-token filler that the reader skips. A small pass gets its lines gathered instead.
    """
    if len(rows) == len(lines):
        return pa.py_buffer(lines.data), rows
    if len(rows) * 10 >= len(lines) * 9:
        buf = np.frombuffer(lines.data, np.uint8).copy()
        hidden = np.ones(len(lines), bool)
        hidden[rows] = False
        for start, length in zip(
            lines.starts[hidden].tolist(), lines.lengths[hidden].tolist(), strict=True
        ):
            buf[start : start + length] = 0x78  # "x"
        return pa.py_buffer(buf), np.arange(len(lines))
    bounds = np.append(lines.starts, len(lines.data)).tolist()
    view = memoryview(lines.data)
    return pa.py_buffer(b"".join([view[bounds[r] : bounds[r + 1]] for r in rows.tolist()])), rows


def _exact(
    arrays: list[pa.Array],
    line_lengths: col.Ints,
    quoted: col.Bools,
    first_quote: col.Ints,
    third_quote: col.Ints,
) -> col.Bools:
    """Rows whose tokens, joined by spaces with the quotes S3 writes, give the raw line.

    The screen made the reader's split exact, so this comes down to lengths and the quotes
    being around tokens 9, 16 and 17 (the dash forms are checked with the values).
    """
    n, columns = len(line_lengths), len(arrays)
    ok = np.ones(n, bool)
    tokens_before = np.zeros(n, np.int64)  # bytes of the tokens so far
    for i, array in enumerate(arrays):
        if i == 9:  # where the Request-URI's quote must be: after 9 tokens and 9 spaces
            ok &= ~quoted | (first_quote == tokens_before + 9)
        if i == 16:  # the Referer's: 16 tokens, 16 spaces and the Request-URI's two quotes
            ok &= ~quoted | (third_quote == tokens_before + 18)
        _, offsets = col.binary_buffers(array)
        lengths = np.diff(offsets)
        tokens_before += lengths
        if i not in (9, 16, 17):
            ok &= lengths > 0  # an empty token is a doubled or trailing space
    # the rebuilt line: the tokens, a space between each two, and the six quotes if quoted
    ok &= tokens_before + (columns - 1) + 6 * quoted == line_lengths
    return ok


def _fields(arrays: list[pa.Array]) -> tuple[list[Tokens | None], pa.Array]:
    """The wire fields of a pass's rows (the Time field is two CSV tokens), and the
    trailing fields this version does not know."""
    field_count = len(arrays) - 1
    time = pc.binary_join_element_wise(arrays[2], arrays[3], _SPACE)
    wire = [*arrays[:2], time, *arrays[4:]]
    fields: list[Tokens | None] = [
        Tokens.of(wire[p]) if p < field_count else None for p in range(KNOWN_FIELDS)
    ]
    extra = wire[KNOWN_FIELDS:]
    extra_fields = (
        pc.binary_join_element_wise(*extra, _SPACE).cast(pa.string())
        if extra
        else pa.nulls(len(arrays[0]), pa.string())
    )
    return fields, extra_fields


def _pass(
    lines: Lines,
    rows: col.Ints,
    columns: int,
    quoted: col.Bools,
    first_quote: col.Ints,
    third_quote: col.Ints,
) -> tuple[pa.Table, col.Ints, col.Ints, Counter[int]]:
    """One CSV pass over `rows` at `columns` tokens.

    Returns the parsed table, its line indices, the lines left for another pass and their
    token counts (as the reader reported them).
    """
    data, line_of_row = _pass_input(lines, rows)
    table, others = _csv(data, columns)
    other_rows = np.array(sorted(others), np.int64) - 1
    parsed_rows = np.setdiff1d(np.arange(len(line_of_row)), other_rows, assume_unique=True)
    if len(parsed_rows) != table.num_rows:
        return _empty(), rows[:0], rows[:0], Counter()  # rows and lines disagree: trust neither
    in_pass = np.zeros(len(lines), bool)
    in_pass[rows] = True
    left = line_of_row[other_rows]
    left_counts = [
        others[r + 1]
        for r, line in zip(other_rows.tolist(), left.tolist(), strict=True)
        if in_pass[line]
    ]
    left = left[in_pass[left]]
    if table.num_rows == 0 or columns - 1 < MIN_FIELDS:
        return _empty(), rows[:0], left, Counter(left_counts)
    mine = line_of_row[parsed_rows]
    arrays = [column.combine_chunks() for column in table.columns]
    ok = _exact(arrays, lines.lengths[mine], quoted[mine], first_quote[mine], third_quote[mine])
    fields, extra_fields = _fields(arrays)
    counts = np.full(table.num_rows, columns - 1, np.int64)
    out, keep = typed(fields, counts, quoted[mine], extra_fields, ok)
    return out, mine[keep], left, Counter(left_counts)


def _token_count(line: bytes) -> int:
    """Tokens the CSV reader sees in one line: spaces outside quoted fields, plus one."""
    count, quoted, at_start = 1, False, True
    for byte in line:
        if byte == 0x22 and (at_start or quoted):
            quoted = not quoted
        elif byte == 0x20 and not quoted:
            count += 1
            at_start = True
            continue
        at_start = False
    return count


def _inside(lines: Lines, positions: col.Ints) -> col.Bools:
    """Lines that hold at least one of the byte positions."""
    hit = np.zeros(len(lines), bool)
    if len(positions):
        owner = np.searchsorted(lines.starts, positions, side="right") - 1
        hit[owner[positions < lines.starts[owner] + lines.lengths[owner]]] = True
    return hit


def _screen(lines: Lines) -> tuple[col.Bools, col.Bools, col.Ints, col.Ints]:
    """(lines the CSV reader can split one-to-one, which are quoted, where their first and
    third quotes are).

    Safe: UTF-8, no CR inside, and either no quote or six quotes that open and close fields
    (an unbalanced quote would make the reader merge lines). For such a line the reader's split
    is fully determined: the spaces outside quotes, with the three quoted fields unwrapped.
    """
    buf = np.frombuffer(lines.data, np.uint8)
    ends = lines.starts + lines.lengths
    quotes = np.append(np.flatnonzero(buf == col.QUOTE), len(buf))  # sentinel: never empty
    first = np.searchsorted(quotes, lines.starts)
    count = np.searchsorted(quotes, ends) - first
    q = quotes[np.clip(first[:, None] + np.arange(6), 0, len(quotes) - 1)]

    def byte(at: col.Ints) -> col.Bytes:
        return buf[np.clip(at, 0, len(buf) - 1)]

    opens = (byte(q[:, 0] - 1) == 0x20) & (byte(q[:, 2] - 1) == 0x20) & (q[:, 4] == q[:, 3] + 2)
    closes = (byte(q[:, 1] + 1) == 0x20) & (byte(q[:, 3] + 1) == 0x20)
    closes &= (q[:, 5] + 1 == ends) | (byte(q[:, 5] + 1) == 0x20)
    quoted = (count == 6) & opens & closes
    shaped = (count == 0) | quoted
    inner_cr = _inside(lines, np.flatnonzero(buf == 0x0D))
    safe = shaped & (lines.lengths > 0) & ~inner_cr & ~non_utf8_lines(lines)
    return safe, quoted, q[:, 0] - lines.starts, q[:, 2] - lines.starts


def split_csv(lines: Lines) -> tuple[pa.Table, col.Ints]:
    """(access_log columns of the lines the CSV passes parsed exactly, their line indices)."""
    safe, quoted, first_quote, third_quote = _screen(lines)
    todo = np.flatnonzero(safe)
    tables: list[pa.Table] = []
    kept: list[col.Ints] = []
    columns = _token_count(lines.line(int(todo[0]))) if len(todo) else 0
    for _ in range(_MAX_PASSES):
        if len(todo) == 0 or (len(todo) < _MIN_PASS_LINES and tables):
            break
        table, rows, todo, counts = _pass(lines, todo, columns, quoted, first_quote, third_quote)
        if table.num_rows:
            tables.append(table)
            kept.append(rows)
        if not counts:
            break
        columns = counts.most_common(1)[0][0]  # the next pass takes the commonest other era
    rows = np.concatenate(kept) if kept else np.zeros(0, np.int64)
    if not tables:
        return _empty(), rows
    return pa.concat_tables(tables, promote_options="permissive"), rows


def _empty() -> pa.Table:
    return ACCESS_LOG_SCHEMA.empty_table()
