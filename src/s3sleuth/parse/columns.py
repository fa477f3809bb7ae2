"""Vectorized converters: token byte ranges -> typed values, with a canonical-form check.

Every converter returns `(array, ok)`: `ok` is False for rows whose token is not in the
canonical form that `parse.render` would write back, so those rows can go to the reference
parser. That per-field check is what makes a fast-path row reproduce its line exactly.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from s3sleuth.parse import compiled

Bytes = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.int32]  # token starts, lengths and Arrow offsets (blocks < 2 GiB)
Index = Ints | Positions

DASH, QUOTE, PERCENT = 0x2D, 0x22, 0x25
_MONTH_CODES = {
    name: i
    for i, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_CODE_KEYS = np.array(sorted(int.from_bytes(m.encode(), "big") for m in _MONTH_CODES), np.int64)
_CODE_MONTH = np.array(
    [_MONTH_CODES[int(c).to_bytes(3, "big").decode()] for c in _CODE_KEYS], np.int64
)
_INT32_MAX = 2**31 - 1
# The fixed characters of "[dd/Mon/yyyy:HH:MM:SS +0000]", by position.
_TIME_LITERALS = {
    0: "[",
    3: "/",
    7: "/",
    12: ":",
    15: ":",
    18: ":",
    21: " ",
    22: "+",
    23: "0",
    24: "0",
    25: "0",
    26: "0",
    27: "]",
}
_TIME_LITERAL_AT = np.array(list(_TIME_LITERALS), np.int64)
_TIME_LITERAL = np.array([ord(c) for c in _TIME_LITERALS.values()], np.int64)


def gather(buf: Bytes, starts: Index, width: int) -> Bytes:
    """An (n, width) matrix of the bytes at each start (clamped at the end of the buffer)."""
    if len(buf) == 0:
        return np.zeros((len(starts), width), np.uint8)
    index = np.minimum(starts[:, None] + np.arange(width), len(buf) - 1)
    return cast(Bytes, buf[index])


def is_dash(buf: Bytes, starts: Index, lengths: Index) -> Bools:
    if len(buf) == 0:
        return np.zeros(len(starts), bool)
    return cast(Bools, (lengths == 1) & (buf[np.minimum(starts, len(buf) - 1)] == DASH))


def _validity(valid: Bools) -> pa.Buffer | None:
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _digits(buf: Bytes, starts: Index, lengths: Index, limit: int) -> tuple[Ints, Bools]:
    """Decimal tokens of 1 to `limit` digits without a leading zero -> (values, canonical)."""
    if (scan := compiled.scan()) is not None:
        values, ok = scan.integers(buf, starts, lengths, limit)
        return np.frombuffer(values, np.int64), np.frombuffer(ok, np.bool_)
    width = int(min(limit, lengths.max(initial=1)))
    digits = gather(buf, starts, width).astype(np.int64) - 0x30
    inside = np.arange(width) < lengths[:, None]
    all_digits = np.all(~inside | ((digits >= 0) & (digits <= 9)), axis=1)
    canonical = (
        (lengths >= 1) & (lengths <= limit) & all_digits & ((lengths == 1) | (digits[:, 0] != 0))
    )
    values = np.zeros(len(starts), np.int64)
    for k in range(width):  # Horner, one digit column at a time
        values = np.where(inside[:, k], values * 10 + np.clip(digits[:, k], 0, 9), values)
    return np.where(canonical, values, 0), canonical


def integers(
    buf: Bytes, starts: Index, lengths: Index, *, bigint: bool, dash_is_zero: bool
) -> tuple[Ints, Bools, Bools]:
    """Decimal tokens -> (values, valid, ok). Canonical: digits only, no leading zero, in range."""
    dash = is_dash(buf, starts, lengths)
    values, canonical = _digits(buf, starts, lengths, 18 if bigint else 10)
    if not bigint:
        canonical = canonical & (values <= _INT32_MAX)
    if dash_is_zero:
        canonical = canonical & (values != 0)  # a logged 0 would be written back as "-"
        values = np.where(dash, 0, values)
        valid = np.ones(len(starts), bool)
    else:
        valid = ~dash
    ok = dash | canonical
    return np.where(ok, values, 0), valid, ok


def equals(buf: Bytes, starts: Index, lengths: Index, value: bytes) -> Bools:
    """Tokens equal to `value`."""
    same = lengths == len(value)
    if len(value) and same.any():
        same &= np.all(gather(buf, starts, len(value)) == np.frombuffer(value, np.uint8), axis=1)
    return cast(Bools, same)


def _days_from_civil(y: Ints, m: Ints, d: Ints) -> Ints:
    """Days since 1970-01-01 (H. Hinnant's algorithm), vectorized."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return cast(Ints, era * 146097 + doe - 719468)


def _month_length(y: Ints, m: Ints) -> Ints:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    base = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(m, 0, 12)]
    return cast(Ints, base + ((m == 2) & leap))


