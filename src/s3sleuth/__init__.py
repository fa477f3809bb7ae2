"""s3sleuth: turn Amazon S3 server access logs into answers.

The library comes first; every CLI command is one of these calls plus rendering:

    import s3sleuth
    with s3sleuth.open("demo") as store:          # one session, one DuckDB connection
        store.ingest("logs/")
        for finding in store.denied(since="7d"):
            print(finding.summary, finding.policy_statement)
        table = store.query("SELECT count(*) FROM access_log")   # Athena SQL -> Arrow

Names are imported on first use, so a process that only parses (a Spark task) does not load
DuckDB or the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "open": "s3sleuth.session",
    "Store": "s3sleuth.session",
    "query": "s3sleuth.session",
    "ingest": "s3sleuth.pipeline.local",
    "IngestResult": "s3sleuth.pipeline.result",
    "Result": "s3sleuth.diagnose.result",
    "Row": "s3sleuth.diagnose.result",
    "Finding": "s3sleuth.diagnose.denied",
    "NetworkReport": "s3sleuth.diagnose.network",
    "Summary": "s3sleuth.reports.summary",
    "Window": "s3sleuth.window",
    "TransferWindow": "s3sleuth.views.joins",
    "LineRejected": "s3sleuth.parse.line",
    "parse_line": "s3sleuth.parse.line",
    "render_line": "s3sleuth.parse.render",
    "S3SleuthError": "s3sleuth.errors",
    "UsageError": "s3sleuth.errors",
    "SourceError": "s3sleuth.errors",
    "QueryError": "s3sleuth.errors",
    "StoreError": "s3sleuth.errors",
    "MissingExtraError": "s3sleuth.errors",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from s3sleuth.diagnose.denied import Finding as Finding
    from s3sleuth.diagnose.network import NetworkReport as NetworkReport
    from s3sleuth.diagnose.result import Result as Result
    from s3sleuth.diagnose.result import Row as Row
    from s3sleuth.errors import MissingExtraError as MissingExtraError
    from s3sleuth.errors import QueryError as QueryError
    from s3sleuth.errors import S3SleuthError as S3SleuthError
    from s3sleuth.errors import SourceError as SourceError
    from s3sleuth.errors import StoreError as StoreError
    from s3sleuth.errors import UsageError as UsageError
    from s3sleuth.parse.line import LineRejected as LineRejected
    from s3sleuth.parse.line import parse_line as parse_line
    from s3sleuth.parse.render import render_line as render_line
    from s3sleuth.pipeline.local import ingest as ingest
    from s3sleuth.pipeline.result import IngestResult as IngestResult
    from s3sleuth.reports.summary import Summary as Summary
    from s3sleuth.session import Store as Store
    from s3sleuth.session import open as open
    from s3sleuth.session import query as query
    from s3sleuth.views.joins import TransferWindow as TransferWindow
    from s3sleuth.window import Window as Window


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 's3sleuth' has no attribute {name!r}")
