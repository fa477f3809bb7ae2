"""The README's demo, as `make demo` runs it: the bundled samples answer its two questions."""

from __future__ import annotations

import re
from pathlib import Path

from s3sleuth import ingest, query
from tests.conftest import REPO, SAMPLES


def _makefile_query() -> str:
    makefile = (REPO / "Makefile").read_text()
    match = re.search(r'query --store \$\(DEMO_STORE\) \\\n\s*"(.*?)"', makefile, re.S)
    assert match, "the demo query moved"
    return re.sub(r"\\\n\s*", "", match.group(1))


def test_the_demo_finds_the_denied_transfer_family_upload(tmp_path: Path) -> None:
    ingest([str(SAMPLES)], tmp_path / "demo")
    rows = query(_makefile_query(), tmp_path / "demo").to_pylist()
    assert rows[0] == {
        "role": "Transfer-Family-Role",
        "operation": "REST.PUT.OBJECT",
        "key": "test.py",
        "httpstatus": "403",
        "n": 18,
    }


def test_the_demo_shows_the_move_to_the_gateway_endpoint(tmp_path: Path) -> None:
    ingest([str(SAMPLES)], tmp_path / "demo")
    rows = query(
        "SELECT remote_ip, min(time) AS first_seen, max(time) AS last_seen "
        "FROM access_log WHERE requester LIKE '%reports-ec2%' GROUP BY 1 ORDER BY 2",
        tmp_path / "demo",
    ).to_pylist()
    assert [r["remote_ip"] for r in rows] == ["54.240.197.23", "10.0.1.179"]
    assert rows[0]["last_seen"] < rows[1]["first_seen"]
