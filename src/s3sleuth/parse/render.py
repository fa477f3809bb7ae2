"""Writing a record back out as a log line: the inverse of the parser.

`render_line(parse_line(line)) == line` for every line whose `raw_line` is NULL; that is the
definition of a regular line, and the vectorized fast path checks the same equality in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from s3sleuth.fields import BARE_DASH_OPERATIONS, FIELDS, KNOWN_FIELDS, Field

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def render_time(value: datetime | None) -> str:
    if value is None:
        return "-"
    t = value.astimezone(UTC)
    return f"[{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year:04d}:{t:%H:%M:%S} +0000]"


def render_token(field: Field, value: Any, operation: str | None) -> str:
    """The wire form of one field's value, in canonical form."""
    if field.kind == "time":
        return render_time(value)
    if field.quoted:
        if value is None:
            return "-" if operation in BARE_DASH_OPERATIONS else '"-"'
        return f'"{value}"'
    if value is None or (field.dash_is_zero and value == 0):
        return "-"
    return str(value)


def render_line(record: Mapping[str, Any]) -> str:
    """Rebuild the log line from a record's fields (key_raw, not the decoded key)."""
    operation = record.get("operation")
    count = min(int(record.get("field_count") or KNOWN_FIELDS), KNOWN_FIELDS)
    values = dict(record)
    values["key"] = record.get("key_raw")
    parts = [render_token(f, values.get(f.name), operation) for f in FIELDS[:count]]
    extra = record.get("extra_fields")
    if extra:
        parts.append(extra)
    return " ".join(parts)
