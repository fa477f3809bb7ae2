"""Cutting a block of bytes into lines, without a Python loop per line.

A line ends at `\\n`; one `\\r` before it is part of the terminator (CRLF files), not of the
line. A last line without a newline still counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from s3sleuth.parse import compiled

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Segment:
    """Consecutive whole lines of one source: given as bytes, or as a byte range of a file
    (so the parsing thread reads it, in parallel with the others)."""

    source: int  # index into the block's `sources`
    data: bytes | None = None
    path: str | None = None
    offset: int = 0
    length: int = 0

    def load(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read(self.length)


@dataclass(frozen=True)
class Lines:
    """The lines of one block: `data[starts[i] : starts[i] + lengths[i]]` is line i.

    A block may hold lines of several sources (small files are packed together). `segments`
    and `numbers` say where each line came from: its segment, and its 1-based number within
    that segment (the ingest adds the segment's offset in its source).
    """

    data: bytes
    starts: Int64Array
    lengths: Int64Array
    numbers: Int64Array
    segments: Int64Array
    segment_sources: Int64Array  # source index of each segment
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def source_ids(self) -> Int64Array:
        return self.segment_sources[self.segments]

    def subset(self, rows: Int64Array) -> Lines:
        """The same block with only the lines `rows` (the bytes are shared)."""
        return Lines(
            self.data,
            self.starts[rows],
            self.lengths[rows],
            self.numbers[rows],
            self.segments[rows],
            self.segment_sources,
            self.sources,
        )

    def line(self, i: int) -> bytes:
        start = int(self.starts[i])
        return self.data[start : start + int(self.lengths[i])]


def _line_bounds(buf: npt.NDArray[np.uint8]) -> tuple[Int64Array, Int64Array]:
    if (scan := compiled.scan()) is not None:
        starts, lengths = scan.lines(buf)
        return np.frombuffer(starts, np.int64), np.frombuffer(lengths, np.int64)
    ends = np.flatnonzero(buf == 0x0A).astype(np.int64)
    if len(buf) and buf[-1] != 0x0A:
        ends = np.append(ends, np.int64(len(buf)))  # last line without a newline
    starts = np.empty_like(ends)
    if len(ends):
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    has_cr = (lengths > 0) & (buf[np.maximum(ends - 1, 0)] == 0x0D)
    return starts, lengths - has_cr


def pack(segments: list[Segment], sources: tuple[str, ...]) -> Lines:
    """Join segments into one block. Each segment's last line is terminated so lines of two
    segments never merge."""
    parts = [s.load() for s in segments]
    parts = [p if not p or p.endswith(b"\n") else p + b"\n" for p in parts]
    data = b"".join(parts)
    starts, lengths = _line_bounds(np.frombuffer(data, dtype=np.uint8))
    sizes = np.array([len(p) for p in parts], np.int64)
    seg_ends = np.cumsum(sizes)
    seg_of_line = np.searchsorted(seg_ends, starts, side="right")
    first_line_of_seg = np.searchsorted(starts, seg_ends - sizes)
    numbers = np.arange(len(starts)) - first_line_of_seg[seg_of_line] + 1
    seg_sources = np.array([s.source for s in segments], np.int64)
    return Lines(data, starts, lengths, numbers, seg_of_line, seg_sources, sources)


def split_lines(data: bytes, source: str = "") -> Lines:
    """The lines of one block from one source."""
    return pack([Segment(0, data)], (source,))


_HIGH_BITS = np.uint64(0x8080808080808080)


def _words(data: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint64], int]:
    """The bytes as little-endian 64-bit words, and how many bytes the words cover."""
    whole = len(data) // 8 * 8
    return np.ascontiguousarray(data[:whole]).view("<u8"), whole


def _high_bytes(data: npt.NDArray[np.uint8]) -> Int64Array:
    """Positions of the bytes >= 0x80, found 8 bytes at a time."""
    words, whole = _words(data)
    hit_words = np.flatnonzero(words & _HIGH_BITS)
    candidates = (hit_words[:, None] * 8 + np.arange(8)).ravel()
    tail = np.arange(whole, len(data))
    positions = np.concatenate([candidates, tail])
    return np.asarray(positions[data[positions] >= 0x80], dtype=np.int64)


def _has_high_byte(data: npt.NDArray[np.uint8]) -> bool:
    words, whole = _words(data)
    return bool((words & _HIGH_BITS).any() or (data[whole:] >= 0x80).any())


def _check_rows(
    data: npt.NDArray[np.uint8], starts: Int64Array, lengths: Int64Array
) -> npt.NDArray[np.bool_]:
    """Decode only the rows that hold a high byte; ASCII rows are valid UTF-8."""
    bad = np.zeros(len(starts), dtype=bool)
    high = _high_bytes(data)
    if len(high) == 0:
        return bad
    owners = np.unique(np.searchsorted(starts, high, side="right") - 1)
    for i in owners.tolist():
        start, length = int(starts[i]), int(lengths[i])
        try:
            data[start : start + length].tobytes().decode("utf-8")
        except UnicodeDecodeError:
            bad[i] = True
    return bad


def non_utf8_values(
    data: npt.NDArray[np.uint8], offsets: Int64Array | npt.NDArray[np.int32]
) -> npt.NDArray[np.bool_]:
    """Values of a binary column (contiguous `offsets`) that are not valid UTF-8."""
    n = len(offsets) - 1
    if n <= 0 or not _has_high_byte(data):
        return np.zeros(max(n, 0), dtype=bool)
    narrow = offsets.astype(np.int32, copy=False)
    array = pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(narrow), pa.py_buffer(data)])
    try:
        array.cast(pa.string())  # validates each value on its own
        return np.zeros(n, dtype=bool)
    except pa.ArrowInvalid:
        wide = offsets.astype(np.int64)
        return _check_rows(data, wide[:-1], np.diff(wide))


def non_utf8_lines(lines: Lines) -> npt.NDArray[np.bool_]:
    """Lines that are not valid UTF-8."""
    return _check_rows(np.frombuffer(lines.data, dtype=np.uint8), lines.starts, lines.lengths)
