"""Every line of the conformance corpus parses to what its source expects, or is rejected
where its source says it must be."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from s3sleuth.parse import LineRejected, parse_line


def lines_of(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line]


def parse(line: bytes) -> dict[str, Any]:
    return parse_line(line)


def test_every_log_line_parses_except_the_ones_sources_reject(conformance: Path) -> None:
    must_reject = {("icodeforlove-s3-access-log-parser", "matches_invalid.log")}
    seen = 0
    for path in sorted(conformance.rglob("*.log")):
        for line in lines_of(path):
            seen += 1
            if (path.parent.name, path.name) in must_reject:
                with pytest.raises(LineRejected):
                    parse(line)
            else:
                parse(line)  # raises on failure
    assert seen >= 100


def test_icodeforlove_expectations(conformance: Path) -> None:
    folder = conformance / "icodeforlove-s3-access-log-parser"
    expected = json.loads((folder / "matches.expected.json").read_text())
    first, second = (parse(line) for line in lines_of(folder / "matches_valid.log"))
    want = expected["matches_valid.log"][0]
    assert first["time"] == datetime(2014, 2, 6, 0, 0, 38, tzinfo=UTC)
    for name in (
        "bucket_owner",
        "bucket",
        "remote_ip",
        "requester",
        "request_id",
        "operation",
        "request_uri",
        "http_status",
        "bytes_sent",
        "user_agent",
    ):
        assert first[name] == want[name], name
    assert first["key_raw"] == want["key"]  # the source keeps the key as logged
    assert first["total_time_ms"] == want["total_time"]
    assert second["requester"] == expected["matches_valid.log"][1]["requester"]
    (dashes,) = (parse(line) for line in lines_of(folder / "matches_all_dash.log"))
    wire_fields = [
        k for k in dashes if k not in ("field_count", "raw_line", "bytes_sent", "delivery")
    ]
    assert all(dashes[k] is None for k in wire_fields)  # "valid line, no values"
    assert dashes["bytes_sent"] == 0  # `-` in Bytes Sent means zero


def test_logstash_expectations(conformance: Path) -> None:
    folder = conformance / "logstash-patterns-core"
    expected = json.loads((folder / "aws_spec_S3_ACCESS_LOG.expected.json").read_text())["expected"]
    records = [parse(line) for line in lines_of(folder / "aws_spec_S3_ACCESS_LOG.log")]
    names = {
        "owner": "bucket_owner",
        "bucket": "bucket",
        "clientip": "remote_ip",
        "requester": "requester",
        "request_id": "request_id",
        "operation": "operation",
        "response": "http_status",
        "error_code": "error_code",
        "object_size": "object_size",
        "version_id": "version_id",
    }
    for record, case in zip(records, expected, strict=True):
        legacy = case["legacy"]
        for theirs, ours in names.items():
            if theirs not in legacy:
                continue
            value = legacy[theirs]
            value = None if value == "-" else value  # grok keeps "-"; we store NULL
            assert record[ours] == value, (case["line"], ours)
        verb, _, rest = record["request_uri"].partition(" ")
        assert verb == legacy["verb"]
        assert rest.rsplit(" HTTP/", 1) == [legacy["request"], legacy["httpversion"]]
        assert record["key_raw"] == (None if legacy["key"] == "-" else legacy["key"])
        assert record["total_time_ms"] == legacy["request_time_ms"]
        assert f'"{record["user_agent"]}"' == legacy["agent"]
        bytes_sent = legacy["bytes"]
        assert record["bytes_sent"] == (0 if bytes_sent is None else bytes_sent)


def test_elastic_expectations(conformance: Path) -> None:
    folder = conformance / "elastic-integrations"
    expected = json.loads((folder / "test-s3-server-access.log-expected.reduced.json").read_text())[
        "expected"
    ]
    records = [parse(line) for line in lines_of(folder / "test-s3-server-access.log")]
    renamed = {
        "point_arn": "access_point_arn",
        "aclrequired": "acl_required",
        "total_time": "total_time_ms",
        "turn_around_time": "turn_around_time_ms",
    }
    for record, case in zip(records, expected, strict=True):
        for theirs, value in case["aws.s3access"].items():
            ours = renamed.get(theirs, theirs)
            if ours == "key":
                assert record["key_raw"] == value
            elif ours == "request_uri" and value == "-":
                assert record["request_uri"] is None
            else:
                assert record[ours] == value, (case["@timestamp"], ours)
        stamp = datetime.fromisoformat(case["@timestamp"].replace("Z", "+00:00"))
        assert record["time"] == stamp


def test_dandi_expectations(conformance: Path) -> None:
    folder = conformance / "dandi-s3-log-parser"
    for expected_file in sorted(folder.glob("*.expected.json")):
        log = folder / expected_file.name.replace(".expected.json", ".log")
        if not log.exists():  # example 2's expectation describes the 2022-04-06 log
            log = next(folder.glob(expected_file.name.split("_20")[0] + "_*.log"))
        records = [parse(line) for line in lines_of(log)]
        wanted = json.loads(expected_file.read_text())["expected_rows"]
        for row in wanted:
            stamp = datetime.fromisoformat(row["timestamp"]).replace(tzinfo=UTC)
            matches = [
                r
                for r in records
                if r["time"] == stamp
                and r["key"] is not None
                and r["key"].startswith(row["object_key"])
            ]
            assert matches, row
            assert matches[0]["remote_ip"] == row["ip_address"]
            assert matches[0]["bytes_sent"] == row["bytes_sent"]


def test_s3_log_extraction_expectations(conformance: Path) -> None:
    folder = conformance / "s3-log-extraction"
    expected = json.loads((folder / "expected_extraction.json").read_text())
    records = [parse(line) for path in sorted(folder.glob("*.log")) for line in lines_of(path)]
    extracted: dict[str, dict[str, list[str]]] = {}
    for r in records:  # the source's rule: GET.OBJECT with a 2xx status, keyed by logged Key
        if r["operation"] != "REST.GET.OBJECT" or not 200 <= r["http_status"] < 300:
            continue
        entry = extracted.setdefault(
            r["key_raw"], {"bytes_sent": [], "download": [], "ips": [], "timestamps": []}
        )
        entry["bytes_sent"].append(str(r["bytes_sent"]))
        entry["download"].append("1" if r["http_status"] == 200 else "0")
        entry["ips"].append(r["remote_ip"])
        entry["timestamps"].append(r["time"].strftime("%y%m%d%H%M%S"))
    assert extracted == expected["expected_by_object_key"]


def test_storj_tls_version_with_a_space_stays_one_field(conformance: Path) -> None:
    for line in lines_of(conformance / "storj-docs" / "storj_bucket_logging_examples.log"):
        record = parse(line)
        assert record["tls_version"] == "TLS 1.3"
        assert record["access_point_arn"] is None
        assert record["operation"] in ("PostPolicyBucket", "GetBucketLocation")
