"""AWS Transfer Family log events (diagnostics.md §1) in every shape they are exported in.

- structured JSON events, one per line (JSON Lines) or as a JSON array;
- the legacy `ACTIVITY Key=value` lines, optionally prefixed by the log stream
  (`user.session-id`) and a timestamp, as `aws logs tail` and console views print them;
- the output of `aws logs filter-log-events` / `get-log-events`: `{"events": [...]}` whose
  `message` holds a structured event or a legacy line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from s3sleuth.events.reader import Bad, Item, decode, document, int_or_none, items
from s3sleuth.events.reader import text_or_none as _text

ACTIVITY_TYPES = frozenset(
    {
        "CONNECTED",
        "DISCONNECTED",
        "AUTH_FAILURE",
        "CONNECTION_REJECTED",
        "KEX_FAILURE",
        "TLS_RESUME_FAILURE",
        "OPEN",
        "CLOSE",
        "PARTIAL_CLOSE",
        "DELETE",
        "MKDIR",
        "RMDIR",
        "RENAME",
        "CREATE_SYMLINK",
        "SETSTAT",
        "ERROR",
        "EXIT_REASON",
    }
)
_STREAM = r"[^\s=]+\.[0-9a-f]{16}"
_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
LEGACY = re.compile(
    rf"^(?:(?P<time>{_ISO})\s+)?(?:(?P<stream>{_STREAM}|ERRORS)\s+)?"
    rf"(?P<activity>[A-Z][A-Z_]+)(?P<pairs>(?:\s+[A-Za-z][\w-]*=(?:\"(?:[^\"\\]|\\.)*\"|\S*))*)\s*$"
)
_PAIR = re.compile(r"([A-Za-z][\w-]*)=(\"(?:[^\"\\]|\\.)*\"|\S*)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SERVER_ARN = re.compile(r"^arn:[\w-]+:transfer:([\w-]*):(\d{12}):server/(s-[0-9a-f]+)$")
_STREAM_SESSION = re.compile(r"^(?P<user>.+)\.(?P<session>[0-9a-f]{16})$")


def is_legacy_line(text: str) -> bool:
    match = LEGACY.match(text)
    return bool(match and match["activity"] in ACTIVITY_TYPES)


def _kebab(name: str) -> str:
    """Legacy keys are CamelCase (SourceIP, HomeDir, BytesIn); JSON keys are kebab-case."""
    return _CAMEL.sub("-", name).lower()


def _legacy_event(text: str) -> tuple[dict[str, Any], str | None, str | None] | None:
    """(fields, stream, time) of a legacy line, or None when it is not one."""
    match = LEGACY.match(text)
    if not match or match["activity"] not in ACTIVITY_TYPES:
        return None
    fields: dict[str, Any] = {"activity-type": match["activity"]}
    for key, value in _PAIR.findall(match["pairs"]):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        fields[_kebab(key)] = value
    return fields, match["stream"], match["time"]


class _UnreadableTime(ValueError):
    """A timestamp was given but cannot be read: the event is rejected, not stored undated."""


def _time(value: Any) -> datetime | None:
    """CloudWatch milliseconds since the epoch, or an ISO 8601 string; None when absent."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise _UnreadableTime(f"unreadable timestamp {value!r}") from None
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _UnreadableTime(f"unreadable timestamp {value!r}") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise _UnreadableTime(f"unreadable timestamp {value!r}")


def _row(
    event: dict[str, Any],
    *,
    log_format: str,
    stream: str | None,
    time: datetime | None,
    event_id: str | None,
) -> dict[str, Any]:
    path = _text(event.get("path"))
    bucket = key = None
    if path and path.startswith("/"):
        bucket, _, key = path[1:].partition("/")
        bucket, key = bucket or None, key or None
    server = _SERVER_ARN.match(_text(event.get("resource-arn")) or "")
    session, user = _text(event.get("session-id")), _text(event.get("user"))
    named = _STREAM_SESSION.match(stream or "")
    if named:  # legacy streams are named USER.SESSION
        session = session or named["session"]
        user = user or named["user"]
    encoded = json.dumps(event, ensure_ascii=False, sort_keys=True)
    if event_id is None:
        seed = f"{stream}|{time.isoformat() if time else ''}|{encoded}"
        event_id = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return {
        "event_id": event_id,
        "time": time,
        "activity_type": _text(event.get("activity-type")),
        "session_id": session,
        "server_id": server[3] if server else None,
        "resource_arn": _text(event.get("resource-arn")),
        "account_id": server[2] if server else None,
        "region": server[1] if server else None,
        "user_name": user,
        "role": _text(event.get("role")),
        "source_ip": _text(event.get("source-ip")),
        "client": _text(event.get("client")),
        "home_dir": _text(event.get("home-dir")),
        "method": _text(event.get("method")),
        "operation": _text(event.get("operation")),
        "path": path,
        "bucket": bucket,
        "key": key,
        "mode": _text(event.get("mode")),
        "bytes_in": int_or_none(event.get("bytes-in")),
        "bytes_out": int_or_none(event.get("bytes-out")),
        "message": _text(event.get("message")),
        "log_stream": stream,
        "log_format": log_format,
        "event": encoded,
    }


def _convert(
    value: Any, stream: str | None = None, time: Any = None, event_id: str | None = None
) -> dict[str, Any] | str:
    """A row, or the reason the value is not a Transfer Family event (or has a timestamp
    that cannot be read)."""
    try:
        return _converted(value, stream, time, event_id)
    except _UnreadableTime as err:
        return str(err)


def _converted(
    value: Any, stream: str | None = None, time: Any = None, event_id: str | None = None
) -> dict[str, Any] | str:
    if isinstance(value, dict) and "message" in value and "activity-type" not in value:
        # a CloudWatch event wrapper: filter-log-events, get-log-events, subscriptions
        return _converted(
            value["message"],
            _text(value.get("logStreamName")) or stream,
            value.get("timestamp", time),
            _text(value.get("eventId")) or event_id,
        )
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{"):
            try:
                return _converted(json.loads(stripped), stream, time, event_id)
            except json.JSONDecodeError as err:
                return f"invalid JSON in message: {err.msg}"
        legacy = _legacy_event(stripped)
        if legacy is None:
            return "not a Transfer Family event (no known activity type)"
        fields, line_stream, line_time = legacy
        return _row(
            fields,
            log_format="legacy",
            stream=line_stream or stream,
            time=_time(time) or _time(line_time),
            event_id=event_id,
        )
    if isinstance(value, dict) and isinstance(value.get("activity-type"), str):
        when = _time(time) or _time(value.get("timestamp")) or _time(value.get("@timestamp"))
        return _row(value, log_format="json", stream=stream, time=when, event_id=event_id)
    if isinstance(value, dict):
        return "not a Transfer Family event (no activity-type)"
    return f"not a Transfer Family event (a JSON {type(value).__name__})"


def _items(data: bytes) -> Iterator[Item | Bad]:
    # `events`: the output of filter-log-events / get-log-events
    yield from items(data, document(decode(data)), "events")


def parse_transfer(data: bytes) -> Iterator[tuple[int, dict[str, Any] | str, bytes]]:
    """(position, row or reject reason, raw) for every event in a Transfer Family log file."""
    for item in _items(data):
        if isinstance(item, Bad):
            yield item.line, item.reason, item.raw
        else:
            yield item.line, _convert(item.value), item.raw
