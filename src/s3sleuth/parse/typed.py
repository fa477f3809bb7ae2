"""Field tokens -> typed `access_log` columns, with the canonical check on every value.

Both fast-path splitters (`split_compiled`, `split_csv`) hand their tokens here, one
`Tokens` per wire field. A row passes only if every value would be written back as the same
token (`parse.render`); the splitter has already made sure the tokens themselves are the line's
exact split. Rows that fail go to the reference parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from s3sleuth.fields import (
    BARE_DASH_OPERATIONS,
    BY_NAME,
    COLUMN_ORDER,
    FIELDS,
    SINGLE_ENCODED_OPERATIONS,
)
from s3sleuth.parse import columns as col
from s3sleuth.parse import compiled
from s3sleuth.parse.framing import non_utf8_values

_BARE_OPS = pa.array(sorted(BARE_DASH_OPERATIONS), pa.binary())
_SINGLE_OPS = pa.array(sorted(SINGLE_ENCODED_OPERATIONS), pa.binary())
_TLS = BY_NAME["tls_version"].position
_NULL_TYPES = {"int": pa.int32(), "bigint": pa.int64(), "str": pa.string()}
_VOCABULARY = {f.name: re.compile(f.vocabulary.encode()) for f in FIELDS if f.vocabulary}


@dataclass(frozen=True)
class Tokens:
    """One field's tokens: `data[starts[i] : starts[i] + lengths[i]]` for row i.

    `array` is the same tokens as one Arrow binary array when the splitter already has it;
    otherwise it is gathered on first use.
    """

    data: col.Bytes
    starts: col.Positions
    lengths: col.Positions
    array: pa.Array | None = None
    dashes: col.Bools | None = None  # which tokens are "-", when the splitter knows

    @classmethod
    def of(cls, array: pa.Array) -> Tokens:
        data, offsets = col.binary_buffers(array)
        return cls(data, offsets[:-1], np.diff(offsets), array)

    def binary(self) -> pa.Array:
        if self.array is not None:
            return self.array
        data, offsets = col.gather_ranges(self.data, self.starts, self.lengths)
        return col.binary(data, offsets)

    def dash(self) -> col.Bools:
        if self.dashes is not None:
            return self.dashes
        return col.is_dash(self.data, self.starts, self.lengths)

    def take(self, rows: col.Ints) -> Tokens:
        array = None if self.array is None else self.array.take(pa.array(rows))
        dashes = None if self.dashes is None else self.dashes[rows]
        return Tokens(self.data, self.starts[rows], self.lengths[rows], array, dashes)


def typed(
    fields: list[Tokens | None],
    counts: col.Ints,
    quoted: col.Bools,
    extra_fields: pa.Array,
    ok: col.Bools | None = None,
) -> tuple[pa.Table, col.Ints]:
    """access_log columns (in table order) of the rows canonical in every field, and which
    rows those are.

    `fields[p - 1]` holds wire field p (None when no row has it); `counts` is each row's field
    count, and a row with fewer fields than p has NULL there. `quoted` says whether a row's
    three quoted fields are quoted (else they are bare dashes). `ok` marks rows the splitter
    already found exact; others are left out.

    The checks run first, on the fields that can fail them, so the string columns are built
    for the kept rows only.
    """
    n = len(counts)
    ok = np.ones(n, bool) if ok is None else ok.copy()
    checked = _checked(fields, counts, quoted, ok)
    keep = np.flatnonzero(ok)
    everything = len(keep) == n
    out: dict[str, pa.Array] = {}
    for field, tokens in zip(FIELDS, fields, strict=True):
        if field.name in checked:
            values = checked[field.name]
            out[field.name] = values if everything else values.take(pa.array(keep))
        elif tokens is None:
            out[field.name] = pa.nulls(len(keep), _NULL_TYPES.get(field.kind, pa.string()))
        else:
            mine = tokens if everything else tokens.take(keep)
            present = counts[keep] >= field.position
            out[field.name] = _string(mine.binary(), ~mine.dash() & present)
    for name, values in (("date", checked["date"]), ("key_raw", checked["key_raw"]),
                         ("extra_fields", extra_fields)):  # fmt: skip
        out[name] = values if everything else values.take(pa.array(keep))
    out["field_count"] = pa.array(counts[keep].astype(np.int16), pa.int16())
    return pa.table({name: out[name] for name in COLUMN_ORDER if name in out}), keep


def _checked(
    fields: list[Tokens | None], counts: col.Ints, quoted: col.Bools, ok: col.Bools
) -> dict[str, pa.Array]:
    """The columns whose values can fail the canonical check, for all rows; clears `ok` for
    the rows that fail. Also checks the quoted fields' dash forms and the TLS field."""
    out: dict[str, pa.Array] = {}
    assert fields[6] is not None and fields[7] is not None  # every era has Operation and Key
    operation = fields[6].binary()
    bare = pc.fill_null(pc.is_in(operation, value_set=_BARE_OPS), False).to_numpy(
        zero_copy_only=False
    )
    for field, tokens in zip(FIELDS, fields, strict=True):
        if tokens is None:
            continue
        present = counts >= field.position
        if field.kind == "time":
            out["time"], out["date"], field_ok = _times(tokens)
            ok &= field_ok
        elif field.kind in ("int", "bigint"):
            values, valid, field_ok = col.integers(
                tokens.data,
                tokens.starts,
                tokens.lengths,
                bigint=field.kind == "bigint",
                dash_is_zero=field.dash_is_zero,
            )
            ok &= field_ok | ~present
            arrow_type = pa.int64() if field.kind == "bigint" else pa.int32()
            out[field.name] = pa.array(values, arrow_type, mask=~(valid & present))
        elif field.quoted:
            # S3 writes `-` bare for bare-dash operations and `"-"` for all others.
            dash = tokens.dash()
            ok &= np.where(quoted, ~(dash & bare), dash & bare) | ~present
        elif field.name in _VOCABULARY:
            # A token its field cannot hold means the split is wrong (a Host Id with a
            # space shifts the fields after it): the reference parser reads the line.
            ok &= _fits(tokens, _VOCABULARY[field.name]) | ~present
    tls = fields[_TLS - 1]
    if tls is not None:
        # "TLS 1.3" (Storj) is one field written as two tokens; the reference parser joins them.
        ok &= ~(col.equals(tls.data, tls.starts, tls.lengths, b"TLS") & (counts > _TLS))
    key = fields[7]
    raw = _string(key.binary(), ~key.dash())
    out["key"], key_ok = _decode_keys(key, raw, operation)
    out["key_raw"] = raw
    out["operation"] = _string(operation, ~fields[6].dash())
    ok &= key_ok
    return out


