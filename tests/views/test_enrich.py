"""Boundary tests for each enrichment rule (diagnostics.md §5-7)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from s3sleuth.views.enrich import ENRICHMENTS, enrichment_sql

COLUMNS = ("requester", "remote_ip", "user_agent", "host_header", "request_uri", "operation",
           "error_code")  # fmt: skip


def enrich(**values: Any) -> dict[str, Any]:
    con = duckdb.connect()
    row = {c: values.get(c) for c in COLUMNS}
    con.execute(
        "CREATE TABLE access_log AS SELECT "
        + ", ".join(f"CAST(? AS VARCHAR) AS {c}" for c in COLUMNS)
        + ", CAST(? AS INTEGER) AS http_status",
        [*row.values(), values.get("http_status")],
    )
    cursor = con.execute(f"SELECT {enrichment_sql('duckdb')} FROM access_log")
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ip", "path"),
    [
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("172.15.255.255", "public"),
        ("172.32.0.1", "public"),
        ("192.168.1.1", "private"),
        ("192.169.0.1", "public"),
        ("100.64.0.1", "private"),
        ("100.127.255.255", "private"),
        ("100.63.255.255", "public"),
        ("100.128.0.1", "public"),
        ("54.240.197.23", "public"),
        ("fc00::1", "private"),
        ("fdff:ffff::1", "private"),
        ("FD12:3456::1", "private"),
        ("fe80::1", "public"),
        ("fc::1", "public"),
        ("2001:db8::1", "public"),
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:8.8.8.8", "public"),
        (None, None),
    ],
)
def test_network_path(ip: str | None, path: str | None) -> None:
    assert enrich(remote_ip=ip)["network_path"] == path


ROLE = "arn:aws:sts::123456789012:assumed-role/Transfer-Family-Role"


@pytest.mark.parametrize(
    ("requester", "expected"),
    [
        (
            f"{ROLE}/test1.03bf7ddc20e33b8c@s-aacfeafc8f2840b9a",
            (
                "assumed-role",
                "123456789012",
                "Transfer-Family-Role",
                "test1",
                "03bf7ddc20e33b8c",
                "s-aacfeafc8f2840b9a",
            ),
        ),
        (
            f"{ROLE}/partner.acme.9a8b7c6d5e4f3a2b@s-0123456789abcdef0",  # dots in the user name
            (
                "assumed-role",
                "123456789012",
                "Transfer-Family-Role",
                "partner.acme",
                "9a8b7c6d5e4f3a2b",
                "s-0123456789abcdef0",
            ),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/app-server/i-0a1b2c3d4e5f60718",
            ("assumed-role", "123456789012", "app-server", None, None, None),
        ),
        (
            "arn:aws:iam::123456789012:user/division/team/alice@example.com",
            ("iam-user", "123456789012", "alice@example.com", None, None, None),
        ),
        (
            "arn:aws-us-gov:iam::123456789012:user/bob",
            ("iam-user", "123456789012", "bob", None, None, None),
        ),
        (
            "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID",
            ("aws-service", None, "CloudFront", None, None, None),
        ),
        (
            "svc:delivery.logs.amazonaws.com",
            ("aws-service", None, "delivery.logs.amazonaws.com", None, None, None),
        ),
        ("AmazonS3", ("aws-service", None, "AmazonS3", None, None, None)),
        (
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            ("canonical-user", None, None, None, None, None),
        ),
        (None, ("anonymous", None, None, None, None, None)),
        ("1831182b-718f-471f-852d-6e1a4701eadd", ("other", None, None, None, None, None)),
    ],
)
def test_requester(requester: str | None, expected: tuple[str | None, ...]) -> None:
    row = enrich(requester=requester)
    got = tuple(
        row[k]
        for k in (
            "principal_type",
            "principal_account",
            "principal_name",
            "transfer_user",
            "transfer_session_id",
            "transfer_server_id",
        )
    )
    assert got == expected


@pytest.mark.parametrize(
    ("agent", "requester", "client", "version"),
    [
        ("S3Console/0.4", None, "console", "0.4"),
        ("aws-transfer/1.0 (s-aacfeafc8f2840b9a)", None, "transfer-family", "1.0"),
        (
            "Boto3/1.34.0 md/Botocore#1.34.0",
            f"{ROLE}/u.03bf7ddc20e33b8c@s-aacfeafc8f2840b9a",
            "transfer-family",
            "1.34.0",
        ),
        ("aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0", None, "aws-cli", "2.15.30"),
        (
            "Boto3/1.21.19 Python/3.9.10 Linux/4.4.0-1104-aws Botocore/1.24.19 Resource",
            None,
            "sdk-python",
            "1.21.19",
        ),
        ("aws-sdk-java/1.11.590 Linux/4.9.137", None, "sdk-java", "1.11.590"),
        ("aws-sdk-go-v2/1.30.4 os/macos lang/go#1.23.0", None, "sdk-go", "1.30.4"),
        (
            "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590",
            None,
            "aws-service",
            None,
        ),
        ("-", "svc:delivery.logs.amazonaws.com", "aws-service", None),
        ("Mozilla/5.0 (X11; Linux x86_64)", None, "browser", None),  # not the Mozilla token
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36",
            None,
            "browser",
            "124.0.0.0",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            None,
            "browser",
            "124.0.2478.51",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            None,
            "browser",
            "125.0",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Safari/605.1.15",
            None,
            "browser",
            "17.4",
        ),
        ("curl/8.5.0", None, "other", "8.5.0"),
    ],
)
def test_client(agent: str, requester: str | None, client: str, version: str | None) -> None:
    row = enrich(user_agent=None if agent == "-" else agent, requester=requester)
    assert (row["client"], row["client_version"]) == (client, version)


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com", "s3"),
        ("s3.amazonaws.com:80", "s3"),
        ("s3-us-west-2.amazonaws.com", "s3"),
        ("bucket.s3.dualstack.eu-west-1.amazonaws.com", "s3"),
        ("bucket.s3.cn-north-1.amazonaws.com.cn", "s3"),
        ("bucket.vpce-0a1b2c3d4e5f6a7b8-abcd1234.s3.us-east-1.vpce.amazonaws.com", "vpc-interface"),
        ("ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com", "accesspoint"),
        ("bucket.s3-website-us-east-1.amazonaws.com", "website"),
        ("media.example.nl", "custom"),
        (None, None),
    ],
)
def test_endpoint_kind(host: str | None, kind: str | None) -> None:
    assert enrich(host_header=host)["endpoint_kind"] == kind


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        (
            "GET /bucket/key.txt?versionId=abc&x-id=GetObject HTTP/1.1",
            ("GET", "/bucket/key.txt", "versionId=abc&x-id=GetObject", "1.1"),
        ),
        ("PUT /test.py HTTP/1.1", ("PUT", "/test.py", None, "1.1")),
        ("OPTIONS * HTTP/1.0", ("OPTIONS", "*", None, "1.0")),
        (None, (None, None, None, None)),
    ],
)
def test_request_parts(uri: str | None, parts: tuple[str | None, ...]) -> None:
    row = enrich(request_uri=uri)
    got = tuple(row[k] for k in ("request_method", "request_path", "request_query", "http_version"))
    assert got == parts


def test_every_enrichment_is_documented() -> None:
    from s3sleuth.docs import fields_markdown

    text = fields_markdown()
    for e in ENRICHMENTS:
        assert f"`{e.name}`" in text