def timestamps(buf: Bytes, starts: Index, lengths: Index) -> tuple[Ints, Ints, Bools, Bools]:
    """`[dd/Mon/yyyy:HH:MM:SS +0000]` -> (epoch seconds, epoch days, valid, ok).

    Other offsets are not canonical: the reference parser converts them and keeps the raw line.
    """
    b = gather(buf, starts, 28).astype(np.int64)
    dash = (lengths == 1) & (b[:, 0] == DASH)

    def num(lo: int, hi: int) -> Ints:
        out = np.zeros(len(b), np.int64)
        for k in range(lo, hi):
            out = out * 10 + (b[:, k] - 0x30)
        return out

    digit_cols = [1, 2, 8, 9, 10, 11, 13, 14, 16, 17, 19, 20]
    digits_ok = np.all((b[:, digit_cols] >= 0x30) & (b[:, digit_cols] <= 0x39), axis=1)
    literal_ok = np.all(b[:, _TIME_LITERAL_AT] == _TIME_LITERAL, axis=1)
    code = (b[:, 4] << 16) | (b[:, 5] << 8) | b[:, 6]
    slot = np.clip(np.searchsorted(_CODE_KEYS, code), 0, 11)
    month = np.where(_CODE_KEYS[slot] == code, _CODE_MONTH[slot], 0)
    year, day = num(8, 12), num(1, 3)
    hour, minute, second = num(13, 15), num(16, 18), num(19, 21)
    ok = (lengths == 28) & digits_ok & literal_ok & (month > 0) & (year >= 1)
    ok &= (day >= 1) & (day <= _month_length(year, month)) & (hour < 24) & (minute < 60)
    ok &= second < 60
    days = _days_from_civil(year, np.where(month > 0, month, 1), day)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second
    return seconds, days, ~dash, dash | ok


def binary(data: Bytes, offsets: Index, valid: Bools | None = None) -> pa.Array:
    validity = None if valid is None else _validity(valid)
    return pa.Array.from_buffers(
        pa.binary(),
        len(offsets) - 1,
        [validity, pa.py_buffer(offsets.astype(np.int32, copy=False)), pa.py_buffer(data)],
    )


def binary_buffers(array: pa.Array) -> tuple[Bytes, Positions]:
    """A binary or string array as (data bytes, offsets) for numpy, without copying."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    _, offsets_buf, data_buf = array.buffers()[:3]
    offsets = np.frombuffer(offsets_buf, np.int32)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets


def gather_ranges(buf: Bytes, starts: Positions, lengths: Positions) -> tuple[Bytes, Positions]:
    """The byte ranges copied into one column: (data, offsets)."""
    if (scan := compiled.scan()) is not None:
        offsets, values = scan.gather(buf, starts, lengths)
        return np.frombuffer(values, np.uint8), np.frombuffer(offsets, np.int32)
    offsets = np.zeros(len(starts) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    owner = np.repeat(np.arange(len(starts)), lengths)
    index = starts[owner] + (np.arange(offsets[-1]) - offsets[owner])
    return buf[index], offsets


_HEX_VALUE = np.full(256, -1, np.int64)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
for _i, _c in enumerate(b"ABCDEF", 10):
    _HEX_VALUE[_c] = _i


def percent_decode(data: Bytes, offsets: Index) -> tuple[Bytes, Index]:
    """One layer of %XX decoding over a binary column (malformed escapes are kept as-is)."""
    pct = np.flatnonzero(data == PERCENT)
    if len(pct) == 0:
        return data, offsets
    owner_end = offsets[np.searchsorted(offsets, pct, side="right")]
    pct = pct[pct + 2 < owner_end]
    hexval = _HEX_VALUE
    hi, lo = hexval[data[pct + 1]], hexval[data[pct + 2]]
    pct = pct[(hi >= 0) & (lo >= 0)]
    if len(pct) == 0:
        return data, offsets
    out = data.copy()
    out[pct] = (hexval[data[pct + 1]] * 16 + hexval[data[pct + 2]]).astype(np.uint8)
    keep = np.ones(len(data), bool)
    keep[pct + 1] = False
    keep[pct + 2] = False
    removed_before = 2 * np.searchsorted(pct, offsets)
    return out[keep], offsets - removed_before
