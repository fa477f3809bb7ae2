"""`s3sleuth audit TOPIC`: the questions people ask of their access logs, one SQL each.

Each topic is one function over an engine and a window, returning a `Result` whose rows carry
the keys its documentation names; the Athena SQL behind it is the Result's `sql` (shown with
`audit --sql`), so it runs on every engine.
"""

from s3sleuth.audit.topics import TOPICS, audit

__all__ = ["TOPICS", "audit"]
