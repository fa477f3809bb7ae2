"""Parsing one block of lines: the unit of work a parsing thread does during ingest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from s3sleuth import limits
from s3sleuth.parse.framing import Lines, Segment, pack
from s3sleuth.parse.line import LineRejected, parse_line
from s3sleuth.parse.vectorized import parse_block
from s3sleuth.schema import ACCESS_LOG_SCHEMA
from s3sleuth.store.partitions import partition_runs


@dataclass
class Parsed:
    """One parsed block: rows grouped by partition, and what the ingest needs to number lines.

    `source_line` holds each line's number within its segment; `segment` (a column of `rows`,
    and the first item of each reject) says which segment, and `segment_lines` how many lines
    each segment had, so the ingest can add each segment's offset in its source.
    """

    rows: pa.Table
    runs: list[tuple[int, int]]
    # segment, source, first line, reason, raw, and how many lines (a run of blank lines is
    # one reject: millions of them must not be millions of rows held in memory)
    rejects: list[tuple[int, str, int, str, bytes, int]]
    segment_lines: list[int]
    segment_sources: list[str]
    input_bytes: int


@dataclass
class Block:
    segments: list[Segment]
    sources: tuple[str, ...]
    input_bytes: int


SEGMENT = "_segment"


def parse(block: Block) -> Parsed:
    """Parse one block: the fast path first, the reference parser for the lines it leaves.

    Runs on a parsing thread, so it also does the per-row work the writer would otherwise do
    on the consumer's: casting to the stored schema and grouping rows by partition.
    """
    lines = pack(block.segments, block.sources)
    blank = lines.lengths == 0
    rejects = _blank_runs(lines, blank)
    full = np.flatnonzero(~blank)
    fast, kept_full = parse_block(lines.subset(full) if len(full) < len(lines) else lines)
    kept = full[kept_full] if len(full) < len(lines) else kept_full
    records, record_segments = [], []
    for i in np.setdiff1d(full, kept, assume_unique=True).tolist():
        raw, number, segment = lines.line(i), int(lines.numbers[i]), int(lines.segments[i])
        source = lines.sources[int(lines.segment_sources[segment])]
        try:
            record = parse_line(raw)
        except LineRejected as err:
            if len(raw) > limits.MAX_LINE or limits.is_stand_in(raw):
                raw = limits.rejection(raw)[1]  # its start, not all of it
            rejects.append((segment, source, number, err.reason, raw, 1))
            continue
        record["source_file"], record["source_line"] = source, number
        records.append(record)
        record_segments.append(segment)
    rows = pa.concat_tables(
        [fast.cast(ACCESS_LOG_SCHEMA), pa.Table.from_pylist(records, schema=ACCESS_LOG_SCHEMA)]
    )
    segments = np.concatenate([lines.segments[kept], np.array(record_segments, np.int64)])
    rows = rows.append_column(SEGMENT, pa.array(segments.astype(np.int32)))
    rows, runs = partition_runs(rows)
    counts = np.bincount(lines.segments, minlength=len(block.segments)).tolist()
    names = [block.sources[s.source] for s in block.segments]
    return Parsed(rows, runs, rejects, counts, names, block.input_bytes)


def _blank_runs(lines: Lines, blank: np.ndarray) -> list[tuple[int, str, int, str, bytes, int]]:
    """One reject per run of consecutive empty lines within a segment. Found from the edges
    of the runs, so a block of millions of blank lines costs arrays the size of its runs."""
    if not blank.any():
        return []
    edges = np.diff(blank.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    firsts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    # a run that crosses into another segment is split where the segment starts
    starts = np.flatnonzero(np.diff(lines.segments, prepend=np.int64(-1)) != 0)
    out = []
    for first, end in zip(firsts.tolist(), ends.tolist(), strict=True):
        cuts = starts[(starts > first) & (starts < end)].tolist()
        for a, b in zip([first, *cuts], [*cuts, end], strict=True):
            segment = int(lines.segments[a])
            source = lines.sources[int(lines.segment_sources[segment])]
            low, high, count = int(lines.numbers[a]), int(lines.numbers[b - 1]), b - a
            reason = (
                "the line is empty"
                if count == 1
                else f"lines {low:,} to {high:,} are empty ({count:,} lines)"
            )
            out.append((segment, source, low, reason, b"", count))
    return out


@dataclass
class SourcePiece:
    """Part of one source parsed: rows numbered within the source, and its rejects."""

    rows: pa.Table  # ACCESS_LOG_SCHEMA, grouped by partition
    runs: list[tuple[int, int]]
    rejects: list[tuple[int, str, bytes, int]]  # first line, reason, raw, lines
    lines: int


def parse_source(
    chunks: Iterable[bytes], source: str, first_line: int = 0
) -> Iterator[SourcePiece]:
    """Parse a source, or a range of it, given as line-aligned chunks (see `read_chunks`),
    numbering lines from `first_line` + 1 across chunks. For engines that hand over a source
    or a range at a time (Spark)."""
    offset = first_line
    for chunk in chunks:
        parsed = parse(Block([Segment(0, data=chunk, length=len(chunk))], (source,), len(chunk)))
        rows = parsed.rows.drop_columns([SEGMENT])
        index = rows.column_names.index("source_line")
        numbers = pc.add(rows.column("source_line"), pa.scalar(offset, pa.int64()))
        rows = rows.set_column(index, "source_line", numbers)
        rejects = [
            (offset + number, reason, raw, count)
            for _, _, number, reason, raw, count in parsed.rejects
        ]
        lines = parsed.segment_lines[0] if parsed.segment_lines else 0
        yield SourcePiece(rows, parsed.runs, rejects, lines)
        offset += lines
