"""Computing the stored enrichment columns for rows about to be written.

Every stored rule reads columns with a few distinct values per file (requester, user agent,
remote address, host), so the rules run in DuckDB once per distinct value and the results are
mapped back to the rows as dictionary arrays: no string is copied per row (measured on 1M
generated rows: 1.46 s for every rule on every row, about 0.15 s this way).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from s3sleuth.views.enrich import METADATA_KEY, STORED, STORED_NAMES, VERSION, Enrichment


@dataclass(frozen=True)
class Group:
    """The stored rules that read the same inputs, and their DuckDB SELECT."""

    inputs: tuple[str, ...]
    names: tuple[str, ...]
    sql: str


@cache
def _groups() -> tuple[Group, ...]:
    from s3sleuth.sql.translate import translate

    groups: dict[tuple[str, ...], list[Enrichment]] = {}
    for e in STORED:
        groups.setdefault(e.inputs, []).append(e)
    out = []
    for inputs, rules in groups.items():
        select = ", ".join(f"{e.athena} AS {e.name}" for e in rules)
        (sql,) = translate(f"SELECT {select} FROM enrich_input", "duckdb")
        out.append(Group(inputs, tuple(e.name for e in rules), sql))
    return tuple(out)


@cache
def _database() -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")  # tiny inputs, called from the writer's threads
    return con


def _run(sql: str, data: pa.Table) -> pa.Table:
    cursor = _database().cursor()
    try:
        cursor.register("enrich_input", data)
        result: pa.Table = cursor.sql(sql).to_arrow_table()
        return result
    finally:
        cursor.close()


class _Encoded:
    """Each input column as (row -> code, distinct values), encoded once per table."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._cache: dict[str, tuple[np.ndarray, pa.Array]] = {}

    def column(self, name: str) -> tuple[np.ndarray, pa.Array]:
        if name not in self._cache:
            array = self.table.column(name).combine_chunks()
            if pa.types.is_dictionary(array.type):
                array = array.cast(pa.string())
            encoded = pc.dictionary_encode(array, null_encoding="encode")
            codes = encoded.indices.to_numpy(zero_copy_only=False)  # int32, no NULL
            dictionary = encoded.dictionary
            self._cache[name] = (codes, dictionary)
        return self._cache[name]

    def distinct(self, inputs: tuple[str, ...]) -> tuple[np.ndarray, pa.Table]:
        """Row -> index into a table of the distinct combinations of `inputs`."""
        if len(inputs) == 1:  # a dictionary is already the distinct values, every one used
            codes, dictionary = self.column(inputs[0])
            return codes, pa.table({inputs[0]: dictionary})
        codes, sizes, dictionaries = np.zeros(self.table.num_rows, np.int64), [], []
        for name in inputs:
            column_codes, dictionary = self.column(name)
            codes = codes * len(dictionary) + column_codes.astype(np.int64)
            sizes.append(len(dictionary))
            dictionaries.append(dictionary)
        span = int(np.prod(sizes, dtype=np.int64))
        if span <= 4 * max(1, len(codes)):  # a lookup table: linear, no sort
            present = np.zeros(span, bool)
            present[codes] = True
            unique = np.flatnonzero(present)
            remap = np.zeros(span, np.int64)
            remap[unique] = np.arange(len(unique))
            inverse = remap[codes]
        else:
            unique, inverse = np.unique(codes, return_inverse=True)
        columns, rest = {}, unique
        for name, size, dictionary in reversed(list(zip(inputs, sizes, dictionaries, strict=True))):
            columns[name] = dictionary.take(pa.array(rest % size))
            rest = rest // size
        return inverse, pa.table({name: columns[name] for name in inputs})


def _expand(values: pa.Array, inverse: np.ndarray) -> pa.Array:
    """values[inverse] as a dictionary array with a dictionary of distinct values: no string
    is copied per row, and Parquet keeps it dictionary-encoded (a dictionary that repeats a
    value is written plain: 5x the bytes, and 3x slower to read, measured)."""
    encoded = pc.dictionary_encode(values.cast(pa.string()))  # NULL stays a masked index
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int32)
    rows = codes[inverse]
    missing = rows < 0
    indices = pa.array(rows, mask=missing if missing.any() else None)
    return pa.DictionaryArray.from_arrays(indices, encoded.dictionary)


# Rule results by input values, kept across calls: the same requesters, agents, addresses and
# hosts come back in every flush, so most calls run no SQL at all. Bounded; shared by the
# writer's threads.
_KNOWN: dict[tuple[str, ...], dict[tuple[Any, ...], tuple[Any, ...]]] = {}
_KNOWN_LOCK = threading.Lock()
_KNOWN_LIMIT = 200_000


def _evaluate(group: Group, distinct: pa.Table) -> pa.Table:
    """The group's rules over each distinct input combination, from `_KNOWN` or by SQL."""
    keys = list(zip(*(distinct.column(name).to_pylist() for name in group.inputs), strict=True))
    with _KNOWN_LOCK:
        known = _KNOWN.get(group.inputs, {})
        results = [known.get(key) for key in keys]
    missing = [i for i, result in enumerate(results) if result is None]
    if missing:
        fresh = _run(group.sql, distinct.take(pa.array(missing, pa.int64())))
        rows = zip(*(fresh.column(n).to_pylist() for n in group.names), strict=True)
        learned: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for i, result in zip(missing, rows, strict=True):
            results[i] = learned[keys[i]] = result
        with _KNOWN_LOCK:
            if sum(len(v) for v in _KNOWN.values()) > _KNOWN_LIMIT:
                _KNOWN.clear()
            _KNOWN.setdefault(group.inputs, {}).update(learned)
    columns = list(zip(*results, strict=True)) if results else [() for _ in group.names]
    return pa.table(
        {
            name: pa.array(list(column), pa.string())
            for name, column in zip(group.names, columns, strict=True)
        }
    )


def enrich_table(table: pa.Table) -> pa.Table:
    """`table` (stored `access_log` columns) with the stored enrichment columns appended."""
    stale = [n for n in STORED_NAMES if n in table.column_names]
    if stale:
        table = table.drop_columns(stale)
    encoded = _Encoded(table)
    computed: dict[str, pa.Array] = {}
    for group in _groups():
        inverse, distinct = encoded.distinct(group.inputs)
        values = _evaluate(group, distinct)
        for name in values.column_names:
            computed[name] = _expand(values.column(name).combine_chunks(), inverse)
    for name in STORED_NAMES:
        table = table.append_column(pa.field(name, computed[name].type), computed[name])
    metadata = {**(table.schema.metadata or {}), METADATA_KEY: VERSION.encode()}
    return table.replace_schema_metadata(metadata)
