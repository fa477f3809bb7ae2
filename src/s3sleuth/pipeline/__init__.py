"""Ingest: sources -> parse -> store, idempotent and crash-safe.

`core` is what every ingest shares (the store's lock and recovery, planning, admission, the
writer with its enrichment, the event files, the catalog); `local` runs the access logs
through parsing threads on this machine, and `s3sleuth.spark.ingest` as Spark tasks.
"""
