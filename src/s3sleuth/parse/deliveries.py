"""The records of a CloudWatch Logs delivery file, whatever surrounds them.

format-cloudwatch.md §3 lists the envelopes; each is recognised by what it holds, not by the
file's name:

- `aws logs filter-log-events` / `get-log-events` output: `{"events": [{"message": "{…}"}]}`;
- a subscription-filter payload: `{"messageType": "DATA_MESSAGE", "logEvents": [...]}` (gzip;
  also wrapped for Lambda as `{"awslogs": {"data": BASE64}}`; control messages hold nothing);
- a CloudWatch Logs export: each line a timestamp, a space, then the record;
- vended delivery to S3 or Firehose: the records themselves, one per line or concatenated
  with nothing between them;
- Parquet from vended delivery to S3 (see `parquet_records`).

A record's position is its ordinal in the file (for JSON Lines, its line number when the file
has no blank lines). What cannot be read is an `Unreadable` at its position, with the reason.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from s3sleuth import limits
from s3sleuth.parse.record import RecordRejected, parse_time

BLOCK = 1 << 20
# A single JSON value may be this large: a `filter-log-events` document holds a whole page of
# events (a few MB); a value that is still unfinished past this is reported, not held.
MAX_VALUE = 256 << 20
_EXPORT_LINE = re.compile(rb"\s*\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-][0-9:]+)? \S")
_SPACE = re.compile(r"\s*")
PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Record:
    position: int
    value: Any  # the record: a dict, as decoded (a non-dict is rejected when converted)
    event_time: datetime | None  # the envelope's timestamp, when there is one
    raw: bytes


@dataclass(frozen=True)
class Unreadable:
    position: int
    reason: str
    raw: bytes


Item = Record | Unreadable


def is_export(head: bytes) -> bool:
    """The file is a CloudWatch Logs export: lines of a timestamp, a space, then the JSON."""
    return bool(_EXPORT_LINE.match(head)) and b"{" in head.split(b"\n", 1)[0]


class _Counter:
    def __init__(self, start: int = 0) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()


def _event_time(event: dict[str, Any]) -> datetime | None:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp / 1000, UTC)
    return None


def event_record(event: dict[str, Any], position: int) -> Item:
    """The record in a log event's `message` (a string holding JSON), with the event's
    `timestamp` as its time when the record has none."""
    message = event.get("message")
    if isinstance(message, dict):
        return Record(position, message, _event_time(event), _dumps(message))
    if not isinstance(message, str):
        return Unreadable(position, "the log event has no message", _dumps(event))
    try:
        value = json.loads(message)
    except json.JSONDecodeError as err:
        reason = f"the log event's message is not JSON: {err.msg} (column {err.colno})"
        return Unreadable(position, reason, message.encode())
    return Record(position, value, _event_time(event), message.encode())


def _awslogs(data: Any, counter: _Counter) -> Iterator[Item]:
    """A Lambda subscription event: base64 of a gzip of a subscription payload."""
    try:
        payload = json.loads(gzip.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, OSError, EOFError, zlib.error, ValueError) as err:
        yield Unreadable(counter.next(), f"awslogs.data cannot be read ({err})", b"")
        return
    yield from expand(payload, counter)


def _is_event(value: dict[str, Any]) -> bool:
    return "message" in value and ("timestamp" in value or "eventId" in value or "id" in value)


def expand(value: Any, counter: _Counter) -> Iterator[Item]:
    """The records in one top-level JSON value: an envelope's events, or the record itself."""
    if isinstance(value, list):
        for element in value:
            yield from expand(element, counter)
    elif not isinstance(value, dict):
        yield Record(counter.next(), value, None, _dumps(value))
    elif isinstance(value.get("events"), list) or isinstance(value.get("logEvents"), list):
        for event in value.get("events") or value.get("logEvents") or []:
            if isinstance(event, dict):
                yield event_record(event, counter.next())
            else:
                yield Unreadable(counter.next(), "a log event is not an object", _dumps(event))
    elif isinstance(value.get("awslogs"), dict) and "data" in value["awslogs"]:
        yield from _awslogs(value["awslogs"]["data"], counter)
    elif "messageType" in value and "logEvents" not in value:
        return  # a control message: nothing to read
    elif _is_event(value):
        yield event_record(value, counter.next())
    else:
        yield Record(counter.next(), value, None, _dumps(value))


