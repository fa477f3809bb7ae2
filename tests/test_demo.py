"""`s3sleuth demo` (what `make demo` runs) tells both stories from the bundled samples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_make_demo_runs_the_demo_command() -> None:
    assert "s3sleuth demo --store" in (REPO / "Makefile").read_text()


def test_the_demo_tells_both_stories(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "s3sleuth", "demo", "--store", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    out = run.stdout
    assert (
        "role Transfer-Family-Role (Transfer Family user test1 on server "
        "s-aacfeafc8f2840b9a) lacks s3:PutObject on "
        "arn:aws:s3:::partner-uploads/test.py"
    ) in out
    assert "switched to a VPC endpoint at 2024-02-01 03:00:30" in out
    # what the Transfer Family and CloudTrail samples add
    assert 'CLOSE /partner-uploads/test.py "Access denied"' in out
    assert "CloudTrail: no identity-based policy allows it" in out
    assert "confirmed via vpce-0a1b2c3d4e5f67890" in out
    assert "transfer-family" in out and "console" in out
