"""Which kind of log a file holds, told by its content (`--type` overrides it)."""

from __future__ import annotations

import re

from s3sleuth.events.transfer import is_legacy_line

KINDS = ("access", "transfer", "cloudtrail")
HEAD_BYTES = 64 << 10

_CLOUDTRAIL = re.compile(rb'"(?:Records|digestStartTime|eventVersion)"\s*:')
_TRANSFER = re.compile(rb'"(?:activity-type|events|logStreamName)"\s*:')


def detect(head: bytes) -> str:
    """`access`, `transfer` or `cloudtrail` from the first bytes of a (decompressed) file.

    Anything unrecognised is read as an access log, whose parser rejects (and keeps) what it
    cannot read: nothing is dropped because the guess was wrong.
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        if _CLOUDTRAIL.search(text):
            return "cloudtrail"
        if _TRANSFER.search(text):
            return "transfer"
        return "access"
    first = text.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    return "transfer" if is_legacy_line(first) else "access"
