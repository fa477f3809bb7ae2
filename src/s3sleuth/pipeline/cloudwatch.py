"""Ingest of a CloudWatch Logs log group (`cloudwatch://LOG_GROUP`), incremental.

Each event is one access-log record (pipeline.records). The manifest records the times whose
events are all stored (its `log_windows`), and a run reads only the gaps its window leaves
(`--since`/`--until`, else everything up to now). Events arrive late with earlier times, so a
read counts as complete only up to `LATE` before its end; the events of those last hours
are read again by the next run, which skips those whose ids the manifest has. Events are
committed in batches of `COMMIT_EVENTS` with their ids, in one transaction: an interrupted
run loses and duplicates nothing, and the next one goes on from what was committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from s3sleuth.parse import columnar
from s3sleuth.parse.deliveries import event_record
from s3sleuth.pipeline.core import Session
from s3sleuth.pipeline.records import ROWS_PER_TABLE, RecordWriter, converted, rows_table
from s3sleuth.pipeline.result import IngestResult
from s3sleuth.sources.cloudwatch import CloudWatchReader, LogEvent, LogGroup, is_log_group
from s3sleuth.sources.s3 import S3Options
from s3sleuth.store.manifest import Interval, SourceEntry

LATE = timedelta(hours=6)
COMMIT_EVENTS = 100_000


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@dataclass
class _Chunk:
    """Events of one batch, by log stream: each stream is a source in the manifest."""

    group: LogGroup
    streams: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # ordinal, id
    rows: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    events: list[tuple[str, str, int]] = field(default_factory=list)

    def entries(self) -> list[SourceEntry]:
        out = []
        for stream, ids in self.streams.items():
            digest = hashlib.sha256("\n".join(i for _, i in ids).encode()).hexdigest()
            rows, rejected = self.rows.get(stream, 0), self.rejected.get(stream, 0)
            out.append(
                SourceEntry(
                    f"cloudwatch:{self.group.name}/{stream}#{digest}",
                    f"{self.group.uri}/{stream}",
                    self.sizes.get(stream, 0),
                    None,
                    rows + rejected,
                    rows,
                    rejected,
                    replaces=False,  # more events of the stream, not a new version of it
                )
            )
        return out


class _GroupIngest:
    """The events of one log group, into batches of `COMMIT_EVENTS`. An event's position is
    its ordinal among the events of its stream that the store has read (so `source_file`
    and `source_line` name one event, across runs)."""

    def __init__(self, session: Session, group: LogGroup) -> None:
        self.session, self.group = session, group
        self.chunk = _Chunk(group)
        self.batch = session.store.new_batch()
        self.writer = RecordWriter(self.batch)
        self.pending: list[dict[str, Any]] = []
        self.positions: dict[str, int] = {}  # stream -> its last event's position

    def _position(self, stream: str) -> int:
        if stream not in self.positions:
            name = f"{self.group.uri}/{stream}"
            self.positions[stream] = self.session.store.manifest.lines_of(name)
        self.positions[stream] += 1
        return self.positions[stream]

    def add_page(self, events: list[LogEvent]) -> None:
        """A page's new events, a stream at a time: typed as a block of JSON Lines by the
        fast path (parse.columnar) where it can, else event by event."""
        by_stream: dict[str, list[LogEvent]] = {}
        for event in events:
            by_stream.setdefault(event.stream, []).append(event)
        for stream, mine in by_stream.items():
            positions = [self._record(stream, event) for event in mine]
            if not self._typed(stream, mine, positions[0] - 1):
                for event, position in zip(mine, positions, strict=True):
                    self._row(stream, event, position)

    def _record(self, stream: str, event: LogEvent) -> int:
        """Note the event in the batch; its position."""
        position = self._position(stream)
        self.chunk.streams.setdefault(stream, []).append((position, event.event_id))
        self.chunk.events.append((self.group.name, event.event_id, event.timestamp))
        self.chunk.sizes[stream] = self.chunk.sizes.get(stream, 0) + len(event.message)
        return position

    def _typed(self, stream: str, events: list[LogEvent], before: int) -> bool:
        """The events' rows by the fast path; False when it declines them (or would read
        other than one record per event: a message holding a line break, or none)."""
        data = "\n".join(event.message for event in events).encode()
        try:
            table = columnar.rows(data, f"{self.group.uri}/{stream}", before)
        except columnar.NotFast:
            return False
        if table.num_rows != len(events):
            return False
        self.writer.add_table(table)
        self.chunk.rows[stream] = self.chunk.rows.get(stream, 0) + table.num_rows
        return True

    def _row(self, stream: str, event: LogEvent, position: int) -> None:
        """One event's row, read as any envelope's event is (parse.deliveries)."""
        name = f"{self.group.uri}/{stream}"
        item = event_record({"message": event.message, "timestamp": event.timestamp}, position)
        for _, row, raw in converted([item], "json"):
            if isinstance(row, str):
                self.writer.add_reject(name, position, f"{row} (event {event.event_id})", raw)
                self.chunk.rejected[stream] = self.chunk.rejected.get(stream, 0) + 1
                continue
            assert isinstance(row, dict)
            row["source_file"], row["source_line"] = name, position
            self.pending.append(row)
            self.chunk.rows[stream] = self.chunk.rows.get(stream, 0) + 1
            if len(self.pending) >= ROWS_PER_TABLE:  # memory bounded, as for files
                self.writer.add_table(rows_table(self.pending))

    def commit(self, complete: list[tuple[int, int]] | None = None) -> tuple[int, int]:
        """Commit what was read, and the windows now `complete`; (rows, rejected). The next
        events go to a new batch."""
        if self.pending:
            self.writer.add_table(rows_table(self.pending))
        self.writer.finish()
        entries = self.chunk.entries()
        windows = [(self.group.name, start, end) for start, end in complete or []]
        self.batch.commit(entries, self.chunk.events, windows)
        counts = sum(e.parsed for e in entries), sum(e.rejected for e in entries)
        self.chunk = _Chunk(self.group)
        self.batch = self.session.store.new_batch()
        self.writer = RecordWriter(self.batch)
        return counts

    def abandon(self) -> None:
        self.writer.close()
        self.batch.discard()


OPEN = -(1 << 62)  # epoch ms before any log


def gaps(wanted: tuple[int, int], windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `wanted` [start, end) that no window covers."""
    out, at = [], wanted[0]
    for start, end in sorted(windows):
        if end <= at:
            continue
        if start >= wanted[1]:
            break
        if start > at:
            out.append((at, start))
        at = max(at, end)
    if at < wanted[1]:
        out.append((at, wanted[1]))
    return out


