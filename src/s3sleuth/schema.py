"""Arrow schemas of the stored tables, derived from the field table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from s3sleuth.fields import REJECT_COLUMNS, column_types

ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "SMALLINT": pa.int16(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
    "BLOB": pa.binary(),
    "BOOLEAN": pa.bool_(),
}


# Columns with a handful of values per file: dictionary-encoded in memory (no per-row copy of
# the string); Parquet stores them as ordinary strings with a dictionary page.
DICTIONARY = pa.dictionary(pa.int32(), pa.string())


def arrow_schema(columns: Mapping[str, str], dictionary: tuple[str, ...] = ()) -> pa.Schema:
    return pa.schema(
        [
            (name, DICTIONARY if name in dictionary else ARROW_TYPES[sql])
            for name, sql in columns.items()
        ]
    )


ACCESS_LOG_SCHEMA = arrow_schema(column_types(), dictionary=("source_file", "delivery"))


def constant(value: str, rows: int) -> pa.DictionaryArray:
    """`value` on every row, as a dictionary column (no per-row copy of the string)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows, np.int32)), pa.array([value], pa.string())
    )


REJECT_SCHEMA = arrow_schema(REJECT_COLUMNS)
