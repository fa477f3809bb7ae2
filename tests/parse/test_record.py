"""The JSON record of a CloudWatch Logs delivery as an `access_log` row (parse.record)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sleuth.fields import FIELDS, JSON_ONLY
from s3sleuth.parse import parse_line, render_line
from s3sleuth.parse.keys import decode_key
from s3sleuth.parse.record import RecordRejected, encode_key, to_record, to_row
from tests.parse.test_roundtrip import records

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
HOST_ID = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234="
ROLE = "arn:aws:sts::123456789012:assumed-role/AppReader/i-0abc123def4567890"

# The same request twice: as a text line and as the JSON record (format-cloudwatch.md §4.1),
# side by side. The records vary the forms the documentation leaves open.
PAIRS: list[tuple[str, dict[str, Any]]] = [
    (  # (a) a GET through a role, TLS 1.3
        f"{OWNER} amzn-s3-demo-bucket [02/Jul/2026:14:07:25 +0000] 192.0.2.10 {ROLE} "
        "7ZQ3N2KX8EXAMPLE REST.GET.OBJECT reports/2026/07/summary.csv "
        '"GET /reports/2026/07/summary.csv HTTP/1.1" 200 - 48213 48213 41 18 "-" '
        '"aws-sdk-java/2.25.0 Linux/6.1" - '
        f"{HOST_ID} SigV4 TLS_AES_128_GCM_SHA256 AuthHeader "
        "amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com TLSv1.3 - - -",
        {
            "schema_version_id": "V_1_0",
            "bucket_arn": "arn:aws:s3:::amzn-s3-demo-bucket",
            "bucket_name": "amzn-s3-demo-bucket",
            "request_time": "2026-07-02T14:07:25.123Z",
            "bucket_owner_id": OWNER,
            "remote_ip": "192.0.2.10",
            "requester": ROLE,
            "request_id": "7ZQ3N2KX8EXAMPLE",
            "operation": "REST.GET.OBJECT",
            "key_name": "reports/2026/07/summary.csv",
            "request_uri": "GET /reports/2026/07/summary.csv HTTP/1.1",
            "http_status": 200,
            "error_code": None,
            "bytes_sent_size": 48213,
            "object_size": 48213,
            "total_duration": 41,
            "turn_around_duration": 18,
            "referer": None,
            "user_agent": "aws-sdk-java/2.25.0 Linux/6.1",
            "version_id": None,
            "host_id": HOST_ID,
            "signature_version": "SigV4",
            "cipher_suite": "TLS_AES_128_GCM_SHA256",
            "authentication_type": "AuthHeader",
            "host_header": "amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com",
            "tls_version": "TLSv1.3",
            "access_point_arn": None,
            "acl_required": None,
            "source_region": None,
        },
    ),
    (  # (b) a denied PUT through an access point; numbers given as strings
        f"{OWNER} amzn-s3-demo-bucket [02/Jul/2026:14:09:02 +0000] 198.51.100.23 "
        "arn:aws:sts::444455556666:assumed-role/PartnerUpload/session-42 A1206F460EXAMPLE "
        "REST.PUT.OBJECT incoming/batch%25200001.json "
        '"PUT /incoming/batch%200001.json HTTP/1.1" 403 AccessDenied 243 - 9 - "-" '
        f'"aws-cli/2.17.0 md/command#s3.cp" - {HOST_ID} SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
        "AuthHeader partner-ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com TLSv1.2 "
        "arn:aws:s3:us-east-1:123456789012:accesspoint/partner-ap Yes eu-west-1",
        {
            "schema_version_id": "V_1_0",
            "bucket_arn": "arn:aws:s3:::amzn-s3-demo-bucket",
            "bucket_name": "amzn-s3-demo-bucket",
            "request_time": "2026-07-02T14:09:02.877Z",
            "bucket_owner_id": OWNER,
            "remote_ip": "198.51.100.23",
            "requester": "arn:aws:sts::444455556666:assumed-role/PartnerUpload/session-42",
            "request_id": "A1206F460EXAMPLE",
            "operation": "REST.PUT.OBJECT",
            "key_name": "incoming/batch 0001.json",
            "request_uri": "PUT /incoming/batch%200001.json HTTP/1.1",
            "http_status": "403",
            "error_code": "AccessDenied",
            "bytes_sent_size": "243",
            "object_size": None,
            "total_duration": "9",
            "turn_around_duration": None,
            "referer": None,
            "user_agent": "aws-cli/2.17.0 md/command#s3.cp",
            "version_id": None,
            "host_id": HOST_ID,
            "signature_version": "SigV4",
            "cipher_suite": "ECDHE-RSA-AES128-GCM-SHA256",
            "authentication_type": "AuthHeader",
            "host_header": "partner-ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com",
            "tls_version": "TLSv1.2",
            "access_point_arn": "arn:aws:s3:us-east-1:123456789012:accesspoint/partner-ap",
            "acl_required": "Yes",
            "source_region": "eu-west-1",
        },
    ),
    (  # (c) anonymous, on the website endpoint: NULL keys left out, acl_required false
        f"{OWNER} www.example.com [02/Jul/2026:15:00:00 +0000] 203.0.113.42 - "
        "5W8P0Q3R2EXAMPLE WEBSITE.GET.OBJECT missing-page.html "
        '"GET /missing-page.html HTTP/1.1" 404 NoSuchKey 390 - 12 11 '
        '"http://www.example.com/index.html" "curl/8.5.0" - Vq9hEXAMPLE= - - - '
        "www.example.com.s3-website-us-east-1.amazonaws.com - - - -",
        {
            "schema_version_id": "V_1_0",
            "bucket_arn": "arn:aws:s3:::www.example.com",
            "request_time": "2026-07-02T15:00:00.004Z",
            "bucket_owner_id": OWNER,
            "remote_ip": "203.0.113.42",
            "request_id": "5W8P0Q3R2EXAMPLE",
            "operation": "WEBSITE.GET.OBJECT",
            "key_name": "missing-page.html",
            "request_uri": "GET /missing-page.html HTTP/1.1",
            "http_status": 404,
            "error_code": "NoSuchKey",
            "bytes_sent_size": 390,
            "total_duration": 12,
            "turn_around_duration": 11,
            "referer": "http://www.example.com/index.html",
            "user_agent": "curl/8.5.0",
            "host_id": "Vq9hEXAMPLE=",
            "host_header": "www.example.com.s3-website-us-east-1.amazonaws.com",
            "acl_required": False,
        },
    ),
    (  # (d) a lifecycle expiration: the Key is encoded once; zero bytes sent is null
        f"{OWNER} amzn-s3-demo-bucket [03/Jul/2026:00:12:44 +0000] - AWS:S3 "
        "K7D2M9TQ4EXAMPLE S3.EXPIRE.OBJECT tmp/session%208891+x.bin - - - - 10485760 - - "
        "- - - Kq3EXAMPLE= - - - - - - - -",
        {
            "schema_version_id": "V_1_0",
            "bucket_arn": "arn:aws:s3:::amzn-s3-demo-bucket",
            "bucket_name": "amzn-s3-demo-bucket",
            "request_time": "2026-07-03T00:12:44.000Z",
            "bucket_owner_id": OWNER,
            "remote_ip": None,
            "requester": "AWS:S3",
            "request_id": "K7D2M9TQ4EXAMPLE",
            "operation": "S3.EXPIRE.OBJECT",
            "key_name": "tmp/session 8891+x.bin",
            "request_uri": None,
            "http_status": None,
            "bytes_sent_size": None,
            "object_size": 10485760,
            "host_id": "Kq3EXAMPLE=",
        },
    ),
]

JSON_ONLY_COLUMNS = ("time", "delivery", *JSON_ONLY, "raw_line", "source_file", "source_line")


@pytest.mark.parametrize(("line", "record"), PAIRS, ids=["get", "denied-put", "web", "expire"])
def test_a_text_line_and_its_json_record_give_the_same_row(
    line: str, record: dict[str, Any]
) -> None:
    text = parse_line(line.encode())
    row = to_row(record, "json")
    differ = {k for k in text if k not in JSON_ONLY_COLUMNS and text[k] != row[k]}
    assert differ == set()
    assert row["time"].replace(microsecond=0) == text["time"]
    assert row["time"].microsecond == int(record["request_time"][20:23]) * 1000
    assert (text["delivery"], row["delivery"]) == ("text", "json")
    assert row["schema_version"] == "V_1_0"
    assert row["bucket_arn"] == f"arn:aws:s3:::{row['bucket']}"
    assert text["schema_version"] is None and text["bucket_arn"] is None


def test_null_and_absent_keys_are_the_same() -> None:
    record = PAIRS[0][1]
    absent = {k: v for k, v in record.items() if v is not None}
    assert to_row(record, "json") == to_row(absent, "json")


@pytest.mark.parametrize(
    ("value", "stored"),
    [(True, "Yes"), ("Yes", "Yes"), ("true", "Yes"), (False, None), ("No", None), (None, None)],
)
def test_acl_required_forms(value: object, stored: str | None) -> None:
    assert to_row({**PAIRS[0][1], "acl_required": value}, "json")["acl_required"] == stored


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("http_status", "OK", "http_status"),
        ("http_status", True, "http_status"),
        ("bytes_sent_size", -3, "out of range"),
        ("total_duration", 2**40, "out of range"),
        ("requester", {"arn": "x"}, "requester"),
        ("acl_required", "maybe", "acl_required"),
        ("request_time", "yesterday", "request_time"),
        ("request_time", None, "no request_time"),
    ],
)
def test_a_record_that_cannot_be_a_row_is_rejected_naming_the_key(
    key: str, value: object, reason: str
) -> None:
    with pytest.raises(RecordRejected, match=reason):
        to_row({**PAIRS[0][1], key: value}, "json")


def test_not_an_object_is_rejected() -> None:
    for value in ([1, 2], "text", 3):
        with pytest.raises(RecordRejected, match="not a JSON object"):
            to_row(value, "json")


def test_unknown_keys_are_kept_in_extra_fields() -> None:
    row = to_row({**PAIRS[0][1], "future_field": [1, "a"], "schema_note": None}, "json")
    assert json.loads(row["extra_fields"]) == {"future_field": [1, "a"], "schema_note": None}
    assert to_row(PAIRS[0][1], "json")["extra_fields"] is None


def test_times_in_every_form() -> None:
    base = PAIRS[0][1]
    want = datetime(2026, 7, 2, 14, 7, 25, 123000, tzinfo=UTC)
    for value in (
        "2026-07-02T14:07:25.123Z",
        "2026-07-02T16:07:25.123+02:00",
        1783001245123,
        want,
        want.replace(tzinfo=None),
    ):
        assert to_row({**base, "request_time": value}, "parquet")["time"] == want, value
    text = to_row({**base, "request_time": "[02/Jul/2026:14:07:25 +0000]"}, "json")["time"]
    assert text == want.replace(microsecond=0)


def test_an_envelope_time_stands_in_for_a_left_out_request_time() -> None:
    when = datetime(2026, 7, 2, 14, 7, 26, tzinfo=UTC)
    record = {k: v for k, v in PAIRS[0][1].items() if k != "request_time"}
    assert to_row(record, "json", when)["time"] == when
    assert to_row(PAIRS[0][1], "json", when)["time"].second == 25  # request_time wins


def test_the_bucket_comes_from_the_arn_when_its_name_is_left_out() -> None:
    record = {k: v for k, v in PAIRS[0][1].items() if k != "bucket_name"}
    assert to_row(record, "json")["bucket"] == "amzn-s3-demo-bucket"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.integers(0, 999), st.booleans())
def test_text_row_to_json_record_to_row(values: dict[str, Any], millis: int, nulls: bool) -> None:
    """Any line's row, delivered as JSON (with or without its NULL keys), is the same row
    but for the milliseconds and the JSON-only columns. The Key is compared decoded: the
    text's encoding of it is one of several that decode alike."""
    text = parse_line(render_line(values).encode())
    if text["time"] is None or text["field_count"] < 27:  # eras JSON never had
        return
    row = to_row(to_record(text, nulls=nulls, millis=millis), "json")
    skip = {*JSON_ONLY_COLUMNS, "key_raw", "extra_fields", "field_count"}
    assert {k: v for k, v in row.items() if k not in skip} == {
        k: v for k, v in text.items() if k not in skip and k in row
    }
    assert row["time"].microsecond == millis * 1000
    assert decode_key(row["key_raw"], row["operation"]) == row["key"]


@given(st.text(min_size=1, max_size=30), st.sampled_from(["REST.GET.OBJECT", "S3.EXPIRE.OBJECT"]))
def test_encoded_keys_decode_back(key: str, operation: str) -> None:
    encoded = encode_key(key, operation)
    assert encoded is not None and " " not in encoded
    if any(0xD800 <= ord(c) <= 0xDFFF for c in key):
        return  # lone surrogates have no UTF-8 form
    assert decode_key(encoded, operation) == key


def test_every_field_has_a_json_key() -> None:
    keys = [f.json_key for f in FIELDS]
    assert len(set(keys)) == 27 and "bytes_sent_size" in keys and "key_name" in keys
