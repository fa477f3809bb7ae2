"""`usage` on a hand-made log, and S3 Inventory reports that list an object nobody read."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import s3sleuth
from s3sleuth import synth
from s3sleuth.cost.inventory import read
from s3sleuth.errors import SourceError
from s3sleuth.parse.render import render_line
from tests.conftest import s3sleuth as run

ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:iam::111122223333:user/bob"
# operation, key, status, bytes sent, requester, address
REQUESTS = [
    ("REST.GET.OBJECT", "data/a.csv", 200, 100, ALICE, "198.51.100.1"),
    ("REST.GET.OBJECT", "data/a.csv", 206, 50, BOB, "198.51.100.2"),  # a ranged read counts
    ("REST.GET.OBJECT", "data/b.csv", 404, 243, ALICE, "198.51.100.1"),  # not a download
    ("REST.HEAD.OBJECT", "data/b.csv", 200, 0, ALICE, "198.51.100.1"),  # nor is a HEAD
    ("REST.GET.OBJECT", "logs/x.txt", 200, 10, "-", "203.0.113.9"),
    ("REST.PUT.OBJECT", "data/c.csv", 200, 0, ALICE, "198.51.100.1"),
]
# bucket, key, size, storage class: c.csv and the old file were never read.
INVENTORY = [
    ("d", "data/a.csv", 100, "STANDARD"),
    ("d", "data/c.csv", 5000, "STANDARD_IA"),
    ("d", "cold/old file.bin", 7000, "GLACIER_IR"),
]


def _line(i: int, op: str, key: str, status: int, sent: int, who: str, ip: str) -> str:
    method = op.split(".")[1]
    values = synth.record(
        random.Random(i), datetime(2024, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=i),
        bucket="d", ip=ip, requester=who, operation=op, key_raw=key,
        request_uri=f"{method} /{key} HTTP/1.1", http_status=status,
        error_code="NoSuchKey" if status == 404 else None, bytes_sent=sent, field_count=27,
    )  # fmt: skip
    return render_line(values)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("usage")
    log = folder / "usage.log"
    log.write_text("".join(_line(i, *r) + "\n" for i, r in enumerate(REQUESTS)))
    s3sleuth.open(folder / "store", create=True).ingest(str(log))
    return folder / "store"


def manifest_report(folder: Path) -> Path:
    """A CSV report as S3 Inventory lays it out: keys URL-encoded, no header, gzipped."""
    data = folder / "d" / "inv" / "data" / "0f3c.csv.gz"
    data.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    for bucket, key, size, cls in INVENTORY:
        csv.writer(text, quoting=csv.QUOTE_ALL).writerow(
            [bucket, key.replace(" ", "+"), "false", str(size), cls]
        )
    data.write_bytes(gzip.compress(text.getvalue().encode()))
    manifest = folder / "d" / "inv" / "2024-03-02T01-00Z" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({
        "sourceBucket": "d", "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, IsLatest, Size, StorageClass",
        "files": [{"key": "d/inv/data/0f3c.csv.gz", "size": 1, "MD5checksum": "x"}],
    }))  # fmt: skip
    return manifest


def parquet_report(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inventory.parquet"
    columns = list(zip(*INVENTORY, strict=True))
    pq.write_table(pa.table({"bucket": columns[0], "key": columns[1], "size": columns[2],
                             "storage_class": columns[3]}), path)  # fmt: skip
    return path


def usage(store: Path, **kw: Any) -> list[dict[str, Any]]:
    with s3sleuth.open(store) as opened:
        return opened.usage(**kw).to_dicts()


def test_downloads_per_key(store: Path) -> None:
    first, second = usage(store, by="key")
    assert (first["key"], first["downloads"], first["principals"]) == ("data/a.csv", 2, 2)
    assert (first["addresses"], first["bytes_sent"]) == (2, 150)
    assert first["first_access"] < first["last_access"]
    assert (second["key"], second["downloads"], second["principals"]) == ("logs/x.txt", 1, 1)


def test_prefixes_principals_and_clients(store: Path) -> None:
    assert [(r["prefix"], r["downloads"]) for r in usage(store)] == [("data/", 2), ("logs/", 1)]
    principals = {r["principal_name"]: r["downloads"] for r in usage(store, by="principal")}
    assert principals == {"alice": 1, "bob": 1, None: 1}


@pytest.mark.parametrize("report", [manifest_report, parquet_report])
def test_inventory_adds_the_objects_nobody_read(store: Path, tmp_path: Path, report: Any) -> None:
    found = usage(store, by="key", inventory=[report(tmp_path)])
    cold = [r for r in found if r["last_access"] is None]
    assert [(r["key"], r["size"], r["storage_class"]) for r in cold] == [
        ("cold/old file.bin", 7000, "GLACIER_IR"),  # decoded from `cold/old+file.bin`
        ("data/c.csv", 5000, "STANDARD_IA"),
    ]
    assert all(r["downloads"] == 0 for r in cold)
    by_prefix = {r["prefix"]: r for r in usage(store, inventory=[report(tmp_path / "p")])}
    assert (by_prefix["data/"]["objects"], by_prefix["data/"]["objects_never_read"]) == (2, 1)
    assert by_prefix["data/"]["bytes_never_read"] == 5000
    assert (by_prefix["cold/"]["downloads"], by_prefix["cold/"]["bytes_never_read"]) == (0, 7000)


def test_inventory_csv_without_a_manifest_needs_the_default_columns(tmp_path: Path) -> None:
    plain = tmp_path / "data.csv"
    plain.write_text('"d","a%2Bb.txt","12","2024-01-01T00:00:00.000Z","STANDARD"\n')
    assert read([plain]).to_pylist() == [
        {"bucket": "d", "key": "a+b.txt", "size": 12, "storage_class": "STANDARD"}
    ]
    odd = tmp_path / "versions.csv"
    odd.write_text('"d","k","v1","true","false","12"\n')
    with pytest.raises(SourceError, match="give the manifest"):
        read([odd])


def test_cli_usage_json_and_errors(store: Path, tmp_path: Path) -> None:
    done = run("usage", "--store", str(store), "--by", "key", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == usage(store, by="key")
    wrong = run("usage", "--store", str(store), "--by", "client",
                "--inventory", str(parquet_report(tmp_path)))  # fmt: skip
    assert wrong.returncode == 2 and "--inventory works with --by key or prefix" in wrong.stderr
