"""The joins and what users see from them: denied, network and explain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3sleuth import ingest, query
from s3sleuth.diagnose.denied import denied
from s3sleuth.diagnose.explain import explain
from s3sleuth.diagnose.network import network
from s3sleuth.errors import UsageError
from s3sleuth.views.joins import TransferWindow
from tests.conftest import engine, s3sleuth

LOGS = Path(__file__).parent / "logs"
SESSION = "03bf7ddc20e33b8c"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("correlate") / "store"
    ingest([str(LOGS)], path)
    return path


def test_transfer_error_joins_test1s_denied_put(store: Path) -> None:
    """The issue's case: the CLOSE "Access denied" event has no user; the join finds the
    403 PUT row of user test1 through the session id in the requester."""
    matches = query(
        "SELECT * FROM transfer_matches WHERE event_id IN (SELECT event_id FROM transfer_events"
        " WHERE activity_type = 'ERROR' AND source_file LIKE '%transfer.jsonl')",
        store,
    ).to_pylist()
    # the session's rows on that key in the window: the HEAD before the upload, and the PUT
    assert sorted(m["operation"] for m in matches) == ["REST.HEAD.OBJECT", "REST.PUT.OBJECT"]
    (match,) = [m for m in matches if m["http_status"] == 403]
    assert match["request_id"] == "4F58538A4F0C2D19"
    assert (match["operation"], match["http_status"], match["error_code"]) == (
        "REST.PUT.OBJECT",
        403,
        "AccessDenied",
    )
    requester = query(
        "SELECT requester, transfer_user FROM access_log WHERE request_id = '4F58538A4F0C2D19'",
        store,
    ).to_pylist()[0]
    assert requester["transfer_user"] == "test1"


def test_no_join_outside_the_window_or_for_another_key(store: Path) -> None:
    """The 01:10:06 event must not claim the 01:40:05 retry, nor the HEAD of another key."""
    joined = query(
        "SELECT request_id FROM transfer_matches WHERE activity_type = 'ERROR' "
        "AND event_time = timestamp '2024-02-01 01:10:06 UTC'",
        store,
    )["request_id"].to_pylist()
    assert "5A69649B5A1D3E20" not in joined
    tight = TransferWindow.parse("0s,0s")
    assert (tight.before, tight.after) == (0, 0)
    assert list(explain(engine(store), request_id="4F58538A4F0C2D19", transfer_window=tight)) == [
        row
        for row in explain(engine(store), request_id="4F58538A4F0C2D19", transfer_window=tight)
        if row["source"] != "transfer"
    ]


def test_cloudtrail_delete_bucket_joins_by_request_id(store: Path) -> None:
    (match,) = query(
        "SELECT * FROM cloudtrail_matches WHERE event_name = 'DeleteBucket'", store
    ).to_pylist()
    assert (match["operation"], match["bucket"]) == ("REST.DELETE.BUCKET", "reports")
    assert match["vpc_endpoint_id"] == "vpce-0a1b2c3d4e5f67890"
    assert match["primary_row"] is True


def test_copy_rows_share_a_request_id_and_one_is_primary(tmp_path: Path) -> None:
    line = (LOGS / "access.log").read_text().splitlines()[-1]  # analyst's GET, 0A1B2C3D4E5F6A7B
    copy = line.replace("REST.GET.OBJECT", "REST.COPY.OBJECT_GET")
    (tmp_path / "copy.log").write_text(f"{line}\n{copy}\n")
    ingest([str(tmp_path / "copy.log"), str(LOGS / "cloudtrail.json")], tmp_path / "s")
    rows = query(
        "SELECT operation, primary_row FROM cloudtrail_matches ORDER BY operation", tmp_path / "s"
    ).to_pylist()
    assert rows == [
        {"operation": "REST.COPY.OBJECT_GET", "primary_row": False},
        {"operation": "REST.GET.OBJECT", "primary_row": True},
    ]


def test_host_id_must_agree_when_both_are_present(tmp_path: Path) -> None:
    record = json.loads((LOGS / "cloudtrail.json").read_text())["Records"][0]
    record["additionalEventData"]["x-amz-id-2"] = "someone-elses-host-id"
    (tmp_path / "ct.json").write_text(json.dumps({"Records": [record]}))
    ingest([str(LOGS / "access.log"), str(tmp_path / "ct.json")], tmp_path / "s")
    assert (
        query("SELECT count(*) AS n FROM cloudtrail_matches", tmp_path / "s")["n"][0].as_py() == 0
    )


def test_denied_shows_the_sftp_event_and_cloudtrails_policy_layer(store: Path) -> None:
    findings = {f.principal_name: f for f in denied(engine(store))}
    transfer = findings["Transfer-Family-Role"]
    assert transfer.transfer_events == ['CLOSE /bucket/test.py "Access denied"']
    assert transfer.policy_layers == ["no identity-based policy allows it"]
    assert transfer.policy_statement == {
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::bucket/test.py"],
    }
    assert transfer.checks[0] == "CloudTrail names the layer: no identity-based policy allows it"
    analyst = findings["analyst"]
    assert analyst.transfer_events == []
    assert analyst.summary.endswith("by an explicit deny in a resource-based policy")


def test_denied_without_other_logs_is_unchanged(tmp_path: Path) -> None:
    ingest([str(LOGS / "access.log")], tmp_path / "s")
    (finding,) = [f for f in denied(engine(tmp_path / "s")) if f.transfer_user]
    assert finding.transfer_events == [] and finding.policy_layers == []
    assert "lacks s3:PutObject" in finding.summary


def test_network_verdict_confirmed_via_vpc_endpoint(store: Path) -> None:
    (row,) = [r for r in network(engine(store)).rows if r["principal_name"] == "reports-ec2"]
    assert row["vpc_endpoint_ids"] == ["vpce-0a1b2c3d4e5f67890"]
    assert "confirmed via vpce-0a1b2c3d4e5f67890" in row["verdict"]
    assert "private source" not in row["verdict"]
    assert row["requests"] == 2  # the join did not multiply rows


def test_explain_request_in_time_order_from_all_three_sources(store: Path) -> None:
    timeline = explain(engine(store), request_id="4F58538A4F0C2D19")
    assert {r["source"] for r in timeline} == {"access_log", "cloudtrail", "transfer"}
    assert [r["time"] for r in timeline] == sorted(r["time"] for r in timeline)
    events = [r["event"] for r in timeline]
    assert "REST.PUT.OBJECT bucket/test.py 403 AccessDenied" in events
    assert "PutObject bucket/test.py AccessDenied" in events
    assert 'ERROR CLOSE /bucket/test.py "Access denied"' in events


def test_explain_session(store: Path) -> None:
    timeline = explain(engine(store), session_id=SESSION)
    access = [r for r in timeline if r["source"] == "access_log"]
    assert len(access) == 3  # HEAD, PUT and the retry 30 minutes later
    assert any(r["source"] == "cloudtrail" for r in timeline)
    assert all("partner.acme" not in (r["detail"] or "") for r in timeline)


def test_explain_needs_exactly_one_id(store: Path) -> None:
    with pytest.raises(UsageError):
        explain(engine(store))
    with pytest.raises(UsageError):
        explain(engine(store), request_id="X", session_id=SESSION)


def test_cli_explain_and_exit_codes(store: Path) -> None:
    done = s3sleuth("explain", "--session", SESSION, "--store", str(store), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert {"time", "source", "event", "detail", "source_file", "source_line"} <= set(
        json.loads(done.stdout)[0]
    )
    missing = s3sleuth("explain", "NOSUCHREQUEST", "--store", str(store))
    assert missing.returncode == 1 and "nothing in the store" in missing.stderr
    bad = s3sleuth("denied", "--store", str(store), "--transfer-window", "soon")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --transfer-window")
    assert "Traceback" not in bad.stderr


def test_cli_ingest_type_and_summary(tmp_path: Path) -> None:
    done = s3sleuth("ingest", str(LOGS / "cloudtrail.json"), "--store", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert "4 CloudTrail records" in done.stdout
    forced = s3sleuth(
        "ingest", str(LOGS / "access.log"), "--type", "transfer", "--store", str(tmp_path / "t")
    )
    assert forced.returncode == 0 and "7 rejected" in forced.stdout
