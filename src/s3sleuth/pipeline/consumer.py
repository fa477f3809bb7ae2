"""Writing parsed blocks in order, filtering to windows, and committing at the barriers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from s3sleuth.parse.block import SEGMENT, Parsed
from s3sleuth.pipeline.core import writer
from s3sleuth.pipeline.producer import PENDING, Admission, Commit, Producer, confirm
from s3sleuth.pipeline.result import IngestResult, Progress
from s3sleuth.store.coverage import keep
from s3sleuth.store.manifest import SourceEntry
from s3sleuth.store.store import StagedBatch, StoreDir
from s3sleuth.store.writer import BatchWriter


class Consumer:
    """Writes parsed blocks in order and commits at the barriers."""

    def __init__(
        self,
        store: StoreDir,
        result: IngestResult,
        progress: Progress | None,
        flush_rows: int,
        producer: Producer,
        committed: set[str] | None = None,
    ) -> None:
        self.store, self.result, self.progress = store, result, progress
        self.flush_rows, self.producer, self.admitted = flush_rows, producer, producer.admitted
        self.committed = committed if committed is not None else set()  # sources, by name
        self.outside: dict[str, int] = {}
        self.batch: StagedBatch | None = None
        self.writer: BatchWriter | None = None
        self.lines: dict[str, int] = {}
        self.rejected: dict[str, int] = {}

    def _writer(self) -> BatchWriter:
        if self.writer is None:
            self.batch = self.store.new_batch()
            self.writer = writer(self.batch, flush_rows=self.flush_rows)
        return self.writer

    def write(self, parsed: Parsed) -> None:
        """Number the block's lines within their sources, then queue its rows and rejects."""
        offsets = []
        for count, name in zip(parsed.segment_lines, parsed.segment_sources, strict=True):
            start = self.lines.get(name, self.admitted[name].skip_lines)  # after stored lines
            offsets.append(start)
            self.lines[name] = start + count
        shift = np.array(offsets, np.int64)
        rows = parsed.rows
        segment = rows.column(SEGMENT).to_numpy()
        numbers = rows.column("source_line").to_numpy() + shift[segment]
        index = rows.column_names.index("source_line")
        rows = rows.set_column(index, "source_line", pa.array(numbers, pa.int64()))
        writer = self._writer()
        admissions = [self.admitted[name] for name in parsed.segment_sources]
        if any(a.filters for a in admissions):
            rows = self._in_window(rows, segment, admissions, parsed.segment_sources)
            writer.add_table(rows.drop_columns([SEGMENT]))
        else:
            writer.add_grouped(rows.drop_columns([SEGMENT]), parsed.runs)
        for segment_index, name, number, reason, raw, count in parsed.rejects:
            self.rejected[name] = self.rejected.get(name, 0) + count
            if admissions[segment_index].stored:  # the first ingest of the source kept them
                self.outside[name] = self.outside.get(name, 0) + count
                continue
            writer.add_reject(name, number + offsets[segment_index], reason, raw)
        if self.progress is not None:
            self.progress(parsed.input_bytes, lines=sum(parsed.segment_lines))

    def _in_window(
        self, rows: pa.Table, segment: np.ndarray, admissions: list[Admission], names: list[str]
    ) -> pa.Table:
        """Rows in each source's window that no earlier ingest stored; counts the rest."""
        times = rows.column("time").to_numpy()
        mask = np.ones(rows.num_rows, dtype=bool)
        for index, admission in enumerate(admissions):
            if not admission.filters:
                continue
            here = segment == index
            drop = here & ~keep(times, admission.wanted, list(admission.stored))
            mask &= ~drop
            self.outside[names[index]] = self.outside.get(names[index], 0) + int(drop.sum())
        return rows.filter(pa.array(mask))

    def commit(self, barrier: Commit) -> None:
        if not barrier.sources and not barrier.failed:
            return
        writer = self._writer()
        for name, line, reason in barrier.failed:
            writer.add_reject(name, line, reason, b"")
        confirmed = [  # before anything is counted: LateDuplicate leaves the result as it was
            (source, self._confirmed(source.name, admission))
            for source, admission in barrier.sources
        ]
        entries = []
        for source, admission in confirmed:
            lines = self.lines.pop(source.name, admission.skip_lines) - admission.skip_lines
            rejected = self.rejected.pop(source.name, 0)
            outside = self.outside.pop(source.name, 0)
            entries.append(
                SourceEntry(
                    admission.identity,
                    source.name,
                    source.size,
                    source.mtime_ns,
                    lines,
                    lines - rejected,
                    rejected,
                    admission.wanted,
                    replaces=admission.skip_bytes == 0,
                )
            )
            self.result.files += 1
            self.result.lines += lines
            # lines = parsed + rejected + outside_window, always
            rejected_now = rejected if not admission.stored else 0
            self.result.rejected += rejected_now
            self.result.outside_window += outside
            self.result.parsed += lines - rejected_now - outside
        writer.flush(wait=True)
        writer.close()
        if self.progress is not None:
            self.progress(0, sources=len(barrier.sources))
        assert self.batch is not None
        self.batch.commit(entries)
        self.committed.update(entry.source for entry in entries)
        self.batch, self.writer = None, None

    def _confirmed(self, name: str, admission: Admission) -> Admission:
        if admission.identity != PENDING:
            return admission
        return confirm(self.store, name, self.producer.pending.pop(name), self.producer.seen)

    def abandon(self) -> None:
        if self.writer is not None and self.batch is not None:
            self.writer.close()
            self.batch.discard()
