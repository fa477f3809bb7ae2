"""The store: date-partitioned Parquet, an ingest manifest, rejects, and a DuckDB catalog."""

from s3sleuth.store.store import StoreDir, default_root

__all__ = ["StoreDir", "default_root"]
