"""The `s3sleuth` command: thin wrappers, one library call each, plus rendering.

`base` holds what every command shares and the group, which imports a command's module
(`storage`, `diagnoses`, `reports`, `athena`) when that command is asked for.

Exit codes: 0 success, 1 failure, 2 bad argument or input, 3 a check found something
(`network --expect-private`), 130 interrupted.
"""

from __future__ import annotations

from s3sleuth.cli.base import cli


def main() -> None:
    cli(prog_name="s3sleuth")


__all__ = ["cli", "main"]
