"""Transfer Family and CloudTrail files: every input shape, detection, rejects, idempotence."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from s3sleuth import ingest, query
from s3sleuth.events.cloudtrail import parse_cloudtrail
from s3sleuth.events.detect import detect
from s3sleuth.events.transfer import parse_transfer

LOGS = Path(__file__).parent / "logs"


def rows(name: str) -> list[dict | str]:
    return [row for _, row, _ in parse_transfer((LOGS / name).read_bytes())]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("access.log", "access"),
        ("transfer.jsonl", "transfer"),
        ("transfer-legacy.log", "transfer"),
        ("transfer-filter-log-events.json", "transfer"),
        ("transfer-get-log-events.json", "transfer"),
        ("cloudtrail.json", "cloudtrail"),
    ],
)
def test_detects_each_shape_by_content(name: str, kind: str) -> None:
    assert detect((LOGS / name).read_bytes()[:4096]) == kind


def test_structured_json_lines() -> None:
    connected, _opened, error, _disconnected, note, broken = rows("transfer.jsonl")
    assert isinstance(connected, dict) and isinstance(error, dict)
    assert connected["user_name"] == "test1"
    assert connected["server_id"] == "s-aacfeafc8f2840b9a"
    assert connected["account_id"] == "111122223333" and connected["region"] == "us-east-1"
    assert connected["time"].isoformat() == "2024-02-01T01:09:58+00:00"
    assert json.loads(connected["event"])["kex"] == "ecdh-sha2-nistp256"  # kept in full
    assert (error["operation"], error["bucket"], error["key"]) == ("CLOSE", "bucket", "test.py")
    assert error["message"] == "Access denied" and error["log_format"] == "json"
    assert note == "not a Transfer Family event (no activity-type)"
    assert isinstance(broken, str) and broken.startswith("invalid JSON")


def test_legacy_key_value_lines() -> None:
    connected, _opened, closed, other = rows("transfer-legacy.log")
    assert isinstance(connected, dict) and isinstance(closed, dict)
    assert connected["session_id"] == "9a8b7c6d5e4f3a2b"  # from the USER.SESSION stream
    assert connected["user_name"] == "partner.acme"  # a user name with a dot
    assert connected["source_ip"] == "198.51.100.20" and connected["home_dir"] == "/bucket/inbox"
    assert connected["client"] == "SSH-2.0-Cyberduck/8.7.1 (Mac OS X)"  # quoted value
    assert closed["bytes_in"] == 2048 and closed["key"] == "inbox/order-1.csv"
    assert closed["log_format"] == "legacy"
    assert other == "not a Transfer Family event (no known activity type)"


def test_filter_log_events_output_with_json_and_legacy_messages() -> None:
    structured, legacy = rows("transfer-filter-log-events.json")
    assert isinstance(structured, dict) and isinstance(legacy, dict)
    assert structured["event_id"] == "37954875416127894539183926593891524961838473412038254592"
    assert structured["time"].isoformat() == "2024-02-01T01:10:06+00:00"
    assert structured["log_stream"] == "test1.03bf7ddc20e33b8c"
    assert legacy["session_id"] == "03bf7ddc20e33b8c" and legacy["user_name"] == "test1"
    assert (legacy["operation"], legacy["path"], legacy["message"]) == (
        "CLOSE",
        "/bucket/test.py",
        "Access denied",
    )


def test_get_log_events_output() -> None:
    (connected,) = rows("transfer-get-log-events.json")
    assert isinstance(connected, dict)
    assert connected["activity_type"] == "CONNECTED"
    assert connected["time"].isoformat() == "2024-02-01T01:09:58+00:00"


def test_cloudtrail_records() -> None:
    parsed = [row for _, row, _ in parse_cloudtrail((LOGS / "cloudtrail.json").read_bytes())]
    delete, get, get_again, put, bad, no_name = parsed
    assert isinstance(delete, dict) and isinstance(put, dict) and isinstance(get, dict)
    assert delete["event_name"] == "DeleteBucket" and delete["bucket"] == "reports"
    assert delete["vpc_endpoint_id"] == "vpce-0a1b2c3d4e5f67890"
    assert delete["host_id"].startswith("FEqlXeu4")
    assert delete["session_issuer_arn"] == "arn:aws:iam::111122223333:role/reports-ec2"
    assert delete["management_event"] is True and delete["read_only"] is False
    assert put["on_behalf_of"] == "test1.03bf7ddc20e33b8c@s-aacfeafc8f2840b9a"
    assert put["invoked_by"] == "transfer.amazonaws.com"
    assert get == get_again  # the duplicate (same eventID) that the view keeps once
    assert bad == "not a CloudTrail record (not a JSON object)"
    assert no_name == "not a CloudTrail record (no eventName)"


def test_digest_file_adds_nothing() -> None:
    digest = json.dumps({"awsAccountId": "111122223333", "digestStartTime": "2024-02-01T00:00:00Z"})
    assert detect(digest.encode()) == "cloudtrail"
    assert list(parse_cloudtrail(digest.encode())) == []


def test_ingest_is_lossless_and_idempotent(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = ingest([str(LOGS)], store)
    assert first.files == 6
    assert first.lines == first.parsed + first.rejected
    assert (first.transfer_events, first.cloudtrail_events, first.rejected) == (10, 4, 5)
    counts = query(
        "SELECT (SELECT count(*) FROM transfer_events) AS t,"
        " (SELECT count(*) FROM cloudtrail_events) AS c,"
        " (SELECT count(*) FROM rejects) AS r, (SELECT count(*) FROM access_log) AS a",
        store,
    ).to_pylist()[0]
    # the duplicated CloudTrail record is stored, and shown once
    assert counts == {"t": 10, "c": 3, "r": 5, "a": 7}
    again = ingest([str(LOGS)], store)
    assert (again.files, again.skipped, again.lines) == (0, 6, 0)


def test_cloudtrail_layout_gzipped(tmp_path: Path) -> None:
    day = tmp_path / "trail" / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2024"
    day = day / "02" / "01"
    day.mkdir(parents=True)
    name = "111122223333_CloudTrail_us-east-1_20240201T0335Z_a1b2c3d4e5f6a7b8.json.gz"
    (day / name).write_bytes(gzip.compress((LOGS / "cloudtrail.json").read_bytes()))
    result = ingest([str(tmp_path / "trail")], tmp_path / "store")
    assert result.cloudtrail_events == 4
    (source,) = query("SELECT DISTINCT source_file FROM cloudtrail_events", tmp_path / "store")[
        "source_file"
    ].to_pylist()
    assert source.endswith(name)


def test_type_forces_a_kind(tmp_path: Path) -> None:
    odd = tmp_path / "events.txt"
    shutil.copy(LOGS / "transfer-legacy.log", odd)
    forced = ingest([str(odd)], tmp_path / "a", kind="access")
    assert forced.transfer_events == 0 and forced.rejected == 4  # not access-log lines
    auto = ingest([str(odd)], tmp_path / "b")
    assert auto.transfer_events == 3


def test_a_transfer_event_with_an_unreadable_timestamp_is_rejected() -> None:
    from s3sleuth.events.transfer import parse_transfer

    event = {"activity-type": "CONNECTED", "session-id": "03bf7ddc20e33b8c"}
    lines = [
        json.dumps({"timestamp": "yesterday-ish", "message": json.dumps(event)}),
        json.dumps({"timestamp": 10**20, "message": json.dumps(event)}),
        json.dumps({**event, "@timestamp": "2024-13-45T99:00:00Z"}),
        json.dumps(event),  # no timestamp at all: kept, undated
        json.dumps({"timestamp": 1706745600000, "message": json.dumps(event)}),
    ]
    results = [row for _, row, _ in parse_transfer("\n".join(lines).encode())]
    assert [r if isinstance(r, str) else "row" for r in results[:3]] == [
        "unreadable timestamp 'yesterday-ish'",
        f"unreadable timestamp {10**20}",
        "unreadable timestamp '2024-13-45T99:00:00Z'",
    ]
    assert isinstance(results[3], dict) and results[3]["time"] is None
    assert (
        isinstance(results[4], dict)
        and results[4]["time"].isoformat() == "2024-02-01T00:00:00+00:00"
    )
