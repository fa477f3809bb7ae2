"""Spark schemas of the stored tables, derived (like the Arrow ones) from the field table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql.types import StructType


def plain(schema: pa.Schema) -> pa.Schema:
    """`schema` with dictionary-encoded columns as their value type (Spark has no such type)."""
    return pa.schema(
        [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in schema]
    )


def spark_schema(schema: pa.Schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(plain(schema))
