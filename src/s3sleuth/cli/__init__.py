"""The `s3sleuth` command: thin wrappers, one library call each, plus rendering.

`base` holds what every command shares; the commands register themselves on `cli` when their
modules are imported here.

Exit codes: 0 success, 1 failure, 2 bad argument or input, 3 a check found something
(`network --expect-private`), 130 interrupted.
"""

from __future__ import annotations

from s3sleuth.cli import athena, diagnoses, reports, storage
from s3sleuth.cli.base import cli


def main() -> None:
    cli(prog_name="s3sleuth")


__all__ = ["athena", "cli", "diagnoses", "main", "reports", "storage"]
