"""Every table the diagnoses and users query, defined once, in Athena SQL.

An engine provides the base tables (`BASE_TABLES`: what the store holds) and materialises
`views()` over them, in order: DuckDB as views in the store's catalog, Spark as temporary
views, Athena as common table expressions. Nothing here depends on an engine.

- `access_log`: typed and clean; `-` is NULL (Bytes Sent `-` is 0), with the enrichment.
- `rejects`: every line that did not parse, with its source, line number and reason.
- `transfer_events`, `cloudtrail_events`: each event once (de-duplicated on `event_id`;
  `*_stored` has every copy as ingested), and `transfer_matches`, `cloudtrail_matches`: their
  joins to `access_log` (see views.joins).
- `s3_access_logs_db.mybucket_logs`: the AWS-documented Athena table (see views.aws_table).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from s3sleuth.events.tables import EVENT_TABLES, unique_events_sql
from s3sleuth.fields import REJECT_COLUMNS, column_types
from s3sleuth.views import aws_table
from s3sleuth.views.enrich import ENRICHMENTS, ON_READ, STORED_NAMES, select_sql
from s3sleuth.views.joins import match_views


@dataclass(frozen=True)
class View:
    name: str
    athena: str  # one SELECT, in Athena (Trino) SQL
    schema: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def stored_access_log(enriched: bool = True) -> dict[str, str]:
    """Columns of `access_log_stored`: the fields, and the stored enrichment when `enriched`."""
    return column_types() | ({name: "VARCHAR" for name in STORED_NAMES} if enriched else {})


def base_tables(enriched: bool = True) -> dict[str, dict[str, str]]:
    """What an engine must provide: table name -> column types (DuckDB names)."""
    return {
        "access_log_stored": stored_access_log(enriched),
        "rejects": REJECT_COLUMNS,
        **{f"{name}_stored": columns for name, columns in EVENT_TABLES.items()},
    }


@cache
def views(enriched: bool = True) -> tuple[View, ...]:
    """The views, in dependency order. `enriched`: the stored access log carries the stored
    enrichment columns (a store); otherwise every rule runs on read (Athena's raw logs)."""
    rules = ON_READ if enriched else ENRICHMENTS
    return (
        View("access_log", select_sql(rules, "access_log_stored")),
        *(View(name, unique_events_sql(name)) for name in EVENT_TABLES),
        *(View(name, sql) for name, sql in match_views().items()),
        View(aws_table.TABLE, aws_table.select_sql(), schema=aws_table.SCHEMA),
        View(aws_table.TYPED_TABLE, aws_table.select_sql(typed_time=True), aws_table.SCHEMA),
    )


def version(enriched: bool = True) -> str:
    """A digest of every definition: a catalog built from other definitions is rebuilt."""
    text = repr((base_tables(enriched), views(enriched)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
