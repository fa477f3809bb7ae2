"""Parsing S3 server access log lines: a reference parser and a vectorized fast path."""

from s3sleuth.parse.line import LineRejected, parse_line
from s3sleuth.parse.render import render_line

__all__ = ["LineRejected", "parse_line", "render_line"]
