"""The fast path for JSON Lines and Parquet deliveries: a block of records at a time, typed
column by column (JSON Lines read by Arrow's JSON reader, Parquet a batch at a time).

A record at a time (parse.record) costs ~30 µs in Python; Arrow reads a block on all cores.
The fast path takes a block only when it can give exactly the rows the record path would:
known keys only (unknown ones go to `extra_fields` there), every time an ISO 8601 string or a
timestamp, numbers as integers within range, strings as strings, `acl_required` a boolean or
Yes/No. Any other block raises `NotFast`, and the record path reads it, deciding record by
record (and rejecting what it must).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from s3sleuth.fields import (
    COLUMN_ORDER,
    FIELDS,
    JSON_ONLY,
    KNOWN_FIELDS,
    SINGLE_ENCODED_OPERATIONS,
    Field,
)
from s3sleuth.parse.record import ACL_NO, ACL_YES, INT_LIMITS, KNOWN_KEYS, S3_SAFE
from s3sleuth.schema import ACCESS_LOG_SCHEMA, constant

# Keys written as the text format would write them (no encoding): most keys, at no cost.
_PLAIN_KEY = r"^[A-Za-z0-9/._~-]*$"
_ENVELOPE_KEYS = frozenset({"events", "logEvents", "awslogs", "messageType"})


class NotFast(Exception):
    """A block the fast path cannot type exactly: the record path reads it."""


def _schema() -> pa.Schema:
    """The record's keys with their JSON types (`acl_required` is left to inference: it may
    be a boolean or a string)."""
    fields = [
        (f.json_key, pa.int64() if f.kind in ("int", "bigint") else pa.string())
        for f in FIELDS
        if f.name != "acl_required"
    ]
    return pa.schema([*fields, *((key, pa.string()) for key in JSON_ONLY.values())])


_SCHEMA = _schema()


def is_json_lines(head: bytes) -> bool:
    """The file starts with a whole record on its first line (not an envelope)."""
    first = head.lstrip().split(b"\n", 1)[0]
    try:
        value = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(value, dict) and not (_ENVELOPE_KEYS & value.keys() or "message" in value)


def _column(table: pa.Table, key: str, kind: pa.DataType) -> pa.ChunkedArray | pa.Array:
    if key in table.column_names:
        return table.column(key)
    return pa.nulls(table.num_rows, kind)


def _dash_is_null(values: Any) -> Any:
    dash = pc.equal(values, "-")
    if not pc.any(dash).as_py():  # as good as always: no copy of the strings
        return values
    return pc.if_else(dash, pa.scalar(None, pa.string()), values)


def _integer(f: Field, values: Any) -> Any:
    low, high = pc.min_max(values).values()
    if low.is_valid and (low.as_py() < 0 or high.as_py() > INT_LIMITS[f.kind]):
        raise NotFast(f"{f.json_key} out of range")
    if f.dash_is_zero:
        values = pc.fill_null(values, 0)
    return values


def _acl(values: Any) -> Any:
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), pa.string())
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "Yes", pa.scalar(None, pa.string()))
    if not pa.types.is_string(values.type):
        raise NotFast("acl_required")
    lower = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    yes = pc.is_in(lower, pa.array(sorted(ACL_YES)))
    known = pc.or_(yes, pc.is_in(lower, pa.array(sorted(ACL_NO | {"", "-"}))))
    if pc.any(pc.invert(pc.fill_null(known, True))).as_py():
        raise NotFast("acl_required")
    return pc.if_else(yes, "Yes", pa.scalar(None, pa.string()))


def _safe_table(safe: str) -> np.ndarray:
    """Which bytes `urllib.parse.quote(..., safe=safe)` leaves as they are."""
    table = np.zeros(256, bool)
    for char in _ALWAYS_SAFE + safe:
        table[ord(char)] = True
    return table


_HEX = np.frombuffer(b"0123456789ABCDEF", np.uint8)
_ALWAYS_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_CLIENT_SAFE, _S3_SAFE = _safe_table("/~"), _safe_table(S3_SAFE)


def percent_encode(values: pa.Array, safe: np.ndarray) -> pa.Array:
    """`quote(value, safe=...)` of every string of `values` (no NULLs), on the UTF-8 bytes
    at once: each byte `safe` does not keep becomes `%XX`."""
    start = values.offset
    offsets = np.frombuffer(values.buffers()[1], np.int32)[start : start + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    keep = safe[data]
    width = np.where(keep, 1, 3)
    ends = np.cumsum(width)
    at = ends - width  # where each byte's output starts
    out = np.empty(int(ends[-1]) if len(ends) else 0, np.uint8)
    out[at[keep]] = data[keep]
    escaped, byte = at[~keep], data[~keep]
    out[escaped], out[escaped + 1], out[escaped + 2] = ord("%"), _HEX[byte >> 4], _HEX[byte & 15]
    bounds = np.concatenate([[0], ends])[offsets - offsets[0]].astype(np.int32)
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(bounds), pa.py_buffer(out))


def _encoded(keys: pa.Array, operations: pa.Array) -> pa.Array:
    """`record.encode_key` of keys (no NULLs): twice for most operations (the client's
    encoding of the path, then S3's), once for those S3 logs encoded once."""
    single = pc.fill_null(pc.is_in(operations, pa.array(sorted(SINGLE_ENCODED_OPERATIONS))), False)
    twice = percent_encode(percent_encode(keys, _CLIENT_SAFE), _S3_SAFE)
    if not pc.any(single).as_py():
        return twice
    return pc.if_else(single, percent_encode(keys, _S3_SAFE), twice)


def _key_raw(keys: Any, operations: Any) -> Any:
    """The Key as a text log writes it (`record.encode_key`); most keys need nothing."""
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    if isinstance(operations, pa.ChunkedArray):
        operations = operations.combine_chunks()
    plain = pc.fill_null(pc.match_substring_regex(keys, _PLAIN_KEY), True)
    if pc.all(plain).as_py():
        return keys
    mask = pc.invert(plain)
    encoded = _encoded(pc.filter(keys, mask), pc.filter(operations, mask))
    return pc.replace_with_mask(keys, mask, encoded)


def rows(data: bytes, source: str, first_position: int = 0) -> pa.Table:
    """The `access_log` rows of a block of JSON Lines whose first record is at
    `first_position` + 1; raises NotFast."""
    import pyarrow.json as pj

    options = pj.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="infer")
    try:
        table = pj.read_json(io.BytesIO(data), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise NotFast(str(err)) from None
    return typed(table, source, first_position, "json")


def _time(values: Any) -> Any:
    if values.null_count:
        raise NotFast("a record without request_time")
    if pa.types.is_timestamp(values.type):  # Parquet: a zone-less one is UTC
        return pc.cast(values, pa.timestamp("us", tz="UTC"))
    if not pa.types.is_string(values.type):
        raise NotFast("request_time neither a timestamp nor a string")
    try:
        return pc.cast(values, pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        raise NotFast("request_time not ISO 8601") from None


def _strings(table: pa.Table, key: str) -> Any:
    values = _column(table, key, pa.string())
    if pa.types.is_dictionary(values.type) or pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    if pa.types.is_null(values.type):
        return pa.nulls(table.num_rows, pa.string())
    if not pa.types.is_string(values.type):
        raise NotFast(f"{key} is not a string")
    return values


def _integers(table: pa.Table, f: Field) -> Any:
    values = _column(table, f.json_key, pa.int64())
    if not (pa.types.is_integer(values.type) or pa.types.is_null(values.type)):
        raise NotFast(f"{f.json_key} is not an integer")
    return _integer(f, pc.cast(values, pa.int64()))


def typed(table: pa.Table, source: str, first_position: int, delivery: str) -> pa.Table:
    """The `access_log` rows of records given as columns named by their keys (a block of
    JSON Lines, a batch of a Parquet file); raises NotFast."""
    if set(table.column_names) - KNOWN_KEYS:
        raise NotFast("unknown keys")  # kept in extra_fields by the record path
    n = table.num_rows
    out: dict[str, Any] = {}
    for f in FIELDS:
        if f.kind == "time":
            out[f.name] = _time(_column(table, f.json_key, pa.string()))
        elif f.kind in ("int", "bigint"):
            out[f.name] = _integers(table, f)
        elif f.name == "acl_required":
            out[f.name] = _acl(_column(table, f.json_key, pa.string()))
        elif f.name == "key":
            out[f.name] = _strings(table, f.json_key)
        else:
            out[f.name] = _dash_is_null(_strings(table, f.json_key))
    arns = _strings(table, "bucket_arn")
    if pc.any(pc.and_(pc.is_null(out["bucket"]), pc.is_valid(arns))).as_py():
        raise NotFast("bucket only in bucket_arn")
    out["key_raw"] = _key_raw(out["key"], out["operation"])
    out["extra_fields"] = pa.nulls(n, pa.string())
    out["source_file"] = constant(source, n)
    out["source_line"] = pa.array(np.arange(first_position + 1, first_position + n + 1))
    out["field_count"] = pa.array(np.full(n, KNOWN_FIELDS, np.int16))
    out["raw_line"] = pa.nulls(n, pa.binary())
    out["delivery"] = constant(delivery, n)
    for column, key in JSON_ONLY.items():
        out[column] = _dash_is_null(_strings(table, key))
    out["date"] = pc.cast(out["time"], pa.date32())
    return pa.table([out[name] for name in COLUMN_ORDER], names=list(COLUMN_ORDER)).cast(
        ACCESS_LOG_SCHEMA
    )
