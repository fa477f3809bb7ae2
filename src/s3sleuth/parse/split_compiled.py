"""The fast path's splitter when the compiled module is built: `_scan.tokenize`.

It splits every line in one pass and keeps only lines whose split is certain (see `_scan.c`):
for those, the tokens joined by single spaces, with the quoted fields' quotes put back, are
the line byte for byte, so what is left to check is that each value is canonical (`typed`).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pyarrow as pa

from s3sleuth.fields import KNOWN_FIELDS
from s3sleuth.parse import columns as col
from s3sleuth.parse.framing import Lines
from s3sleuth.parse.typed import Tokens, typed

MAX_TOKENS = KNOWN_FIELDS + 13  # lines with more trailing fields go to the reference parser
_COLUMNS = KNOWN_FIELDS + 1  # the known fields, and where the first unknown one starts


def split_compiled(scan: ModuleType, lines: Lines) -> tuple[pa.Table, col.Ints]:
    """(access_log columns, their line indices) of the lines the compiled tokenizer splits
    with certainty and whose every value is canonical."""
    rows_buf, counts_buf, quoted_buf, starts_buf, lengths_buf, dash_buf = scan.tokenize(
        lines.data, lines.starts, lines.lengths, MAX_TOKENS, _COLUMNS
    )
    rows = np.frombuffer(rows_buf, np.int64)
    counts = np.frombuffer(counts_buf, np.int64)
    quoted = np.frombuffer(quoted_buf, np.bool_)
    starts = np.frombuffer(starts_buf, np.int32).reshape(_COLUMNS, len(rows))
    lengths = np.frombuffer(lengths_buf, np.int32).reshape(_COLUMNS, len(rows))
    dashes = np.frombuffer(dash_buf, np.bool_).reshape(_COLUMNS, len(rows))
    data = np.frombuffer(lines.data, np.uint8)
    fields: list[Tokens | None] = [
        Tokens(data, starts[t], lengths[t], dashes=dashes[t]) for t in range(KNOWN_FIELDS)
    ]
    table, keep = typed(fields, counts, quoted, _extra_fields(data, lines, rows, counts, starts))
    return table, rows[keep]


def _extra_fields(
    data: col.Bytes, lines: Lines, rows: col.Ints, counts: col.Ints, starts: col.Positions
) -> pa.Array:
    """The fields after the known ones, as logged: from the first of them to the line's end."""
    has = counts > KNOWN_FIELDS
    if not has.any():
        return pa.nulls(len(rows), pa.string())
    first = np.where(has, starts[KNOWN_FIELDS], 0).astype(np.int32)
    ends = lines.starts[rows] + lines.lengths[rows]
    lengths = np.where(has, ends - first, 0).astype(np.int32)
    values, offsets = col.gather_ranges(data, first, lengths)
    array = col.binary(values, offsets, has)
    return array.cast(pa.string())
