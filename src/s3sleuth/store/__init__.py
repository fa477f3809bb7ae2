"""The store: date-partitioned Parquet, an ingest manifest, rejects, and a DuckDB catalog."""

from s3sleuth.store.store import Store, default_root

__all__ = ["Store", "default_root"]
