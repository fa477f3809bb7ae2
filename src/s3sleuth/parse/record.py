"""A record of the CloudWatch Logs delivery (JSON or Parquet) as an `access_log` row.

The record has the 27 text fields under snake_case keys (`Field.json_key`) and two more
(`JSON_ONLY`); format-cloudwatch.md §2. Where the documentation leaves a form open, every
form it lists is accepted: an absent key and `null` both mean NULL, numbers may come as
strings, `acl_required` as `true`/`false` or `"Yes"`/`"No"`. The row is the one the text line
of the same request gives, but for `time`'s milliseconds and the JSON-only columns: `-` is
NULL too (and `""` where a number belongs), a NULL `bytes_sent_size` is 0 (as the text's
`-`), and `key_raw` is the
Key as the text format logs it (URL-encoded, twice for most operations; see parse.keys).
Keys this version does not know are kept in `extra_fields`, as a JSON object.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from s3sleuth.fields import FIELDS, JSON_ONLY, KNOWN_FIELDS, Field
from s3sleuth.parse.keys import decode_passes

KNOWN_KEYS: frozenset[str] = frozenset([*(f.json_key for f in FIELDS), *JSON_ONLY.values()])
INT_LIMITS = {"int": 2**31 - 1, "bigint": 2**63 - 1}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_TEXT_TIME = re.compile(r"\[?(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]?")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
S3_SAFE = "/+*=!~$&'(),;:@"  # format.md §4: seen unencoded in logged Keys
# `acl_required` as a string, lower-cased: Yes, or not required
ACL_YES = frozenset({"yes", "true"})
ACL_NO = frozenset({"no", "false"})


class RecordRejected(ValueError):
    """A record that cannot be a row; the message says which key and why."""


def _text(f: Field | str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        name = f if isinstance(f, str) else f.json_key
        raise RecordRejected(f"{name} is {json.dumps(value)[:60]}, not a string")
    text = value if isinstance(value, str) else str(value)
    return None if text == "-" else text


def _integer(f: Field, value: Any) -> int | None:
    if value is None or value in ("", "-"):
        number = None
    elif isinstance(value, bool):
        raise RecordRejected(f"{f.json_key} is {json.dumps(value)}, not a number")
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise RecordRejected(f"{f.json_key} is {json.dumps(value)[:60]}, not a whole number")
    if number is not None and not 0 <= number <= INT_LIMITS[f.kind]:
        raise RecordRejected(f"{f.json_key} is {number}, out of range")
    if number is None and f.dash_is_zero:
        return 0  # as the text's `-`: nothing was sent
    return number


def parse_time(value: Any) -> datetime | None:
    """`request_time`: ISO 8601 (`2026-07-02T14:07:25.123Z`), a Parquet timestamp, epoch
    milliseconds, or the text format's `[02/Jul/2026:14:07:25 +0000]`."""
    if value is None or value in ("", "-"):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        if match := _TEXT_TIME.fullmatch(value):
            day, month, year, hh, mm, ss = match.groups()
            if month in _MONTHS:
                return datetime(
                    int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss),
                    tzinfo=UTC,
                )  # fmt: skip
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise RecordRejected(f"request_time is {json.dumps(value, default=str)[:60]}, not a time")


def _acl(value: Any) -> str | None:
    if value is None or value is False or value in ("", "-"):
        return None
    if value is True:
        return "Yes"
    if isinstance(value, str) and value.strip().lower() in ACL_YES:
        return "Yes"
    if isinstance(value, str) and value.strip().lower() in ACL_NO:
        return None
    raise RecordRejected(f"acl_required is {json.dumps(value)[:60]}, not true, false or Yes")


def encode_key(key: str | None, operation: str | None) -> str | None:
    """The Key as a text log writes it: the request path's percent-encoding, encoded again
    for every operation but the few S3 logs encoded once (the inverse of `decode_key`)."""
    if key is None:
        return None
    if decode_passes(operation) == 2:
        key = quote(key, safe="/~")  # the client's encoding of the request path
    return quote(key, safe=S3_SAFE)  # S3's own, which leaves `+` and the like as they are


def _bucket(record: dict[str, Any]) -> str | None:
    """`bucket_name`, else the name in `bucket_arn` (`arn:aws:s3:::NAME`)."""
    name = _text("bucket_name", record.get("bucket_name"))
    arn = _text("bucket_arn", record.get("bucket_arn"))
    if name is None and arn is not None and arn.count(":") >= 5:
        return arn.split(":", 5)[5] or None
    return name


def to_row(record: Any, delivery: str, event_time: datetime | None = None) -> dict[str, Any]:
    """The `access_log` row of one record (without `source_file`/`source_line`). The time
    is `request_time`, else `event_time` (the envelope's, when the delivery left
    `request_time` out of its fields); a record with neither is rejected."""
    if not isinstance(record, dict):
        kind = "an array" if isinstance(record, list) else json.dumps(record)[:40]
        raise RecordRejected(f"the record is {kind}, not a JSON object")
    row: dict[str, Any] = {}
    for f in FIELDS:
        value = record.get(f.json_key)
        if f.kind == "time":
            row[f.name] = parse_time(value) or event_time
        elif f.kind in ("int", "bigint"):
            row[f.name] = _integer(f, value)
        elif f.name == "acl_required":
            row[f.name] = _acl(value)
        elif f.name == "key":
            row[f.name] = None if value is None else _text(f, value) or value
        else:
            row[f.name] = _text(f, value)
    row["bucket"] = _bucket(record)
    if row["time"] is None:
        raise RecordRejected("the record has no request_time")
    row["key_raw"] = encode_key(row["key"], row["operation"])
    unknown = {k: v for k, v in record.items() if k not in KNOWN_KEYS}
    row["extra_fields"] = json.dumps(unknown, ensure_ascii=False, default=str) if unknown else None
    row["field_count"] = KNOWN_FIELDS
    row["raw_line"] = None
    row["delivery"] = delivery
    for column, key in JSON_ONLY.items():
        row[column] = _text(key, record.get(key))
    day: date = row["time"].date()
    row["date"] = day
    return row


def to_record(row: dict[str, Any], *, nulls: bool = True, millis: int = 0) -> dict[str, Any]:
    """The JSON record CloudWatch Logs would deliver for an `access_log` row (the inverse of
    `to_row`, as far as format-cloudwatch.md §4.1 shows the record): for samples and tests.
    `nulls=False` leaves NULL keys out (the other serialisation the documentation allows);
    `millis` is added to the time, which a text line does not have."""
    bucket = row.get("bucket")
    record: dict[str, Any] = {
        "schema_version_id": row.get("schema_version") or "V_1_0",
        "bucket_arn": row.get("bucket_arn") or (f"arn:aws:s3:::{bucket}" if bucket else None),
    }
    for f in FIELDS:
        value = row.get(f.name)
        if f.kind == "time" and value is not None:
            value = (value.astimezone(UTC) + timedelta(milliseconds=millis)).strftime(
                "%Y-%m-%dT%H:%M:%S.%f"
            )[:-3] + "Z"
        elif f.name == "acl_required":
            value = True if value == "Yes" else None
        record[f.json_key] = value
    return record if nulls else {k: v for k, v in record.items() if v is not None}
