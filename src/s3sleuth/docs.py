"""Reference docs generated from the field table (`python -m s3sleuth.docs` rewrites them)."""

from __future__ import annotations

from pathlib import Path

from s3sleuth.events.tables import EVENT_TABLES
from s3sleuth.fields import EXTRA_COLUMNS, FIELDS, column_types
from s3sleuth.views.aws_table import columns as athena_columns
from s3sleuth.views.enrich import ENRICHMENTS

FIELDS_DOC = Path(__file__).resolve().parents[2] / "docs" / "fields.md"


def fields_markdown() -> str:
    types = column_types()
    out = [
        "# Fields",
        "",
        "Generated from `src/s3sleuth/fields.py` by `python -m s3sleuth.docs`; do not edit.",
        "",
        "## The 27 log fields",
        "",
        "The JSON key is the field's name in a record delivered through CloudWatch Logs (and"
        " its column in the S3 Tables mirror).",
        "",
        "| # | AWS name | `access_log` column | type | Athena column | JSON key | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in FIELDS:
        quoted = " Quoted on the wire." if f.quoted else ""
        out.append(
            f"| {f.position} | {f.aws_name} | `{f.name}` | {types[f.name]} | "
            f"`{f.athena}` | `{f.json_key}` | {f.doc}{quoted} |"
        )
    out += [
        "",
        "## Further `access_log` columns",
        "",
        "| column | type | meaning |",
        "| --- | --- | --- |",
    ]
    out += [f"| `{c.name}` | {c.sql_type} | {c.doc} |" for c in EXTRA_COLUMNS]
    out += [
        "",
        "## Enrichment columns of `access_log`",
        "",
        "Derived from the fields above (`src/s3sleuth/views/enrich.py`): stored as rows are "
        "written, except the four parts of the request line, split when a query names them.",
        "",
        "| column | meaning |",
        "| --- | --- |",
    ]
    out += [f"| `{e.name}` | {e.doc} |" for e in ENRICHMENTS]
    legacy = [name for name in athena_columns() if name not in {f.athena for f in FIELDS}]
    out += [
        "",
        "## `s3_access_logs_db.mybucket_logs`",
        "",
        "The AWS-documented Athena table: the Athena columns above, holding the log's own "
        "strings (`-` stays `-`, quoted fields keep their quotes, `httpstatus` is a "
        "string), plus these columns of older AWS DDLs: "
        + ", ".join(f"`{name}`" for name in legacy)
        + ".",
        "",
    ]
    for table, columns in EVENT_TABLES.items():
        out += [
            f"## `{table}`",
            "",
            "Columns (`src/s3sleuth/events/tables.py`); `event` holds the original event as JSON.",
            "",
            "| column | type |",
            "| --- | --- |",
            *(f"| `{name}` | {sql} |" for name, sql in columns.items()),
            "",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    FIELDS_DOC.parent.mkdir(exist_ok=True)
    FIELDS_DOC.write_text(fields_markdown())
    print(FIELDS_DOC)