def json_values(stream: BinaryIO) -> Iterator[Any | Unreadable]:
    """Top-level JSON values one after another, however they are separated (newlines or
    nothing), read a block at a time. A value still unfinished when the file ends, or past
    `MAX_VALUE`, is an Unreadable covering it to the end of its line, and reading goes on."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer, at, ended = "", 0, False
    while True:
        at = _SPACE.match(buffer, at).end()  # type: ignore[union-attr]
        if at == len(buffer):
            if ended:
                return
            buffer, at = "", 0
        try:
            value, end = decoder.raw_decode(buffer, at)
        except json.JSONDecodeError as err:
            # Cut short by the block's end, or wrong: JSON has no newline inside a string,
            # so an error with a newline after it is in the text, not in what is unread.
            unfinished = buffer.find("\n", err.pos) < 0
            if unfinished and not ended and len(buffer) - at < MAX_VALUE:
                block = stream.read(max(BLOCK, len(buffer) - at))  # doubling: linear overall
                buffer = buffer[at:] + text.decode(block, final=not block)
                at, ended = 0, not block
                continue
            cut = buffer.find("\n", at + 1)
            cut = len(buffer) if cut < 0 else cut
            piece = buffer[at:cut].encode()
            reason = f"invalid JSON: {err.msg} (at byte {len(buffer[at : err.pos].encode())})"
            yield Unreadable(0, reason, piece[: limits.KEPT])
            at = cut
            continue
        yield value
        at = end
        if at > BLOCK:  # keep the buffer about a block long
            buffer, at = buffer[at:], 0


def json_records(stream: BinaryIO, counter: _Counter | None = None) -> Iterator[Item]:
    """The records of a JSON delivery file (any envelope but the export's lines), numbered
    by `counter` (from 1 without one)."""
    counter = counter or _Counter()
    for value in json_values(stream):
        if isinstance(value, Unreadable):
            yield Unreadable(counter.next(), value.reason, value.raw)
        else:
            yield from expand(value, counter)


def line_records(chunk: bytes, start: int = 0) -> Iterator[Item]:
    """The records of a block of JSON Lines (see `read_chunks`), numbered from `start` + 1:
    each line's values, a line too long to read (a stand-in) is an Unreadable."""
    counter = _Counter(start)
    for raw in chunk.splitlines():
        if not raw.strip():
            continue
        if limits.is_stand_in(raw):
            reason, kept = limits.rejection(raw)
            yield Unreadable(counter.next(), reason, kept)
            continue
        yield from json_records(io.BytesIO(raw), counter)


def export_records(stream: BinaryIO) -> Iterator[Item]:
    """The records of a CloudWatch Logs export: `TIMESTAMP {json}` lines."""
    from s3sleuth.sources import read_chunks

    counter = _Counter()
    for chunk in read_chunks(stream, BLOCK):
        for raw in chunk.splitlines():
            if not raw.strip():
                continue
            position = counter.next()
            if limits.is_stand_in(raw):
                reason, kept = limits.rejection(raw)
                yield Unreadable(position, reason, kept)
                continue
            stamp, _, body = raw.strip().partition(b" ")
            try:
                when = parse_time(stamp.decode("ascii"))
                value = json.loads(body)
            except (RecordRejected, UnicodeDecodeError):
                yield Unreadable(position, "the line does not start with a timestamp", raw)
                continue
            except json.JSONDecodeError as err:
                reason = f"invalid JSON after the timestamp: {err.msg} (column {err.colno})"
                yield Unreadable(position, reason, raw)
                continue
            yield Record(position, value, when, body)


def parquet_records(
    path: Path | BinaryIO, source: str, batch_rows: int = 65_536
) -> Iterator[Item | pa.Table]:
    """The rows of a Parquet file from vended delivery, a batch at a time: typed column by
    column (parse.columnar) where the batch allows, else as records keyed by column name.
    The file's own schema is read: its types (a timestamp or a string time, integers or
    strings) are converted like JSON values."""
    import pyarrow.parquet as pq

    from s3sleuth.parse import columnar

    position = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            table = pa.Table.from_batches([batch])
            try:
                rows = columnar.typed(table, source, position, "parquet")
            except columnar.NotFast:
                for row in table.to_pylist():
                    position += 1
                    yield Record(position, row, None, b"")
                continue
            position += rows.num_rows
            yield rows
    except (OSError, ValueError) as err:  # pyarrow.ArrowInvalid is a ValueError
        yield Unreadable(position + 1, f"the Parquet file cannot be read ({err})", b"")
