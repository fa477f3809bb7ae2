"""Every detection rule on a log made for it: it flags its case and not the look-alike.

The baseline (before --since) is 08:00-09:00 on a Friday; the window is from 10:00 that day
to the end of Saturday.
Thresholds come from a config file, so a handful of rows cross them.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import s3sleuth
from s3sleuth import synth
from s3sleuth.detect import rules
from s3sleuth.parse.render import render_line
from tests.conftest import s3sleuth as run

DAY = datetime(2024, 3, 1, tzinfo=UTC)  # a Friday
SINCE, UNTIL = "2024-03-01T10:00:00+00:00", "2024-03-03T00:00:00+00:00"
ACCOUNT = "111122223333"
CONFIG = """
reads_per_source = 5
errors_per_source = 5
deletions_per_principal = 5
download_factor = 10.0
download_min_bytes = 1000000
presigned_addresses = 3
"""
SIGNED = "X-Amz-Credential=AKIAEXAMPLE123%2F20240301%2Fus-east-1%2Fs3%2Faws4_request"


def user(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def row(minute: float, who: str | None = "alice", **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        bucket="b", requester=user(who) if who and ":" not in who else (who or "-"),
        operation="REST.GET.OBJECT", key_raw="data/x.csv", http_status=200, error_code=None,
        bytes_sent=100, signature_version="SigV4", tls_version="TLSv1.2",
        cipher_suite="TLS_AES_128_GCM_SHA256", authentication_type="AuthHeader",
        acl_required=None, version_id=None, user_agent="aws-cli/2.15.30", remote_ip="10.0.0.1",
        field_count=27,
    )  # fmt: skip
    values.update(kw)
    if "request_uri" not in kw:
        method = values["operation"].split(".")[1]
        values["request_uri"] = f"{method} /{values['key_raw'] or ''} HTTP/1.1"
    values["_when"] = DAY + timedelta(minutes=minute)
    return values


VPC_APP = f"arn:aws:sts::{ACCOUNT}:assumed-role/vpc-app/i-0abc"
ROWS = [
    # baseline, 08:00-09:00
    row(8 * 60 + 1), row(8 * 60 + 2, VPC_APP, remote_ip="10.0.0.2"),
    row(8 * 60 + 3, "dave", bytes_sent=600_000), row(8 * 60 + 4, "dave", bytes_sent=600_000),
    row(8 * 60 + 5, "erin", bytes_sent=1000),
    row(8 * 60 + 6, "uma", remote_ip="54.9.9.9"),  # public before, public after: as usual
    # the window, from 10:00
    row(600, "carol", tls_version=None, cipher_suite=None),  # insecure-transport
    row(601, "carol-old", tls_version=None, cipher_suite=None, field_count=18),  # look-alike
    row(602, "frank", signature_version="SigV2"),  # sigv2
    row(603, None, operation="REST.PUT.OBJECT", key_raw="pub/x.txt", remote_ip="198.51.100.4"),
    row(604, None, operation="REST.PUT.OBJECT", key_raw="pub/y.txt", http_status=403,
        error_code="AccessDenied", remote_ip="198.51.100.4"),  # look-alike: denied
    *[row(605 + i / 10, None, remote_ip="198.51.100.5", key_raw=f"pub/{i}.png") for i in range(5)],
    *[row(606 + i / 10, None, remote_ip="198.51.100.6", key_raw=f"pub/{i}.png") for i in range(4)],
    row(607, remote_ip="10.0.0.99"),  # new-source-address (private, so not endpoint-public)
    row(608),  # alice from her usual address: not new
    row(609, "grace"),  # new-principal
    row(610, "erin", bytes_sent=700_000), row(610.5, "erin", bytes_sent=700_000),  # bulk
    row(611, "dave", bytes_sent=600_000), row(611.5, "dave", bytes_sent=600_000),  # as usual
    *[row(612 + i / 10, "mallory", remote_ip="198.51.100.7", http_status=404,
          error_code="NoSuchKey", key_raw=f"guess/{i}") for i in range(5)],
    *[row(613 + i / 10, "nina", remote_ip="198.51.100.8", http_status=404,
          error_code="NoSuchKey", key_raw=f"guess/{i}") for i in range(4)],
    row(614, "oscar", key_raw="config/.env"),  # credential-reads
    row(615, "oscar", key_raw="docs/environment.md"),  # look-alike
    row(616, "oscar", key_raw="other/.env", http_status=404, error_code="NoSuchKey"),
    row(617, "peggy", operation="REST.PUT.OBJECT", key_raw="uploads/shell.php"),
    row(618, "peggy", operation="REST.PUT.OBJECT", key_raw="README_TO_DECRYPT_FILES.txt"),
    row(619, "quentin", operation="REST.PUT.OBJECT", key_raw="site/index.html"),  # look-alike
    row(620, "rupert", operation="REST.PUT.BUCKETPOLICY", key_raw=None, http_status=204),
    row(621, "sybil", operation="REST.GET.BUCKETPOLICY", key_raw=None),  # look-alike
    *[row(622 + i / 10, "henry", operation="REST.DELETE.OBJECT", key_raw=f"d/{i}",
          http_status=204) for i in range(5)],
    *[row(623 + i / 10, "ivan", operation="REST.DELETE.OBJECT", key_raw=f"d/{i}",
          http_status=204) for i in range(4)],
    row(624, VPC_APP, remote_ip="54.1.2.3"),  # endpoint-principal-public
    row(624.5, "uma", remote_ip="54.9.9.9"),  # look-alike
    row(625, None, user_agent="sqlmap/1.7.2#stable (https://sqlmap.org)", remote_ip="203.0.113.9"),
    row(626, "trent", user_agent="Boto3/1.34.0 md/Botocore#1.34.0 lang/python#3.11.6"),
    row(627, "trent", user_agent="aws-cli/2.15.30 lang/python#3.11.8 md/pyimpl#CPython"),
    row(20 * 60 + 30, "lee"),  # 20:30 UTC: off-hours in UTC, 15:30 in New York
    row(23 * 60 + 30, "judy"),  # 23:30 UTC: off-hours everywhere near
    row(24 * 60 + 600, "walter"),  # Saturday 10:00: a working hour, not a working day
    *[row(628 + i / 10, "alice", authentication_type="QueryString", key_raw="shared/r.pdf",
          remote_ip=f"203.0.113.{20 + i}",
          request_uri=f"GET /shared/r.pdf?{SIGNED}&X-Amz-Expires=3600 HTTP/1.1")
      for i in range(3)],
    *[row(629 + i / 10, "alice", authentication_type="QueryString", key_raw="shared/s.pdf",
          remote_ip=f"203.0.113.{30 + i}",
          request_uri=f"GET /shared/s.pdf?{SIGNED}&X-Amz-Expires=60 HTTP/1.1")
      for i in range(2)],
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("detect")
    lines = []
    for i, values in enumerate(ROWS):
        values = dict(values)
        when = values.pop("_when")
        lines.append(render_line(synth.record(random.Random(i), when, **values)) + "\n")
    (folder / "detect.log").write_text("".join(lines))
    (folder / "detect.toml").write_text(CONFIG)
    result = s3sleuth.open(folder / "store", create=True).ingest(str(folder / "detect.log"))
    assert result.rejected == 0
    return folder / "store"


def findings(store: Path, **kw: Any) -> list[dict[str, Any]]:
    with s3sleuth.open(store) as opened:
        report = opened.detect(SINCE, UNTIL, config=store.parent / "detect.toml", **kw)
        return report.to_dicts()


def by_rule(store: Path, **kw: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in findings(store, **kw):
        out.setdefault(f["rule"], []).append(f)
    return out


def names(found: list[dict[str, Any]]) -> set[str]:
    return {str(f.get("principal_arn") or "").rsplit("/", 1)[-1] for f in found}


@pytest.mark.parametrize(
    ("rule", "flagged", "not_flagged"),
    [
        ("insecure-transport", {"carol"}, {"carol-old"}),
        ("sigv2", {"frank"}, {"alice"}),
        ("new-principal", {"grace"}, {"alice", "dave"}),
        ("bulk-download", {"erin"}, {"dave"}),
        ("credential-reads", {"oscar"}, set()),
        ("ransom-or-webshell", {"peggy"}, {"quentin"}),
        ("bucket-config-change", {"rupert"}, {"sybil"}),
        ("mass-deletion", {"henry"}, {"ivan"}),
        ("endpoint-principal-public", {"vpc-app"}, {"uma", "dave"}),
        ("scanner-agent", {""}, {"trent"}),
        ("off-hours", {"lee", "judy", "walter"}, {"alice", "grace"}),
        ("presigned-many-addresses", {"alice"}, set()),
    ],
)
def test_each_rule_flags_its_case_and_not_the_look_alike(
    store: Path, rule: str, flagged: set[str], not_flagged: set[str]
) -> None:
    found = by_rule(store).get(rule, [])
    assert flagged <= names(found), found
    assert not (not_flagged & names(found)), found
    assert all(f["evidence"] and f["first_seen"] <= f["last_seen"] for f in found)


def test_address_rules(store: Path) -> None:
    rules_found = by_rule(store)
    assert [f["remote_ip"] for f in rules_found["anonymous-read-burst"]] == ["198.51.100.5"]
    assert [f["remote_ip"] for f in rules_found["enumeration"]] == ["198.51.100.7"]
    assert {f["remote_ip"] for f in rules_found["new-source-address"]} >= {"10.0.0.99"}
    assert "10.0.0.1" not in {f["remote_ip"] for f in rules_found["new-source-address"]}
    (write,) = rules_found["anonymous-write"]
    assert write["summary"] == "anonymous REST.PUT.OBJECT succeeded on b"
    (credential,) = rules_found["credential-reads"]
    assert "config/.env" in credential["summary"] and credential["requests"] == 1
    (shared,) = rules_found["presigned-many-addresses"]
    assert "shared/r.pdf" in shared["summary"]


def test_time_zone_and_allow_lists_come_from_the_config(store: Path, tmp_path: Path) -> None:
    config = tmp_path / "ny.toml"
    config.write_text(CONFIG + 'time_zone = "America/New_York"\nallow_principals = ["henry"]\n')
    with s3sleuth.open(store) as opened:
        found = opened.detect(SINCE, UNTIL, config=config).to_dicts()
    off = names([f for f in found if f["rule"] == "off-hours"])
    assert "lee" not in off and "judy" in off  # 15:30 in New York is a working hour
    assert "henry" not in names([f for f in found if f["rule"] == "mass-deletion"])


def test_baseline_rules_need_a_window_start(store: Path) -> None:
    with s3sleuth.open(store) as opened:
        found = opened.detect(config=store.parent / "detect.toml").to_dicts()
    assert not {"new-principal", "new-source-address", "bulk-download"} & {f["rule"] for f in found}


def test_the_pack_has_fifteen_rules_or_more_each_documented() -> None:
    pack = rules()
    assert len(pack) >= 15
    assert all(r.description and r.severity in ("low", "medium", "high") for r in pack)
    standard = {"summary", "principal_arn", "bucket", "first_seen", "last_seen", "requests",
                "evidence"}  # fmt: skip
    assert all(standard <= set(r.keys) for r in pack)


def test_own_rules_run_beside_the_pack_and_override_by_name(store: Path, tmp_path: Path) -> None:
    mine = tmp_path / "rules"
    mine.mkdir()
    (mine / "big-objects.sql").write_text(
        "-- name: big-objects\n-- severity: high\n-- description: Objects over 500 KB read.\n"
        "SELECT 'big read' AS summary, $principal_arn AS principal_arn, bucket,\n"
        "  min(time) AS first_seen, max(time) AS last_seen, count(*) AS requests,\n"
        "  slice(array_sort(array_agg(request_id)), 1, 5) AS evidence\n"
        "FROM access_log WHERE $window AND bytes_sent > 500000\n"
        "GROUP BY $principal_arn, bucket\n"
    )
    (mine / "sigv2.sql").write_text(
        "-- name: sigv2\n-- severity: low\n-- description: switched off here.\n"
        "SELECT NULL AS summary WHERE false\n"
    )
    found = by_rule(store, rules=mine)
    assert names(found["big-objects"]) == {"erin", "dave"} and "sigv2" not in found


def test_cli_fail_on_sarif_and_bad_config(store: Path, tmp_path: Path) -> None:
    common = ["--store", str(store), "--since", SINCE, "--until", UNTIL,
              "--config", str(store.parent / "detect.toml")]  # fmt: skip
    high = run("detect", *common, "--fail-on", "high")
    assert high.returncode == 3 and "at or above high" in high.stderr
    quiet = run("detect", "--store", str(store), "--since", "2030-01-01", "--fail-on", "low")
    assert quiet.returncode == 0
    sarif = json.loads(run("detect", *common, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    (run_,) = sarif["runs"]
    ids = {r["id"] for r in run_["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run_["results"]} <= ids and len(run_["results"]) >= 15
    assert {r["level"] for r in run_["results"]} <= {"error", "warning", "note"}
    bad = tmp_path / "bad.toml"
    bad.write_text("reads_per_source = 'many'\n")
    refused = run("detect", "--store", str(store), "--config", str(bad))
    assert refused.returncode == 2 and "reads_per_source" in refused.stderr
