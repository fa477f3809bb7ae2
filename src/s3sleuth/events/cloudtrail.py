"""CloudTrail log files (diagnostics.md §2): `{"Records": [...]}`, plain or gzipped.

Also accepted: a JSON array of records and JSON Lines of records (exports from CloudTrail Lake
or Athena). Digest files hold no records and add nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from s3sleuth.events.reader import Bad, Item, decode, document, int_or_none, items
from s3sleuth.events.reader import text_or_none as _text


def _get(record: dict[str, Any], *path: str) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _row(record: dict[str, Any]) -> dict[str, Any] | str:
    if not isinstance(record.get("eventName"), str):
        return "not a CloudTrail record (no eventName)"
    when = _time(record.get("eventTime"))
    if when is None:
        return f"not a CloudTrail record (eventTime {record.get('eventTime')!r} is not a time)"
    identity = record.get("userIdentity")
    extra = record.get("additionalEventData")
    params = record.get("requestParameters")
    encoded = json.dumps(record, ensure_ascii=False, sort_keys=True)
    return {
        # de-duplication key (§2.1); a record without one is identified by its content
        "event_id": _text(record.get("eventID")) or hashlib.sha256(encoded.encode()).hexdigest(),
        "event_time": when,
        "event_version": _text(record.get("eventVersion")),
        "event_source": _text(record.get("eventSource")),
        "event_name": record["eventName"],
        "event_type": _text(record.get("eventType")),
        "event_category": _text(record.get("eventCategory")),
        "aws_region": _text(record.get("awsRegion")),
        "source_ip": _text(record.get("sourceIPAddress")),
        "user_agent": _text(record.get("userAgent")),
        "identity_type": _text(_get(record, "userIdentity", "type")),
        "principal_arn": _text(_get(record, "userIdentity", "arn")),
        "principal_id": _text(_get(record, "userIdentity", "principalId")),
        "account_id": _text(_get(record, "userIdentity", "accountId")),
        "access_key_id": _text(_get(record, "userIdentity", "accessKeyId")),
        "session_issuer_arn": _text(
            _get(record, "userIdentity", "sessionContext", "sessionIssuer", "arn")
        ),
        "invoked_by": _text(identity.get("invokedBy")) if isinstance(identity, dict) else None,
        "error_code": _text(record.get("errorCode")),
        "error_message": _text(record.get("errorMessage")),
        "request_id": _text(record.get("requestID")),
        "host_id": _text(extra.get("x-amz-id-2")) if isinstance(extra, dict) else None,
        "bucket": _text(_get(record, "requestParameters", "bucketName")),
        "key": _text(_get(record, "requestParameters", "key")),
        "vpc_endpoint_id": _text(record.get("vpcEndpointId")),
        "vpc_endpoint_account_id": _text(record.get("vpcEndpointAccountId")),
        "recipient_account_id": _text(record.get("recipientAccountId")),
        "shared_event_id": _text(record.get("sharedEventID")),
        "on_behalf_of": (
            _text(params.get("x-amz-onBehalfOf")) if isinstance(params, dict) else None
        ),
        "signature_version": _text(_get(record, "additionalEventData", "SignatureVersion")),
        "authentication_method": _text(_get(record, "additionalEventData", "AuthenticationMethod")),
        "bytes_in": int_or_none(_get(record, "additionalEventData", "bytesTransferredIn")),
        "bytes_out": int_or_none(_get(record, "additionalEventData", "bytesTransferredOut")),
        "read_only": _bool(record.get("readOnly")),
        "management_event": _bool(record.get("managementEvent")),
        "event": encoded,
    }


def _items(data: bytes) -> Iterator[Item | Bad]:
    doc = document(decode(data))
    if (
        isinstance(doc, dict)
        and "digestStartTime" in doc
        and not isinstance(doc.get("Records"), list)
    ):
        return  # a digest file: hashes of log files, no records
    yield from items(data, doc, "Records")


def parse_cloudtrail(data: bytes) -> Iterator[tuple[int, dict[str, Any] | str, bytes]]:
    """(position, row or reject reason, raw) for every record in a CloudTrail log file."""
    for item in _items(data):
        if isinstance(item, Bad):
            yield item.line, item.reason, item.raw
        elif isinstance(item.value, dict):
            yield item.line, _row(item.value), item.raw
        else:
            yield item.line, "not a CloudTrail record (not a JSON object)", item.raw
