"""s3sleuth: turn Amazon S3 server access logs into answers.

The library comes first; every CLI command is a thin wrapper over one of these calls.
"""

from s3sleuth.errors import S3SleuthError
from s3sleuth.ingest import IngestResult, ingest
from s3sleuth.parse import LineRejected, parse_line, render_line
from s3sleuth.query import query

__version__ = "0.1.0"

__all__ = [
    "IngestResult",
    "LineRejected",
    "S3SleuthError",
    "__version__",
    "ingest",
    "parse_line",
    "query",
    "render_line",
]
