"""`s3sleuth denied` on a small log of our own (logs/denied.log), one case per rule.

The golden file is the whole JSON answer; `S3SLEUTH_REGEN_GOLDEN=1 pytest` rewrites it (review
the diff before committing). The tests below it pin the rules one by one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from s3sleuth import ingest
from s3sleuth.diagnose.denied import Finding, denied
from s3sleuth.output import jsonable
from s3sleuth.window import Window
from tests.conftest import engine

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "denied.json"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("denied") / "store"
    ingest([str(HERE / "logs" / "denied.log")], path)
    return path


@pytest.fixture(scope="module")
def findings(store: Path) -> list[Finding]:
    return denied(engine(store))


def by_summary(findings: list[Finding], start: str) -> Finding:
    (match,) = [f for f in findings if f.summary.startswith(start)]
    return match


def test_golden(findings: list[Finding]) -> None:
    answer = [jsonable(f.to_dict()) for f in findings]
    if os.environ.get("S3SLEUTH_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(answer, indent=2) + "\n")
    assert answer == json.loads(GOLDEN.read_text())


def test_transfer_family_user_is_one_finding_over_its_sessions(findings: list[Finding]) -> None:
    f = by_summary(findings, "role Transfer-Family-Role")
    assert f.summary == (
        "role Transfer-Family-Role (Transfer Family user test1 on server "
        "s-aacfeafc8f2840b9a) lacks s3:PutObject on "
        "arn:aws:s3:::acme-data/home/test1/*"
    )
    assert f.principal_arn == "arn:aws:iam::111122223333:role/Transfer-Family-Role"
    assert (f.transfer_user, f.count, f.session_total) == ("test1", 3, 3)
    assert f.sessions == ["03bf7ddc20e33b8c", "5f0e2a8b9c1d4e7f", "9a8b7c6d5e4f3a2b"]
    assert f.transfer_session_id is None  # several sessions: see `sessions`
    assert f.keys == ["home/test1/tesla.txt", "home/test1/test.py"] and f.key_total == 2
    assert f.policy_statement == {
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::acme-data/home/test1/*"],  # the folder, not `home/test1/tes*`
    }
    assert any("scope-down" in c for c in f.checks)


def test_one_role_on_two_instances_is_one_finding(findings: list[Finding]) -> None:
    f = by_summary(findings, "role app lacks s3:GetObjectVersion")
    assert f.principal_arn == "arn:aws:iam::111122223333:role/app"
    assert (f.session_total, f.sessions) == (2, ["i-0123456789abcdef0", "i-0fedcba987654321f"])
    assert f.resource_arn == "arn:aws:s3:::acme-data/models/v*"


def test_several_keys_give_their_common_prefix(findings: list[Finding]) -> None:
    f = by_summary(
        findings, "IAM user alice lacks s3:GetObject on arn:aws:s3:::acme-data/reports/2024/*"
    )
    assert f.keys == ["reports/2024/feb.csv", "reports/2024/jan.csv", "reports/2024/mar.csv"]
    assert f.key_total == 3 and f.operation == "REST.GET.OBJECT"
    # A HEAD needs the same s3:GetObject: one finding for both.
    assert (f.operations, f.count) == (["REST.GET.OBJECT", "REST.HEAD.OBJECT"], 4)
    assert any("403 instead of 404" in c for c in f.checks)


@pytest.mark.parametrize(
    ("start", "actions", "resource"),
    [
        (
            "role app lacks s3:GetObjectVersion",
            ["s3:GetObjectVersion"],
            "arn:aws:s3:::acme-data/models/v*",
        ),
        ("role app lacks s3:ListBucket", ["s3:ListBucket"], "arn:aws:s3:::acme-data"),
        (
            "role app lacks s3:PutObject, s3:GetObject",
            ["s3:PutObject", "s3:GetObject"],
            "arn:aws:s3:::acme-data/archive/v1.bin",
        ),
    ],
)
def test_operations_map_to_actions(
    findings: list[Finding], start: str, actions: list[str], resource: str
) -> None:
    f = by_summary(findings, start)
    assert (f.iam_actions, f.resource_arn) == (actions, resource)


def test_a_404_is_not_a_denial_and_a_success_is_not_either(findings: list[Finding]) -> None:
    keys = {k for f in findings for k in f.keys}
    assert "models/missing.bin" not in keys and "reports/2024/ok.csv" not in keys


def test_credential_failures_get_no_policy(findings: list[Finding]) -> None:
    f = by_summary(findings, "IAM user alice failed authentication")
    assert f.policy_statement is None and "no IAM policy change" in f.checks[0]


def test_anonymous_requests_get_no_grant(findings: list[Finding]) -> None:
    f = by_summary(findings, "an anonymous requester was denied s3:GetObject")
    assert f.summary.endswith("expected unless the bucket is meant to be public")
    assert f.policy_statement is None  # a statement without a Principal would be wrong advice
    assert any("Block Public Access" in c for c in f.checks)


def test_aws_service_denials_point_at_the_bucket_policy(findings: list[Finding]) -> None:
    f = by_summary(findings, "AWS service delivery.logs.amazonaws.com was denied s3:PutObject")
    assert f.policy_statement is None
    assert any("bucket policy statement for the delivery.logs" in c for c in f.checks)
    assert not any(c.startswith("identity policy") for c in f.checks)


def test_private_source_points_at_the_vpc_endpoint_policy(findings: list[Finding]) -> None:
    f = by_summary(findings, "role app lacks s3:ListBucket")
    assert any("VPC endpoint policy" in c for c in f.checks)


def test_window_and_bucket_filters(store: Path) -> None:
    only_logs = denied(engine(store), Window.parse(None, None, "acme-logs"))
    assert [f.bucket for f in only_logs] == ["acme-logs"]
    early = denied(engine(store), Window.parse("2024-03-01T09:00", "2024-03-01T09:02", None))
    assert sum(f.count for f in early) == 2  # test.py at 09:00, jan.csv at 09:01


def test_cli_json_shape_and_explain(store: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "s3sleuth", "denied", "--store", str(store), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[dict[str, Any]] = json.loads(run.stdout)
    required = {
        "principal_arn",
        "principal_name",
        "transfer_user",
        "transfer_session_id",
        "transfer_server_id",
        "operation",
        "iam_actions",
        "bucket",
        "keys",
        "resource_arn",
        "count",
        "first_seen",
        "last_seen",
        "error_codes",
        "policy_statement",
        "checks",
    }
    assert all(required <= set(r) for r in rows)
    explained = subprocess.run(
        [
            sys.executable,
            "-m",
            "s3sleuth",
            "denied",
            "--store",
            str(store),
            "--explain",
            "--bucket",
            "acme-logs",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    assert "Policy statement to grant" in explained and "Also check:" in explained


def test_the_key_sample_is_the_first_keys_in_order(tmp_path: Path) -> None:
    """With more denied keys than are shown, the sample is the smallest ones, so every engine
    (and every run, whatever the thread order) shows the same."""
    template = (HERE / "logs" / "denied.log").read_text().splitlines()[0]
    key = template.split(" ")[8]
    keys = [f"batch/file-{i:03d}.csv" for i in range(40)]
    lines = [template.replace(f" {key} ", f" {k} ", 1).replace(key, k) for k in reversed(keys)]
    source = tmp_path / "many.log"
    source.write_text("\n".join(lines) + "\n")
    ingest([str(source)], tmp_path / "store")
    (finding,) = denied(engine(tmp_path / "store"))
    assert finding.key_total == 40
    assert finding.keys == keys[:20]
