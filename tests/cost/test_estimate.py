"""`cost` on a hand-made log whose tiers, bytes and dollars are worked out here, by hand.

Prices are round (`PRICES`): $10 per 1,000 tier-1 requests, $1 per 1,000 tier-2, $2 per GiB out.
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
from s3sleuth.parse.render import render_line
from s3sleuth.views.billing import tier_sql
from tests.conftest import s3sleuth as run

GIB = 2**30
PUBLIC, PRIVATE, AWS_OWNED = "203.0.113.5", "10.0.0.5", "52.95.1.1"
PRICES = {
    "date": "2030-01-01",
    "region": "test-1",
    "tier1_per_1000": 10,
    "tier2_per_1000": 1,
    "internet_egress_per_gb": 2,
}
# operation, status, error, bytes sent, address, query string: one request each.
REQUESTS = [
    ("REST.GET.BUCKET", 200, None, 1000, PUBLIC, "?list-type=2"),  # tier 1: a LIST
    ("REST.HEAD.OBJECT", 200, None, 0, PUBLIC, ""),  # tier 2
    ("REST.DELETE.OBJECT", 204, None, 0, PUBLIC, ""),  # free
    ("REST.GET.OBJECT", 503, "SlowDown", 300, PUBLIC, ""),  # unbilled: its bytes are free too
    ("REST.GET.OBJECT", 200, None, 2 * GIB, PRIVATE, ""),  # tier 2, free transfer
    ("REST.GET.OBJECT", 200, None, GIB, PUBLIC, ""),  # tier 2, 1 GiB to the internet
    ("REST.GET.OBJECT", 200, None, GIB, AWS_OWNED, ""),  # internet unless ip-ranges says AWS
    ("S3.EXPIRE.OBJECT", 200, None, 0, None, ""),  # lifecycle: free
    ("REST.GET.OBJECT", 200, None, GIB // 2, PUBLIC, "?x-amz-request-payer=requester"),
]


def _line(i: int, op: str, status: int, error: str | None, sent: int, ip: str | None,
          query: str) -> str:  # fmt: skip
    rng = random.Random(i)
    method = "GET" if "GET" in op else op.split(".")[1]
    when = datetime(2024, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=i)
    lifecycle = op.startswith("S3.")
    values = synth.record(
        rng,
        when,
        bucket="b",
        ip=ip,
        requester="AmazonS3" if lifecycle else "arn:aws:iam::111122223333:user/alice",
        operation=op,
        key_raw=None if op == "REST.GET.BUCKET" else f"data/x/{i}.bin",
        request_uri=None if lifecycle else f"{method} /data/x/{i}.bin{query} HTTP/1.1",
        http_status=status,
        error_code=error,
        bytes_sent=sent,
        object_size=sent or None,
        remote_ip=ip,
        user_agent="aws-cli/2.15.30",
        field_count=27,
    )
    return render_line(values)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cost")
    log = folder / "cost.log"
    log.write_text("".join(_line(i, *r) + "\n" for i, r in enumerate(REQUESTS)))
    (folder / "prices.json").write_text(json.dumps(PRICES))
    ranges = {"prefixes": [{"ip_prefix": "52.95.0.0/16", "region": "us-east-1",
                            "service": "AMAZON"}], "ipv6_prefixes": []}  # fmt: skip
    (folder / "ip-ranges.json").write_text(json.dumps(ranges))
    s3sleuth.open(folder / "store", create=True).ingest(str(log))
    return folder / "store"


def cost(store: Path, **kw: Any) -> list[dict[str, Any]]:
    with s3sleuth.open(store) as opened:
        return opened.cost(prices=store.parent / "prices.json", **kw).to_dicts()


def test_tiers_bytes_and_dollars_by_hand(store: Path) -> None:
    owner, requester = cost(store)
    assert (owner["bucket"], owner["payer"], requester["payer"]) == ("b", "owner", "requester")
    assert owner["requests"] == 8
    counts = [owner[f"requests_{t}"] for t in ("tier1", "tier2", "free", "unbilled")]
    assert counts == [1, 4, 2, 1]  # LIST; HEAD + three GETs; DELETE + EXPIRE; the 503
    assert owner["bytes_out_internet"] == 1000 + GIB + GIB  # the AWS-owned address counts
    assert owner["bytes_out_free"] == 300 + 2 * GIB
    assert owner["usd_requests"] == pytest.approx(1 / 1000 * 10 + 4 / 1000 * 1)  # 0.014
    assert owner["usd_transfer"] == pytest.approx(round((2 * GIB + 1000) / GIB * 2, 6))
    assert owner["usd_total"] == pytest.approx(0.014 + 4.000002)
    assert owner["price_date"] == "2030-01-01"
    assert (requester["requests_tier2"], requester["bytes_out_internet"]) == (1, GIB // 2)
    assert requester["usd_total"] == pytest.approx(0.001 + 1.0)


def test_aws_addresses_are_not_the_internet_with_ip_ranges(store: Path) -> None:
    owner, _ = cost(store, ip_ranges=store.parent / "ip-ranges.json")
    assert owner["bytes_out_internet"] == 1000 + GIB
    assert owner["bytes_out_free"] == 300 + 2 * GIB + GIB
    assert owner["usd_total"] == pytest.approx(0.014 + 2.000002)


def test_rows_are_sorted_by_dollars_and_group_as_asked(store: Path) -> None:
    by_op = cost(store, by="operation")
    assert [r["usd_total"] for r in by_op] == sorted((r["usd_total"] for r in by_op), reverse=True)
    assert by_op[0]["operation"] == "REST.GET.OBJECT"
    prefixes = cost(store, by="prefix", depth=2)
    assert {r["prefix"] for r in prefixes} == {"data/x/", None}  # the LIST names no key
    network = {r["network_path"]: r for r in cost(store, by="network") if r["payer"] == "owner"}
    assert network["private"]["bytes_out_internet"] == 0


def test_requester_pays_bucket_moves_the_cost(store: Path) -> None:
    (row,) = cost(store, requester_pays=["b"])
    assert row["payer"] == "requester" and row["requests"] == 9


def test_built_in_prices_are_dated_and_stated(store: Path) -> None:
    with s3sleuth.open(store) as opened:
        report = opened.cost()
    assert report.prices.region == "us-east-1" and report.prices.date
    assert report[0]["price_date"] == report.prices.date
    assert any("--ip-ranges" in note for note in report.notes)
    assert any("free allowance" in note for note in report.notes)


@pytest.mark.parametrize(
    ("operation", "status", "error", "requester", "tier"),
    [
        ("REST.PUT.OBJECT", 200, None, "u", "tier1"),
        ("REST.COPY.OBJECT", 200, None, "u", "tier1"),
        ("REST.COPY.OBJECT_GET", 200, None, "u", "free"),  # the copy is billed on its PUT side
        ("REST.POST.UPLOADS", 200, None, "u", "tier1"),
        ("REST.GET.BUCKETVERSIONS", 200, None, "u", "tier1"),
        ("REST.GET.OBJECT", 404, "NoSuchKey", "u", "tier2"),  # a 4xx is billed
        ("WEBSITE.GET.OBJECT", 200, None, None, "tier2"),
        ("REST.GET.ACL", 200, None, "u", "tier2"),
        ("BATCH.DELETE.OBJECT", 204, None, "u", "free"),
        ("S3.TRANSITION_SIA.OBJECT", 200, None, "AmazonS3", "free"),
        ("REST.GET.OBJECT", 500, "InternalError", "u", "unbilled"),
        ("REST.GET.OBJECT", 400, "ExpiredToken", "u", "unbilled"),
        ("REST.GET.OBJECT", 403, "AccessDenied", None, "unbilled"),  # from outside: free
        ("REST.GET.OBJECT", 403, "AccessDenied", "u", "tier2"),  # may be the owner's own
    ],
)
def test_billing_classes(
    operation: str, status: int, error: str | None, requester: str | None, tier: str
) -> None:
    import duckdb

    from s3sleuth.sql.translate import translate

    (sql,) = translate(f"SELECT {tier_sql()} AS tier FROM access_log", "duckdb")
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE access_log AS SELECT ?::varchar AS operation, ?::integer AS http_status, "
        "?::varchar AS error_code, ?::varchar AS requester",
        [operation, status, error, requester],
    )
    assert con.execute(sql).fetchone() == (tier,)


def test_cli_json_is_the_library_answer_and_notes_go_to_stderr(store: Path) -> None:
    prices = str(store.parent / "prices.json")
    done = run("cost", "--store", str(store), "--prices", prices, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == cost(store)
    assert "note: prices: test-1 of 2030-01-01" in done.stderr
    piped = run("cost", "--store", str(store), "--by", "principal", "--prices", prices)
    assert piped.stdout.splitlines()[0].split("\t")[:2] == ["principal_name", "requests"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read it"),
        ('{"date": "x", "region": "r", "tier1_per_1000": 1, "tier2_per_1000": 1}',
         "lacks internet_egress_per_gb"),
        ('{"date": "x", "region": "r", "tier1_per_1000": "1", "tier2_per_1000": 1, '
         '"internet_egress_per_gb": 1}', "tier1_per_1000 not a price"),
    ],
)  # fmt: skip
def test_a_bad_price_file_is_a_one_line_error(
    store: Path, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text(content)
    done = run("cost", "--store", str(store), "--prices", str(bad))
    assert done.returncode == 2 and message in done.stderr
    assert "--prices" in done.stderr and "Traceback" not in done.stderr


def test_two_groupings_at_once_split_the_same_totals(store: Path) -> None:
    pairs = cost(store, by="principal,bucket")
    assert {(r["principal_name"], r["bucket"]) for r in pairs} == {
        ("alice", "b"),
        ("AmazonS3", "b"),
    }
    assert sum(r["usd_total"] for r in pairs) == pytest.approx(
        sum(r["usd_total"] for r in cost(store))
    )
