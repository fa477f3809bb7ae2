"""The JSON Lines fast path gives exactly the rows of the record-by-record path."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3sleuth import ingest, query, synth
from s3sleuth.parse import columnar, parse_line, render_line
from s3sleuth.parse.record import to_record

KEYS = [
    "plain/key.txt", "with space/ü.csv", "a+b=c*d!.bin", "100%.txt", "-", None, "q?x#y&z",
    "tab\there", "日本/データ.json", "year=2024/x=1.parquet", "~user/(copy) [1].txt",
]  # fmt: skip


def _records(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 7, 2, tzinfo=UTC)
    out = []
    for i in range(count):
        row = synth.record(rng, start + timedelta(seconds=i), field_count=27)
        row = parse_line(render_line(row).encode())
        row["key"] = KEYS[i % len(KEYS)]
        if i % 3 == 0:  # keys of the operations S3 logs encoded once
            row["operation"] = ("BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT")[i % 2]
        row["acl_required"] = "Yes" if i % 7 == 0 else None
        out.append(to_record(row, nulls=bool(i % 2), millis=i % 1000))
    return out


def _rows(path: Path, store: Path) -> list[dict[str, Any]]:
    ingest([str(path)], store, kind="sal-json")
    return query("SELECT * FROM access_log ORDER BY source_line", store).to_pylist()


def _both(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    path = tmp_path / "records.jsonl"
    path.write_text(text)
    fast = _rows(path, tmp_path / "fast")

    def never(*args: object) -> pa.Table:
        raise columnar.NotFast("forced")

    monkeypatch.setattr(columnar, "rows", never)
    slow = _rows(path, tmp_path / "slow")
    return fast, slow


def test_fast_and_record_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(500, seed=1)
    text = "".join(json.dumps(r) + ("\n\n" if i == 3 else "\n") for i, r in enumerate(records))
    assert columnar.rows(text.encode(), "f", 0).num_rows == 500  # not declined
    fast, slow = _both(tmp_path, text, monkeypatch)
    assert len(fast) == 500 and fast == slow
    assert {r["key_raw"] for r in fast} >= {"a%252Bb%253Dc%252Ad%2521.bin", "100%2525.txt"}
    assert [r["source_line"] for r in fast] == list(range(1, 501))


def test_the_fast_path_declines_what_it_cannot_type_exactly() -> None:
    base = _records(1, seed=2)[0]
    for changed in (
        {"http_status": "200"},  # a number as a string
        {"surprise": 1},  # an unknown key: extra_fields
        {"request_time": "[02/Jul/2026:14:07:25 +0000]"},
        {"request_time": None},
        {"acl_required": "maybe"},
        {"bytes_sent_size": -1},
        {"bucket_name": None},
    ):
        line = json.dumps({**base, **changed}).encode() + b"\n"
        with pytest.raises(columnar.NotFast):
            columnar.rows(line, "f", 0)
    assert columnar.rows(json.dumps(base).encode(), "f", 0).num_rows == 1


def test_a_declined_block_is_read_record_by_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _records(40, seed=3)
    records[5]["http_status"] = str(records[5]["http_status"])
    records[9]["future_key"] = {"nested": True}
    lines = [json.dumps(r) for r in records]
    lines[20] = '{"broken":'
    fast, slow = _both(tmp_path, "\n".join(lines) + "\n", monkeypatch)
    assert fast == slow and len(fast) == 39
    assert json.loads(fast[9]["extra_fields"]) == {"future_key": {"nested": True}}


def test_is_json_lines() -> None:
    assert columnar.is_json_lines(b'{"bucket_name": "b"}\n{"bucket_name": "c"}')
    assert not columnar.is_json_lines(b'{\n  "events": []\n}')
    assert not columnar.is_json_lines(b'{"events": [{"message": "{}"}]}\n')
    assert not columnar.is_json_lines(b'{"messageType": "DATA_MESSAGE"}')


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=12), max_size=8))
def test_percent_encode_is_urllib_quote(values: list[str]) -> None:
    from urllib.parse import quote

    from s3sleuth.parse.record import S3_SAFE

    array = pa.array(["skipped", *values])[1:]  # a slice: an offset into the buffers
    for safe, table in (("/~", columnar._CLIENT_SAFE), (S3_SAFE, columnar._S3_SAFE)):
        got = columnar.percent_encode(array, table).to_pylist()
        assert got == [quote(v, safe=safe) for v in values]


def test_parquet_batches_typed_as_the_record_path_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    records = _records(300, seed=4)
    table = pa.Table.from_pylist(records)
    times = pa.array([r["request_time"].rstrip("Z") for r in records]).cast(pa.timestamp("ms"))
    table = table.set_column(table.column_names.index("request_time"), "request_time", times)
    path = tmp_path / "vended.parquet"
    pq.write_table(table, path, row_group_size=128)
    assert columnar.typed(pq.read_table(path), "f", 0, "parquet").num_rows == 300  # not declined
    fast = _rows(path, tmp_path / "fast")

    def never(*args: object) -> pa.Table:
        raise columnar.NotFast("forced")

    monkeypatch.setattr(columnar, "typed", never)
    slow = _rows(path, tmp_path / "slow")
    assert len(fast) == 300 and fast == slow
    assert {r["delivery"] for r in fast} == {"parquet"}
