"""Which kind of log a file holds, told by its content (`--type` overrides it)."""

from __future__ import annotations

import re

from s3sleuth.events.transfer import is_legacy_line
from s3sleuth.parse.deliveries import PARQUET_MAGIC, is_export

KINDS = ("access", "transfer", "cloudtrail", "sal-json")
HEAD_BYTES = 64 << 10

_CLOUDTRAIL = re.compile(rb'"(?:Records|digestStartTime|eventVersion)"\s*:')
_TRANSFER = re.compile(rb'"(?:activity-type|events|logStreamName)"\s*:')
# Keys only the JSON record of an access log has (also inside an envelope's message string,
# where its quotes are escaped).
_SAL_JSON = re.compile(
    rb'\\?"(?:schema_version_id|bucket_owner_id|bytes_sent_size|turn_around_duration'
    rb"|request_time|key_name|bucket_arn|request_uri|host_id|acl_required|access_point_arn)"
    rb'\\?"\s*:'
)


def detect(head: bytes) -> str:
    """`access`, `transfer`, `cloudtrail` or `sal-json` (a CloudWatch Logs delivery of
    access logs, JSON or Parquet) from the first bytes of a (decompressed) file.

    Anything unrecognised is read as an access log, whose parser rejects (and keeps) what it
    cannot read: nothing is dropped because the guess was wrong.
    """
    if head.startswith(PARQUET_MAGIC):
        return "sal-json"  # vended delivery's Parquet: the only Parquet logs there are
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    json = text.startswith((b"{", b"["))
    if json and _CLOUDTRAIL.search(text):  # its records may quote any key in their requests
        return "cloudtrail"
    # before Transfer Family: an access-log group's `filter-log-events` output has `events`
    if (json or is_export(text)) and _SAL_JSON.search(text):
        return "sal-json"
    if json:
        return "transfer" if _TRANSFER.search(text) else "access"
    first = text.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    return "transfer" if is_legacy_line(first) else "access"
