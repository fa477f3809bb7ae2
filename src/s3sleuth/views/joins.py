"""How the three logs join (diagnostics.md §1.6, §2.5), as Athena SQL conditions.

- Transfer Family event ↔ access-log rows: the session id and server id in the requester's
  session name (`USER.SESSION@SERVER`), then the event's path as bucket/key, then time: the
  row must start between `before` seconds before the event and `after` seconds after it. The
  default, 5 minutes before to 1 minute after, covers an upload whose PUT runs before the
  CLOSE event is logged; widen it for large multipart uploads.
- CloudTrail record ↔ access-log row: `requestID` = `request_id`, confirmed by
  `additionalEventData.x-amz-id-2` = `host_id` when both are there. Request ids repeat in the
  access log (a copy and its `_GET` row, a batch delete and its per-key rows); `primary_row`
  marks the row CloudTrail's record is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from s3sleuth.errors import UsageError

_SPAN = re.compile(r"(\d+)\s*([smh]?)")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


def _seconds(text: str) -> int:
    match = _SPAN.fullmatch(text.strip().lower())
    if not match:
        raise UsageError(
            "{transfer_window} " + f"{text!r} is not a duration",
            hint="use BEFORE,AFTER like 5m,1m or 300,60 (seconds)",
            params=("transfer_window",),
        )
    return int(match[1]) * _SECONDS[match[2]]


@dataclass(frozen=True)
class TransferWindow:
    """How far an access-log row may start before (and after) its Transfer Family event."""

    before: int = 300
    after: int = 60

    @classmethod
    def parse(cls, text: str | None) -> TransferWindow:
        """`5m,1m`, `300,60` or `10m` (the same span after as before is not assumed: 1m)."""
        if not text:
            return cls()
        before, _, after = text.partition(",")
        return cls(_seconds(before), _seconds(after) if after else cls.after)

    def condition(self, a: str = "a", t: str = "t") -> str:
        """Athena SQL: access-log row `a` belongs to Transfer Family event `t`."""
        return f"""{a}.transfer_session_id = {t}.session_id
  AND ({t}.server_id IS NULL OR {a}.transfer_server_id IS NULL
       OR starts_with({t}.server_id, {a}.transfer_server_id))
  AND ({t}.bucket IS NULL OR ({a}.bucket = {t}.bucket
       AND ({t}.key IS NULL OR {a}.key = {t}.key OR {a}.key = {t}.key || '/')))
  AND ({t}.time IS NULL OR {a}.time BETWEEN date_add('second', -{self.before}, {t}.time)
       AND date_add('second', {self.after}, {t}.time))"""


def cloudtrail_condition(a: str = "a", c: str = "c") -> str:
    """Athena SQL: CloudTrail record `c` is about access-log row `a`."""
    return (
        f"{c}.request_id = {a}.request_id "
        f"AND ({c}.host_id IS NULL OR {a}.host_id IS NULL OR {c}.host_id = {a}.host_id)"
    )


def primary_row(a: str = "a") -> str:
    """Athena SQL: the row a CloudTrail record describes, among rows sharing a request id."""
    return f"NOT ({a}.operation LIKE '%\\_GET' ESCAPE '\\' OR {a}.operation LIKE 'BATCH.%')"


def match_views() -> dict[str, str]:
    """Catalog views of the joins with the default window, in Athena SQL."""
    return {
        "transfer_matches": f"""SELECT t.event_id, t.session_id, t.activity_type,
  t.operation AS sftp_operation, t.path, t.message, t.time AS event_time,
  a.request_id, a.time, a.operation, a.bucket, a.key, a.http_status, a.error_code,
  a.source_file, a.source_line
FROM access_log a JOIN transfer_events t ON {TransferWindow().condition()}""",
        "cloudtrail_matches": f"""SELECT c.event_id, c.event_name, c.event_time,
  c.error_code AS cloudtrail_error_code, c.error_message, c.vpc_endpoint_id,
  a.request_id, a.host_id, a.time, a.operation, a.bucket, a.key, a.http_status,
  a.error_code, {primary_row()} AS primary_row, a.source_file, a.source_line
FROM access_log a JOIN cloudtrail_events c ON {cloudtrail_condition()}""",
    }
