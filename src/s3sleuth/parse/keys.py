"""Decoding the Key field the way S3 encodes it (format.md §4).

S3 logs the URL-encoding of the already percent-encoded request path, so most operations are
encoded twice. `BATCH.DELETE.OBJECT` and `S3.EXPIRE.OBJECT` are encoded once. `+` is a literal
character, never a space, so form-decoding (`unquote_plus`) would corrupt keys.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from s3sleuth.fields import SINGLE_ENCODED_OPERATIONS


def decode_passes(operation: str | None) -> int:
    return 1 if operation in SINGLE_ENCODED_OPERATIONS else 2


def _decode_once(value: str) -> str | None:
    if "%" not in value:
        return value
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_key(key_raw: str | None, operation: str | None) -> str | None:
    """The real key name. A layer that would not decode to UTF-8 is left encoded."""
    if key_raw is None:
        return None
    value = key_raw
    for _ in range(decode_passes(operation)):
        decoded = _decode_once(value)
        if decoded is None:
            break
        value = decoded
    return value
