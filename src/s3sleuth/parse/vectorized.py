"""The fast path: whole blocks of lines, tokenized and typed without a Python loop per line.

A splitter cuts the lines into field tokens and keeps only lines whose split is certain: the
compiled tokenizer (`split_compiled`) when the install built it, else PyArrow's CSV reader
(`split_csv`). `typed` turns the tokens into `access_log` columns and keeps only rows whose
every value is canonical. A row kept is exactly the record the reference parser `parse.line`
produces (tested with Hypothesis, for both splitters); every other line goes to that parser.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from s3sleuth import limits
from s3sleuth.fields import COLUMN_ORDER, JSON_ONLY
from s3sleuth.parse import columns as col
from s3sleuth.parse import compiled
from s3sleuth.parse.framing import Lines
from s3sleuth.parse.split_compiled import split_compiled
from s3sleuth.parse.split_csv import split_csv
from s3sleuth.schema import ACCESS_LOG_SCHEMA, constant


def parse_block(lines: Lines) -> tuple[pa.Table, col.Ints]:
    """(access_log rows of the lines the fast path parsed exactly, their line indices)."""
    scan = compiled.scan()
    table, rows = split_compiled(scan, lines) if scan is not None else split_csv(lines)
    short = lines.lengths[rows] <= limits.MAX_LINE  # longer lines are rejected as too long
    if not short.all():
        table, rows = table.filter(pa.array(short)), rows[short]
    if table.num_rows == 0:
        return ACCESS_LOG_SCHEMA.empty_table(), rows[:0]
    n = table.num_rows
    table = table.append_column(
        "source_file",
        pa.DictionaryArray.from_arrays(
            pa.array(lines.source_ids[rows].astype(np.int32)), pa.array(lines.sources, pa.string())
        ),
    )
    table = table.append_column("source_line", pa.array(lines.numbers[rows], pa.int64()))
    table = table.append_column("raw_line", pa.nulls(n, pa.binary()))
    table = table.append_column("delivery", constant("text", n))
    for name in JSON_ONLY:
        table = table.append_column(name, pa.nulls(n, pa.string()))
    return table.select(list(COLUMN_ORDER)), rows
