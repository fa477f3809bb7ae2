"""`audit TOPIC` on a log made for it: each topic flags its requests and not the look-alikes."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import s3sleuth
from s3sleuth import synth
from s3sleuth.parse.render import render_line
from tests.conftest import s3sleuth as run

ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:sts::111122223333:assumed-role/cleaner/i-0abc"
CAROL = "arn:aws:iam::444455556666:user/carol"
PRESIGNED = (
    "GET /shared/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE123"
    "%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=3600&X-Amz-Signature=abc HTTP/1.1"
)
# (name, overrides): one request each
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("delete", dict(operation="REST.DELETE.OBJECT", key_raw="reports/2024/a.csv", http_status=204)),
    ("delete version", dict(operation="REST.DELETE.OBJECT", key_raw="reports/2024/b.csv",
                            http_status=204, version_id="3HL4kqtJlcpXroDTDmJ")),
    ("batch 1", dict(operation="BATCH.DELETE.OBJECT", key_raw="x/1", requester=BOB,
                     request_id="BATCHDELETE00001", http_status=204)),
    ("batch 2", dict(operation="BATCH.DELETE.OBJECT", key_raw="x/2", requester=BOB,
                     request_id="BATCHDELETE00001", http_status=204)),
    ("expire", dict(operation="S3.EXPIRE.OBJECT", key_raw="tmp/old.json", requester="AmazonS3",
                    remote_ip=None, request_uri=None, user_agent=None)),
    ("denied delete", dict(operation="REST.DELETE.OBJECT", key_raw="reports/2024/c.csv",
                           http_status=403, error_code="AccessDenied")),
    ("delete bucket", dict(operation="REST.DELETE.BUCKET", key_raw=None, http_status=204)),
    ("sigv2", dict(signature_version="SigV2")),
    ("tls 1.1", dict(tls_version="TLSv1.1")),
    ("acl", dict(acl_required="Yes", operation="REST.GET.OBJECT", key_raw="acl/k")),
    ("presigned 1", dict(authentication_type="QueryString", request_uri=PRESIGNED,
                         remote_ip="203.0.113.1", requester=ALICE)),
    ("presigned 2", dict(authentication_type="QueryString", request_uri=PRESIGNED,
                         remote_ip="203.0.113.2", requester=ALICE)),
    ("anonymous read", dict(requester="-", operation="REST.GET.OBJECT", key_raw="pub/a.png",
                            remote_ip="198.51.100.9")),
    ("anonymous write", dict(requester="-", operation="REST.PUT.OBJECT", key_raw="pub/x.php",
                             remote_ip="198.51.100.66")),
    ("anonymous denied", dict(requester="-", http_status=403, error_code="AccessDenied")),
    ("other account", dict(requester=CAROL, operation="REST.GET.OBJECT", key_raw="k")),
]  # fmt: skip


def _line(i: int, overrides: dict[str, Any]) -> str:
    values: dict[str, Any] = dict(
        bucket="b", requester=ALICE, operation="REST.GET.OBJECT", key_raw=f"data/{i}.csv",
        http_status=200, error_code=None, signature_version="SigV4", tls_version="TLSv1.2",
        authentication_type="AuthHeader", acl_required=None, version_id=None,
        user_agent="aws-cli/2.15.30", field_count=27,
    )  # fmt: skip
    values.update(overrides)
    if "request_uri" not in overrides:
        method = values["operation"].split(".")[1]
        values["request_uri"] = f"{method} /{values['key_raw'] or ''} HTTP/1.1"
    when = datetime(2024, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=i)
    return render_line(synth.record(random.Random(i), when, **values))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audit")
    log = folder / "audit.log"
    log.write_text("".join(_line(i, o) + "\n" for i, (_, o) in enumerate(REQUESTS)))
    result = s3sleuth.open(folder / "store", create=True).ingest(str(log))
    assert result.rejected == 0
    return folder / "store"


def audit(store: Path, topic: str, **kw: Any) -> list[dict[str, Any]]:
    with s3sleuth.open(store) as opened:
        return opened.audit(topic, **kw).to_dicts()


def test_deletes_one_row_per_deleted_key_with_its_kind(store: Path) -> None:
    found = audit(store, "deletes")
    kinds = [(r["kind"], r["key"]) for r in found]
    assert kinds == [
        ("object", "reports/2024/a.csv"),
        ("version", "reports/2024/b.csv"),
        ("batch", "x/1"),
        ("batch", "x/2"),
        ("lifecycle", "tmp/old.json"),
        ("bucket", None),
    ]  # the denied delete is not a deletion
    batch = [r for r in found if r["kind"] == "batch"]
    assert {r["request_id"] for r in batch} == {"BATCHDELETE00001"}
    assert batch[0]["principal_arn"] == "arn:aws:iam::111122223333:role/cleaner"
    assert all(r["source_file"] and r["source_line"] for r in found)


def test_who_deleted_this_object_and_the_summary(store: Path) -> None:
    one = audit(store, "deletes", key="reports/2024/*")
    assert [(r["key"], r["principal_name"]) for r in one] == [
        ("reports/2024/a.csv", "alice"),
        ("reports/2024/b.csv", "alice"),
    ]
    summary = {(r["principal_name"], r["kind"]): r["deletions"] for r in
               audit(store, "deletes", summary=True)}  # fmt: skip
    assert summary[("cleaner", "batch")] == 2 and summary[("alice", "object")] == 1


def test_legacy_auth_flags_sigv2_and_old_tls_only(store: Path) -> None:
    found = audit(store, "legacy-auth")
    assert sorted((r["signature_version"], r["tls_version"]) for r in found) == [
        ("SigV2", "TLSv1.2"),
        ("SigV4", "TLSv1.1"),
    ]
    assert all(r["client"] == "aws-cli" and r["sample_request_id"] for r in found)


def test_acl_lists_what_needs_an_acl(store: Path) -> None:
    (row,) = audit(store, "acl")
    assert (row["operation"], row["sample_key"], row["requests"]) == ("REST.GET.OBJECT", "acl/k", 1)


def test_presigned_urls_who_signed_expiry_and_addresses(store: Path) -> None:
    (row,) = audit(store, "presigned")
    assert (row["access_key_id"], row["max_expires_seconds"]) == ("AKIAEXAMPLE123", 3600)
    assert (row["addresses"], row["sample_addresses"]) == (2, ["203.0.113.1", "203.0.113.2"])
    assert row["principal_name"] == "alice"


def test_anonymous_successes_writes_first(store: Path) -> None:
    found = audit(store, "anonymous")
    assert [(r["operation"], r["write"]) for r in found] == [
        ("REST.PUT.OBJECT", True),
        ("REST.GET.OBJECT", False),
    ]  # the denied anonymous request is not a success
    assert found[0]["key_prefix"] == "pub/" and found[0]["network_path"] == "public"


def test_cross_account_infers_the_owner_and_takes_a_given_one(store: Path) -> None:
    (row,) = audit(store, "cross-account")
    assert (row["principal_account"], row["owner_account"]) == ("444455556666", "111122223333")
    assert row["owner_account_from"] == "inferred"
    given = audit(store, "cross-account", accounts={"b": "444455556666"})
    assert {r["principal_account"] for r in given} == {"111122223333"}
    assert {r["owner_account_from"] for r in given} == {"given"}


def test_cli_json_sql_and_bad_arguments(store: Path) -> None:
    done = run("audit", "deletes", "--store", str(store), "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout) == audit(store, "deletes")
    sql = run("audit", "legacy-auth", "--sql", "--store", str(store))
    assert sql.returncode == 0 and "signature_version = 'SigV2'" in sql.stdout
    bad = run("audit", "cross-account", "--account", "b=42", "--store", str(store))
    assert bad.returncode == 2 and "BUCKET=ACCOUNT" in bad.stderr
    unknown = run("audit", "nope", "--store", str(store))
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
