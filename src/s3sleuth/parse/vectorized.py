"""The fast path: whole blocks of lines, tokenized and typed without a Python loop per line.

PyArrow's CSV reader (space-delimited, `"`-quoted, values as bytes) splits the lines into
tokens. It does not know the log format, so nothing it returns is trusted until two checks pass:

- the exact check: each row's tokens, joined again with the quotes S3 would write, must equal
  the raw line byte for byte. The screen only lets through lines whose split is determined
  (no quote, or six quotes that open and close fields), so this compares lengths, where the
  quotes are, and the dash forms, rather than building each line again;
- the canonical check: every typed value must be written back as the same token (`columns`).

A row that passes both is exactly the record the reference parser `parse.line` produces (tested
with Hypothesis). Lines are grouped by token count (their format era) and each group gets one
pass; whatever is left goes to the reference parser.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from s3sleuth.fields import (
    BARE_DASH_OPERATIONS,
    COLUMN_ORDER,
    FIELDS,
    KNOWN_FIELDS,
    MIN_FIELDS,
    SINGLE_ENCODED_OPERATIONS,
)
from s3sleuth.parse import columns as col
from s3sleuth.parse.framing import Lines, non_utf8_lines, non_utf8_values
from s3sleuth.schema import ACCESS_LOG_SCHEMA

_BARE_OPS = pa.array(sorted(BARE_DASH_OPERATIONS), pa.binary())
_SINGLE_OPS = pa.array(sorted(SINGLE_ENCODED_OPERATIONS), pa.binary())
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


def _binary_column(table: pa.Table, name: str) -> tuple[col.Bytes, col.Ints, pa.Array]:
    """A token column as (data bytes, offsets) for numpy, and as one Arrow array."""
    array = table.column(name).combine_chunks()
    if isinstance(array, pa.ChunkedArray):
        array = pa.concat_arrays(array.chunks) if array.num_chunks else pa.array([], pa.binary())
    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, np.int32)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets.astype(np.int64), array


def _string(array: pa.Array, valid: col.Bools) -> pa.Array:
    """binary -> string with NULL where not valid (UTF-8 was checked for the whole line)."""
    if array.offset:
        array = pa.concat_arrays([array])  # a fresh array at offset 0, to line up the bitmap
    _, offsets, data = array.buffers()
    validity = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), len(array), [validity, offsets, data])


def _typed(
    table: pa.Table,
    line_lengths: col.Ints,
    quoted: col.Bools,
    first_quote: col.Ints,
    third_quote: col.Ints,
) -> tuple[dict[str, pa.Array], col.Bools]:
    """access_log columns of one CSV pass, and which rows pass the exact and canonical checks.

    The exact check: the tokens, joined by spaces with the quotes S3 writes, must give the raw
    line. The screen made the reader's split exact, so this comes down to lengths, the quotes
    being around tokens 9, 16 and 17, and the dash forms of those three fields.
    """
    n, columns = table.num_rows, table.num_columns
    field_count = columns - 1  # the Time field holds one space
    cols = {name: _binary_column(table, name) for name in table.column_names}
    ok = np.ones(n, bool)
    tokens_before = np.zeros(n, np.int64)  # bytes of the tokens so far
    for i, (name, (_, offsets, _)) in enumerate(cols.items()):
        if i == 9:  # where the Request-URI's quote must be: after 9 tokens and 9 spaces
            ok &= ~quoted | (first_quote == tokens_before + 9)
        if i == 16:  # the Referer's: 16 tokens, 16 spaces and the Request-URI's two quotes
            ok &= ~quoted | (third_quote == tokens_before + 18)
        lengths = np.diff(offsets)
        tokens_before += lengths
        if name not in ("c9", "c16", "c17"):
            ok &= lengths > 0  # an empty token is a doubled or trailing space
    # the rebuilt line: the tokens, a space between each two, and the six quotes if quoted
    ok &= tokens_before + (columns - 1) + 6 * quoted == line_lengths
    operation = cols["c7"][2]
    bare = pc.fill_null(pc.is_in(operation, value_set=_BARE_OPS), False).to_numpy(
        zero_copy_only=False
    )
    for name in ("c9", "c16", "c17"):
        data, offsets, _ = cols[name]
        dash = col.is_dash(data, offsets[:-1], np.diff(offsets))
        # S3 writes `-` bare for bare-dash operations and `"-"` for all others
        ok &= np.where(quoted, ~(dash & bare), dash & bare)
    out: dict[str, pa.Array] = {}
    for field in FIELDS:
        p = field.position
        if p > field_count:
            out[field.name] = pa.nulls(
                n,
                pa.int32()
                if field.kind == "int"
                else (pa.int64() if field.kind == "bigint" else pa.string()),
            )
            continue
        if field.kind == "time":
            out["time"], out["date"], field_ok = _times(cols["c2"][2], cols["c3"][2])
            ok &= field_ok
            continue
        data, offsets, array = cols[f"c{p}"] if p > 3 else cols[f"c{p - 1}"]
        starts, lengths = offsets[:-1], np.diff(offsets)
        if field.kind in ("int", "bigint"):
            values, valid, field_ok = col.integers(
                data,
                starts,
                lengths,
                bigint=field.kind == "bigint",
                dash_is_zero=field.dash_is_zero,
            )
            ok &= field_ok
            arrow_type = pa.int64() if field.kind == "bigint" else pa.int32()
            out[field.name] = pa.array(values, arrow_type, mask=~valid)
        else:
            dash = col.is_dash(data, starts, lengths)
            out[field.name] = _string(array, ~dash)
    # "TLS 1.3" (Storj) is one field written as two tokens; the reference parser joins them.
    if field_count >= 25:
        ok &= ~pc.equal(cols["c24"][2], pa.scalar(b"TLS", pa.binary())).to_numpy(
            zero_copy_only=False
        )
    key_data, key_offsets, key_array = cols["c8"]
    keys, key_ok = _decode_keys(key_data, key_offsets, key_array, operation)
    ok &= key_ok
    out["key_raw"] = out["key"]
    out["key"] = keys
    extra_cols = [cols[f"c{i}"][2] for i in range(KNOWN_FIELDS + 1, columns)]
    out["extra_fields"] = (
        _string(pc.binary_join_element_wise(*extra_cols, _SPACE), np.ones(n, bool))
        if extra_cols
        else pa.nulls(n, pa.string())
    )
    out["field_count"] = pa.array(np.full(n, field_count, np.int16), pa.int16())
    return out, ok


def _times(left: pa.Array, right: pa.Array) -> tuple[pa.Array, pa.Array, col.Bools]:
    """(time, date, ok) from the two halves of the Time field.

    A block holds a few hundred distinct seconds, so each distinct value is converted once.
    """
    joined = pc.binary_join_element_wise(left, right, _SPACE)
    encoded = pc.dictionary_encode(joined)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    data, offsets, _ = _binary_column(pa.table({"t": encoded.dictionary}), "t")
    seconds, days, valid, ok = col.timestamps(data, offsets[:-1], np.diff(offsets))
    index = encoded.indices.to_numpy(zero_copy_only=False)
    seconds, days, valid, ok = seconds[index], days[index], valid[index], ok[index]
    time = pa.array(seconds * 1_000_000, pa.timestamp("us", tz="UTC"), mask=~valid)
    date = pa.array(days.astype(np.int32), pa.date32(), mask=~valid)
    return time, date, ok


def _decode_keys(
    data: col.Bytes, offsets: col.Ints, raw: pa.Array, operation: pa.Array
) -> tuple[pa.Array, col.Bools]:
    """Decoded keys: twice for most operations, once for SINGLE_ENCODED_OPERATIONS.

    The reference parser stops at a layer that is not UTF-8; rows where either layer is not
    valid UTF-8 are left to it.
    """
    valid = ~col.is_dash(data, offsets[:-1], np.diff(offsets))
    once, once_off = col.percent_decode(data, offsets)
    twice, twice_off = col.percent_decode(once, once_off)
    bad = non_utf8_values(once, once_off) | non_utf8_values(twice, twice_off)
    single = pc.is_in(operation, value_set=_SINGLE_OPS)
    chosen = pc.if_else(
        single, col.binary(once, once_off, valid), col.binary(twice, twice_off, valid)
    )
    if isinstance(chosen, pa.ChunkedArray):
        chosen = chosen.combine_chunks()
    return chosen.cast(pa.string(), safe=False), ~bad


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
    values, ok = _typed(
        table, lines.lengths[mine], quoted[mine], first_quote[mine], third_quote[mine]
    )
    out = pa.table({name: values[name] for name in COLUMN_ORDER if name in values})
    if not ok.all():
        keep = np.flatnonzero(ok)
        out, mine = out.take(pa.array(keep)), mine[keep]
    return out, mine, left, Counter(left_counts)


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


def parse_block(lines: Lines) -> tuple[pa.Table, col.Ints]:
    """(access_log rows of the lines the fast path parsed exactly, their line indices)."""
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
    table = pa.concat_tables(tables, promote_options="permissive")
    n = table.num_rows
    table = table.append_column(
        "source_file",
        pa.DictionaryArray.from_arrays(
            pa.array(lines.source_ids[rows].astype(np.int32)), pa.array(lines.sources, pa.string())
        ),
    )
    table = table.append_column("source_line", pa.array(lines.numbers[rows], pa.int64()))
    table = table.append_column("raw_line", pa.nulls(n, pa.binary()))
    return table.select(list(COLUMN_ORDER)), rows


def _empty() -> pa.Table:
    return ACCESS_LOG_SCHEMA.empty_table()
