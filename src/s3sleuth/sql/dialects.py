"""The SQL dialects s3sleuth reads and writes."""

DIALECTS = ("athena", "duckdb", "spark")
