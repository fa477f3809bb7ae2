"""`s3sleuth network` and `s3sleuth clients` on a small log of our own (logs/network.log)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from s3sleuth import ingest
from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.ip_ranges import IpRanges
from s3sleuth.diagnose.network import network
from s3sleuth.output import jsonable
from s3sleuth.window import Window
from tests.conftest import engine, s3sleuth

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("network") / "store"
    ingest([str(HERE / "logs" / "network.log")], path)
    return path


def golden(name: str, answer: Any) -> None:
    path = HERE / "golden" / name
    answer = jsonable(answer)
    if os.environ.get("S3SLEUTH_REGEN_GOLDEN"):
        path.write_text(json.dumps(answer, indent=2) + "\n")
    assert answer == json.loads(path.read_text())


def verdicts(store: Path, **kw: Any) -> dict[str, str]:
    return {r["principal_name"]: r["verdict"] for r in network(engine(store), **kw).rows}


def test_golden(store: Path) -> None:
    golden("network.json", network(engine(store)).rows)
    golden("network_by_ip.json", network(engine(store), by="ip").rows)
    golden("clients.json", clients(engine(store)).to_dicts())


def test_verdicts(store: Path) -> None:
    v = verdicts(store)
    assert v["batch"].endswith("switched to a VPC endpoint at 2024-03-01 09:20:00")
    assert v["webapp"] == "all requests came over the internet (public source)"
    assert v["private-only"] == (
        "all requests came through a VPC endpoint (private source) (an interface endpoint by name)"
    )
    assert v["AmazonS3"] == "no client address: AWS-internal requests"


def test_one_row_per_role_not_per_instance(store: Path) -> None:
    (row,) = [r for r in network(engine(store)).rows if r["principal_name"] == "private-only"]
    assert row["principal_arn"] == "arn:aws:iam::111122223333:role/private-only"
    assert (row["session_total"], row["requests"]) == (2, 5)


def test_transfer_family_traffic_is_the_service_not_the_internet(store: Path) -> None:
    v = verdicts(store)
    assert v["Transfer-Family-Role"] == (
        "all requests came from the AWS Transfer Family service (public S3 endpoint)"
    )


def test_a_window_before_the_switch_sees_only_the_internet(store: Path) -> None:
    v = verdicts(store, window=Window.parse(None, "2024-03-01T09:15", "acme-data"))
    assert v["batch"] == "all requests came over the internet (public source)"


def test_by_ip_with_aws_ranges(store: Path, tmp_path: Path) -> None:
    ranges = tmp_path / "ip-ranges.json"
    ranges.write_text(
        json.dumps(
            {
                "prefixes": [
                    {"ip_prefix": "52.192.0.0/11", "region": "ap-northeast-1", "service": "AMAZON"},
                    {"ip_prefix": "52.192.0.0/15", "region": "ap-northeast-1", "service": "EC2"},
                ],
                "ipv6_prefixes": [],
            }
        )
    )
    rows = {
        r["remote_ip"]: r
        for r in network(engine(store), by="ip", ip_ranges=IpRanges.load(ranges)).rows
    }
    assert (rows["52.192.12.142"]["aws_service"], rows["52.192.12.142"]["aws_region"]) == (
        "EC2",
        "ap-northeast-1",
    )
    assert rows["198.51.100.7"]["aws_service"] is None
    assert rows["10.0.1.179"]["network_path"] == "private"
    tagged = {
        r["principal_name"]: r["aws_services"]
        for r in network(engine(store), ip_ranges=IpRanges.load(ranges)).rows
    }
    assert tagged["batch"] == ["EC2 ap-northeast-1"] and tagged["webapp"] == []
    assert rows["fd12:3456:789a::1"]["network_path"] == "private"


def wide(*args: str) -> subprocess.CompletedProcess[str]:
    return s3sleuth(*args, env={**os.environ, "COLUMNS": "200"})


def test_expect_private_exits_3_and_lists_the_public_requests(store: Path) -> None:
    run = wide("network", "--store", str(store), "--expect-private", "--format", "json")
    assert run.returncode == 3
    assert run.stderr.strip() == "9 requests came from public addresses"
    offending = json.loads(run.stdout)
    assert {r["remote_ip"] for r in offending} == {"52.192.12.142", "198.51.100.7", "3.225.107.41"}
    quiet = wide(
        "network",
        "--store",
        str(store),
        "--expect-private",
        "--since",
        "2024-03-01T09:20",
        "--bucket",
        "acme-data",
    )
    assert quiet.returncode == 0, quiet.stderr


def test_clients_tell_console_from_transfer_family(store: Path) -> None:
    families = {(r["client"], r["principal_name"]) for r in clients(engine(store))}
    assert ("console", "webapp") in families
    assert ("transfer-family", "Transfer-Family-Role") in families
    assert ("aws-cli", "batch") in families and ("sdk-python", "private-only") in families


def test_bad_ip_ranges_file_is_a_one_line_error(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    run = wide("network", "--store", str(store), "--ip-ranges", str(bad))
    assert run.returncode == 2 and run.stderr.startswith("error: cannot read AWS ip ranges")
