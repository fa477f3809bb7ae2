"""s3sleuth: turn Amazon S3 server access logs into answers.

The library comes first; every CLI command is a thin wrapper over one of these calls. They are
imported on first use, so a process that only parses (a Spark task) does not load DuckDB or the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "IngestResult": "s3sleuth.pipeline",
    "ingest": "s3sleuth.pipeline",
    "query": "s3sleuth.sql.run",
    "LineRejected": "s3sleuth.parse.line",
    "parse_line": "s3sleuth.parse.line",
    "render_line": "s3sleuth.parse.render",
    "S3SleuthError": "s3sleuth.errors",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from s3sleuth.errors import S3SleuthError as S3SleuthError
    from s3sleuth.parse.line import LineRejected as LineRejected
    from s3sleuth.parse.line import parse_line as parse_line
    from s3sleuth.parse.render import render_line as render_line
    from s3sleuth.pipeline import IngestResult as IngestResult
    from s3sleuth.pipeline import ingest as ingest
    from s3sleuth.sql.run import query as query


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 's3sleuth' has no attribute {name!r}")