def ingest_log_group(
    session: Session, spec: str, options: S3Options, wanted: Interval, now: datetime | None = None
) -> None:
    """Read the events of `spec`'s log group in `wanted` that the store does not have."""
    group = LogGroup.parse(spec)
    store, result, progress = session.store, session.result, session.progress
    reader = CloudWatchReader(options)
    since, until = wanted
    now_ms = _ms(now or datetime.now(UTC))
    window = (_ms(since) if since else OPEN, min(_ms(until), now_ms) if until else now_ms)
    work = _GroupIngest(session, group)
    read = 0
    try:
        for start, end in gaps(window, store.manifest.log_windows(group.name)):
            known = store.manifest.log_event_ids(group.name, start, end)
            for page in reader.pages(group, None if start == OPEN else start, end):
                new = []
                for event in page:
                    if event.event_id not in known:
                        known.add(event.event_id)
                        new.append(event)
                result.log_events += len(page)
                result.log_events_known += len(page) - len(new)
                work.add_page(new)
                read += len(new)
                if progress is not None:
                    progress(sum(len(e.message) for e in page), lines=len(page))
                if read >= COMMIT_EVENTS:
                    _count(result, *work.commit())
                    read = 0
        # Complete up to `LATE` before the read's end: later events may still arrive.
        complete = (window[0], min(window[1], now_ms - _ms_of(LATE)))
        _count(result, *work.commit([complete] if complete[0] < complete[1] else []))
    finally:
        work.abandon()  # the empty batch left after the last commit, or an unfinished one
    result.files += 1
    if progress is not None:
        progress(0, sources=1)


def _ms_of(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def _count(result: IngestResult, rows: int, rejected: int) -> None:
    result.lines += rows + rejected
    result.parsed += rows
    result.rejected += rejected


def ingest_log_groups(
    session: Session, specs: Sequence[str], options: S3Options, wanted: Interval
) -> None:
    for spec in specs:
        if is_log_group(spec):
            ingest_log_group(session, spec, options, wanted)
