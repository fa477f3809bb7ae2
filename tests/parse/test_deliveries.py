"""Every envelope of a CloudWatch Logs delivery lands in `access_log`, the same as text."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import s3sleuth
from s3sleuth import ingest, query
from s3sleuth.parse import parse_line
from s3sleuth.parse.record import to_record
from tests.conftest import s3sleuth as cli

LOGS = Path(__file__).parents[1] / "views" / "logs"
FIELDS_COMPARED = (
    "bucket_owner, bucket, date_trunc('second', time) AS second, remote_ip, requester,"
    " request_id, operation, key, key_raw, request_uri, http_status, error_code, bytes_sent,"
    " object_size, total_time_ms, turn_around_time_ms, referer, user_agent, version_id,"
    " host_id, signature_version, cipher_suite, authentication_type, host_header, tls_version,"
    " access_point_arn, acl_required, source_region, principal_name, transfer_user,"
    " client, network_path, billing_tier"
)


def text_rows() -> list[dict[str, Any]]:
    return [parse_line(line) for line in (LOGS / "access.log").read_bytes().splitlines()]


def records(nulls: bool = True) -> list[dict[str, Any]]:
    return [to_record(row, nulls=nulls, millis=7 * i) for i, row in enumerate(text_rows())]


def _event(record: dict[str, Any], i: int) -> dict[str, Any]:
    return {
        "logStreamName": f"stream-{i % 3}",  # several log streams
        "timestamp": 1706750000000 + i,
        "message": json.dumps(record),
        "ingestionTime": 1706750100000 + i,
        "eventId": f"{i:056d}",
    }


def envelopes(folder: Path) -> dict[str, Path]:
    """The same requests in every form a CloudWatch Logs delivery takes."""
    folder.mkdir()
    recs = records()
    events = [_event(r, i) for i, r in enumerate(recs)]
    half = len(events) // 2
    subscription = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/vendedlogs/s3/bucket/S3_SERVER_ACCESS_LOGS",
        "logStream": "stream-0",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": e["eventId"], "timestamp": e["timestamp"], "message": e["message"]}
                      for e in events],
    }  # fmt: skip
    control = {"messageType": "CONTROL_MESSAGE", "logEvents": []}
    out = {
        "filter-log-events": folder / "filter.json",
        "get-log-events": folder / "get.json",
        "export": folder / "000000.gz",
        "json-lines": folder / "vended.log.gz",
        "concatenated": folder / "firehose-object",
        "subscription": folder / "subscription.gz",
        "lambda": folder / "lambda-event.json",
        "parquet": folder / "vended.parquet",
    }
    out["filter-log-events"].write_text(
        json.dumps({"events": events, "searchedLogStreams": [], "nextToken": "x"}, indent=2)
    )
    out["get-log-events"].write_text(
        json.dumps({"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"})
    )
    stamp = [e["timestamp"] for e in events]
    out["export"].write_bytes(
        gzip.compress(
            "".join(
                f"{r['request_time']} {json.dumps(r)}\n" for r, _ in zip(recs, stamp, strict=True)
            ).encode()
        )
    )
    lines = "".join(json.dumps(r) + "\n" for r in recs)
    out["json-lines"].write_bytes(gzip.compress(lines.encode()))
    out["concatenated"].write_text("".join(json.dumps(r) for r in records(nulls=False)))
    first, second = subscription["logEvents"][:half], subscription["logEvents"][half:]
    out["subscription"].write_bytes(  # gzip members one after another, as Firehose writes
        gzip.compress(json.dumps(control).encode())
        + gzip.compress(json.dumps({**subscription, "logEvents": first}).encode())
        + gzip.compress(json.dumps({**subscription, "logEvents": second}).encode())
    )
    data = base64.b64encode(gzip.compress(json.dumps(subscription).encode())).decode()
    out["lambda"].write_text(json.dumps({"awslogs": {"data": data}}))
    table = pa.Table.from_pylist(recs)
    table = table.set_column(
        table.column_names.index("request_time"),
        "request_time",
        pa.array([r["time"] for r in text_rows()], pa.timestamp("ms", tz="UTC")),
    )
    pq.write_table(table, out["parquet"])
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("deliveries")
    files = envelopes(base / "in")
    text = base / "text"
    ingest([str(LOGS / "access.log")], text)
    out = {"text": text}
    for name, path in files.items():
        ingest([str(path)], base / name, kind="sal-json" if name == "lambda" else "auto")
        out[name] = base / name
    return out


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


NAMES = [
    "filter-log-events", "get-log-events", "export", "json-lines", "concatenated",
    "subscription", "lambda", "parquet",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_each_envelope_gives_the_rows_of_the_text_log(stores: dict[str, Path], name: str) -> None:
    sql = f"SELECT {FIELDS_COMPARED} FROM access_log"
    assert _sorted(query(sql, stores[name]).to_pylist()) == _sorted(
        query(sql, stores["text"]).to_pylist()
    )
    (delivery,) = query("SELECT DISTINCT delivery FROM access_log", stores[name])["delivery"]
    assert delivery.as_py() == ("parquet" if name == "parquet" else "json")
    assert query("SELECT count(*) AS n FROM rejects", stores[name])["n"][0].as_py() == 0


def test_milliseconds_and_json_only_columns_are_kept(stores: dict[str, Path]) -> None:
    rows = query(
        "SELECT time, schema_version, bucket_arn, bucket FROM access_log ORDER BY time",
        stores["json-lines"],
    ).to_pylist()
    assert {r["schema_version"] for r in rows} == {"V_1_0"}
    assert all(r["bucket_arn"] == f"arn:aws:s3:::{r['bucket']}" for r in rows)
    assert any(r["time"].microsecond for r in rows)


def test_aws_table_shows_json_rows_as_the_text_table_would(stores: dict[str, Path]) -> None:
    sql = (
        "SELECT bucketowner, requestdatetime, requester, operation, key, request_uri,"
        " httpstatus, bytessent, referrer, useragent, aclrequired, sourceregion"
        " FROM s3_access_logs_db.mybucket_logs ORDER BY requestid, requestdatetime, key"
    )
    json_rows = query(sql, stores["export"]).to_pylist()
    assert json_rows == query(sql, stores["text"]).to_pylist()
    assert json_rows[0]["requestdatetime"].endswith(" +0000")
    seed = (  # a query from AWS's documentation, run unchanged
        "SELECT requester, operation, count(*) AS n FROM s3_access_logs_db.mybucket_logs"
        " WHERE parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z')"
        " BETWEEN parse_datetime('2024-01-01', 'yyyy-MM-dd')"
        " AND parse_datetime('2025-01-01', 'yyyy-MM-dd') AND httpstatus = '403'"
        " GROUP BY requester, operation ORDER BY 1, 2"
    )
    assert query(seed, stores["parquet"]).to_pylist() == query(seed, stores["text"]).to_pylist()
    assert query(seed, stores["parquet"]).num_rows > 0


def test_the_transfer_family_scenario_on_json_rows(tmp_path: Path) -> None:
    """The story of the README, with the access log delivered through CloudWatch Logs."""
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("transfer.jsonl", "cloudtrail.json"):
        shutil.copy(LOGS / name, folder / name)
    events = [_event(r, i) for i, r in enumerate(records())]
    (folder / "s3-access.json").write_text(json.dumps({"events": events}))
    with s3sleuth.open(tmp_path / "store", create=True) as store:
        store.ingest(str(folder))
        findings = {f.principal_name: f for f in store.denied()}
        transfer = findings["Transfer-Family-Role"]
        assert transfer.transfer_user == "test1"
        assert transfer.transfer_events == ['CLOSE /bucket/test.py "Access denied"']
        assert transfer.policy_statement["Action"] == ["s3:PutObject"]
        (row,) = [r for r in store.network().rows if r["principal_name"] == "reports-ec2"]
        assert row["vpc_endpoint_ids"] == ["vpce-0a1b2c3d4e5f67890"]
        timeline = store.explain(request_id="4F58538A4F0C2D19")
        assert {r["source"] for r in timeline} == {"access_log", "cloudtrail", "transfer"}
        clients = {r["client"] for r in store.clients()}
        assert "transfer-family" in clients, clients
    summary = cli("summary", "--store", str(tmp_path / "store"), "--format", "json")
    assert summary.returncode == 0, summary.stderr
    sections = {s["title"]: s["rows"] for s in json.loads(summary.stdout)["sections"]}
    assert sections["totals"][0]["requests"] == len(events)
    html = tmp_path / "report.html"
    report = cli("report", "--store", str(tmp_path / "store"), "--html", str(html))
    assert report.returncode == 0, report.stderr
    assert "Transfer-Family-Role" in html.read_text()


def test_a_record_with_few_keys_is_still_told_apart() -> None:
    """A delivery may select its fields (`recordFields`): any key only the record has."""
    from s3sleuth.events.detect import detect

    assert detect(b'{"bucket_name": "b", "request_uri": "GET / HTTP/1.1"}\n') == "sal-json"
    assert detect(b'{"events": [{"message": "{\\"host_id\\": \\"x\\"}"}]}') == "sal-json"
    assert detect(b'{"Records": [{"eventVersion": "1.08"}]}') == "cloudtrail"
    trail = b'{"Records": [{"eventVersion": "1.08", "requestParameters": {"host_id": "x"}}]}'
    assert detect(trail) == "cloudtrail"
    assert detect(b'{"activity-type": "CONNECTED"}') == "transfer"


def test_text_and_json_in_one_store_answer_one_question(tmp_path: Path) -> None:
    """Users who switch keep their older text logs beside the new records."""
    rows = text_rows()
    older = tmp_path / "older.log"
    older.write_bytes(b"\n".join((LOGS / "access.log").read_bytes().splitlines()[:5]) + b"\n")
    newer = tmp_path / "newer.jsonl"
    newer.write_text("".join(json.dumps(to_record(r)) + "\n" for r in rows[5:]))
    done = cli("ingest", str(older), str(newer), "--store", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    found = query("SELECT delivery, count(*) AS n FROM access_log GROUP BY 1", tmp_path / "s")
    counts = {r["delivery"]: r["n"] for r in found.to_pylist()}
    assert counts == {"text": 5, "json": len(rows) - 5}
    again = cli("ingest", str(older), str(newer), "--store", str(tmp_path / "s"))
    assert again.returncode == 0 and "2 already in the store" in again.stdout + again.stderr
    total = query("SELECT count(*) AS n FROM access_log", tmp_path / "s")["n"][0].as_py()
    assert total == len(rows)


def test_unreadable_records_are_rejected_with_their_position(tmp_path: Path) -> None:
    good = json.dumps(records()[0])
    path = tmp_path / "mixed.jsonl"
    bad_status = json.dumps({**records()[0], "http_status": "OK"})
    path.write_text(f'{good}\n{{"broken": \n{good}\n[1, 2]\n{bad_status}\n')
    ingest([str(path)], tmp_path / "s", kind="sal-json")
    rejects = query(
        "SELECT source_line, reason FROM rejects ORDER BY source_line", tmp_path / "s"
    ).to_pylist()
    assert [r["source_line"] for r in rejects] == [2, 4, 5, 6]
    assert rejects[0]["reason"].startswith("invalid JSON")
    assert "not a JSON object" in rejects[1]["reason"]
    assert "http_status" in rejects[3]["reason"]
    lines = query("SELECT source_line FROM access_log ORDER BY 1", tmp_path / "s")
    assert lines["source_line"].to_pylist() == [1, 3]


def test_envelope_events_with_a_bad_message(tmp_path: Path) -> None:
    events = [_event(r, i) for i, r in enumerate(records()[:3])]
    events[1]["message"] = '{"bucket_name": "b", '
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"events": events}))
    result = ingest([str(path)], tmp_path / "s")
    assert (result.parsed, result.rejected) == (2, 1)
    (reject,) = query("SELECT * FROM rejects", tmp_path / "s").to_pylist()
    assert reject["source_line"] == 2 and "message is not JSON" in reject["reason"]


def test_parquet_with_every_value_a_string(tmp_path: Path) -> None:
    """The Parquet schema is read from the file, not assumed."""
    recs = records()
    strings = pa.Table.from_pylist(
        [{k: None if v is None else str(v) for k, v in r.items()} for r in recs]
    )
    pq.write_table(strings, tmp_path / "strings.parquet")
    result = ingest([str(tmp_path / "strings.parquet")], tmp_path / "s")
    assert result.parsed == len(recs), result
    got = query("SELECT sum(bytes_sent) AS b FROM access_log", tmp_path / "s")["b"][0].as_py()
    assert got == sum(r["bytes_sent"] for r in text_rows())


def test_since_and_until_window_json_records_as_text(tmp_path: Path) -> None:
    """The window keeps the records in it; a later, wider ingest adds only the rest."""
    recs = records()
    path = tmp_path / "vended.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    times = sorted(r["request_time"] for r in recs)
    middle = datetime.fromisoformat(times[len(times) // 2])
    first = ingest([str(path)], tmp_path / "s", since=middle)
    assert 0 < first.parsed < len(recs)
    assert first.lines == first.parsed + first.rejected + first.outside_window == len(recs)
    second = ingest([str(path)], tmp_path / "s")
    assert second.parsed == len(recs) - first.parsed
    total = query("SELECT count(*) AS n FROM access_log", tmp_path / "s")["n"][0].as_py()
    assert total == len(recs)
    assert ingest([str(path)], tmp_path / "s").skipped == 1


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["bucket_name", "key_name", "http_status", "x"]),
            st.one_of(st.none(), st.integers(), st.text(max_size=8)),
        ),
        max_size=6,
    ),
    st.lists(st.sampled_from(["", "\n", " \n ", "\r\n", "\n\n"]), min_size=6, max_size=6),
    st.integers(1, 40),
)
def test_values_are_read_whatever_separates_them_and_wherever_blocks_end(
    values: list[dict[str, Any]], separators: list[str], block: int
) -> None:
    """Records back to back or one per line come out whole, in order, numbered 1, 2, ...,
    however the reads cut the text (blocks of `block` bytes, a value across many)."""
    import io

    from s3sleuth.parse import deliveries

    text = "".join(json.dumps(v) + sep for v, sep in zip(values, separators, strict=False))
    original = deliveries.BLOCK
    deliveries.BLOCK = block
    try:
        got = list(deliveries.json_records(io.BytesIO(text.encode())))
    finally:
        deliveries.BLOCK = original
    assert [g.value for g in got] == values
    assert [g.position for g in got] == list(range(1, len(values) + 1))


def test_a_damaged_gzip_delivery_is_named_and_the_rest_stored(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = "".join(json.dumps(r) + "\n" for r in records()).encode()
    whole = gzip.compress(lines * 50)
    (folder / "a-damaged.json.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "b-good.jsonl").write_bytes(lines)
    done = cli("ingest", str(folder), "--store", str(tmp_path / "s"), "-q")
    assert done.returncode == 1, done.stderr
    assert "a-damaged.json.gz" in done.stderr and "Traceback" not in done.stderr
    stored = query("SELECT DISTINCT source_file FROM access_log", tmp_path / "s")
    assert [Path(p).name for p in stored["source_file"].to_pylist()] == ["b-good.jsonl"]
    (reject,) = query("SELECT * FROM rejects", tmp_path / "s").to_pylist()
    assert reject["source_file"].endswith("a-damaged.json.gz") and reject["source_line"] >= 1
    assert "gzip" in reject["reason"]
    again = cli("ingest", str(folder), "--store", str(tmp_path / "s"), "-q")
    assert again.returncode == 1  # still damaged: named again, the good file not re-read
    assert "1 already in the store" in again.stdout