def _fits(tokens: Tokens, vocabulary: re.Pattern[bytes]) -> col.Bools:
    """Which tokens are `-` or in the vocabulary: each distinct token tested once."""
    encoded = pc.dictionary_encode(tokens.binary())
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    words = encoded.dictionary.to_pylist()
    fits = np.array([w == b"-" or vocabulary.fullmatch(w) is not None for w in words], bool)
    index = encoded.indices.to_numpy(zero_copy_only=False)
    return fits[index] if len(fits) else np.ones(len(index), bool)


def _string(array: pa.Array, valid: col.Bools) -> pa.Array:
    """binary -> string with NULL where not valid (UTF-8 was checked for the whole line)."""
    if array.offset:
        array = pa.concat_arrays([array])  # a fresh array at offset 0, to line up the bitmap
    _, offsets, data = array.buffers()
    validity = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), len(array), [validity, offsets, data])


def _times(tokens: Tokens) -> tuple[pa.Array, pa.Array, col.Bools]:
    """(time, date, ok) from Time tokens `[dd/Mon/yyyy:HH:MM:SS +0000]`.

    Without the compiled module, each distinct value is converted once (a block of a busy
    bucket still holds thousands of distinct seconds, so the compiled loop takes every row).
    """
    if (scan := compiled.scan()) is not None:
        out = scan.timestamps(tokens.data, tokens.starts, tokens.lengths)
        seconds, days = (np.frombuffer(b, np.int64) for b in out[:2])
        valid, ok = (np.frombuffer(b, np.bool_) for b in out[2:])
    else:
        encoded = pc.dictionary_encode(tokens.binary())
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        data, offsets = col.binary_buffers(encoded.dictionary)
        seconds, days, valid, ok = col.timestamps(data, offsets[:-1], np.diff(offsets))
        index = encoded.indices.to_numpy(zero_copy_only=False)
        seconds, days, valid, ok = seconds[index], days[index], valid[index], ok[index]
    time = pa.array(seconds * 1_000_000, pa.timestamp("us", tz="UTC"), mask=~valid)
    date = pa.array(days.astype(np.int32), pa.date32(), mask=~valid)
    return time, date, ok


def _decode_keys(tokens: Tokens, raw: pa.Array, operation: pa.Array) -> tuple[pa.Array, col.Bools]:
    """Decoded keys: twice for most operations, once for SINGLE_ENCODED_OPERATIONS.

    The reference parser stops at a layer that is not UTF-8; rows where a layer is not valid
    UTF-8 are left to it.
    """
    single = pc.is_in(operation, value_set=_SINGLE_OPS)
    valid = raw.is_valid().to_numpy(zero_copy_only=False)
    if (scan := compiled.scan()) is not None:
        passes = np.where(single.to_numpy(zero_copy_only=False), 1, 2).astype(np.uint8)
        offsets, values, bad = scan.decode_keys(tokens.data, tokens.starts, tokens.lengths, passes)
        keys = col.binary(np.frombuffer(values, np.uint8), np.frombuffer(offsets, np.int32), valid)
        return keys.cast(pa.string(), safe=False), ~np.frombuffer(bad, np.bool_)
    data, offsets = col.binary_buffers(raw)
    once, once_off = col.percent_decode(data, offsets)
    twice, twice_off = col.percent_decode(once, once_off)
    bad = non_utf8_values(once, once_off) | non_utf8_values(twice, twice_off)
    chosen = pc.if_else(
        single, col.binary(once, once_off, valid), col.binary(twice, twice_off, valid)
    )
    if isinstance(chosen, pa.ChunkedArray):
        chosen = chosen.combine_chunks()
    return chosen.cast(pa.string(), safe=False), ~bad
