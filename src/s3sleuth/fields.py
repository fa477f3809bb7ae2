"""The field table: the single truth for the 27 fields of an S3 server access log line.

The parser, the vectorized fast path, the Parquet/DuckDB schema, the Athena-compatible view,
the Spark schema and the docs table are all generated from ``FIELDS``. Add a field here and
every one of them follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "int", "bigint", "time"]

SQL_TYPES: dict[Kind, str] = {
    "str": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "time": "TIMESTAMPTZ",
}


@dataclass(frozen=True)
class Field:
    """One field of a log line, in wire order."""

    position: int  # 1-based position on the wire
    name: str  # column in the `access_log` table
    aws_name: str  # name in the AWS documentation
    athena: str  # column in the AWS-documented Athena table (2026 DDL)
    kind: Kind
    doc: str
    quoted: bool = False  # written between double quotes on the wire
    dash_is_zero: bool = False  # "-" means 0 rather than "unknown" (Bytes Sent)
    athena_type: Literal["STRING", "BIGINT"] = "STRING"
    # What the field can hold (a regular expression over the whole token; `-` always fits):
    # a line whose fields do not fit is read another way, or rejected, never shifted.
    vocabulary: str | None = None
    # Its key in the JSON record of a CloudWatch Logs delivery (and the S3 Tables column),
    # when that is not `name` (format-cloudwatch.md §2.2).
    json: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    @property
    def json_key(self) -> str:
        return self.json or self.name


FIELDS: tuple[Field, ...] = (
    Field(
        1,
        "bucket_owner",
        "Bucket Owner",
        "bucketowner",
        "str",
        "Canonical user ID of the source bucket's owner.",
        json="bucket_owner_id",
    ),
    Field(
        2,
        "bucket",
        "Bucket",
        "bucket_name",
        "str",
        "Bucket the request was processed against.",
        json="bucket_name",
    ),
    Field(
        3,
        "time",
        "Time",
        "requestdatetime",
        "time",
        "Time the request was received, normalised to UTC.",
        json="request_time",
    ),
    Field(
        4, "remote_ip", "Remote IP", "remoteip", "str", "Apparent client address (IPv4 or IPv6)."
    ),
    Field(
        5,
        "requester",
        "Requester",
        "requester",
        "str",
        "Canonical user ID, IAM ARN or service principal; NULL when anonymous.",
    ),
    Field(
        6,
        "request_id",
        "Request ID",
        "requestid",
        "str",
        "S3's request id (x-amz-request-id); a UUID for batch checksum jobs.",
    ),
    Field(
        7,
        "operation",
        "Operation",
        "operation",
        "str",
        "REST.METHOD.RESOURCE, BATCH.DELETE.OBJECT, S3.ACTION.RESOURCE, ...",
    ),
    Field(
        8,
        "key",
        "Key",
        "key",
        "str",
        "Object key, decoded the way S3 encodes it; `key_raw` keeps the logged form.",
        json="key_name",
    ),
    Field(
        9,
        "request_uri",
        "Request-URI",
        "request_uri",
        "str",
        "The HTTP request line, without the surrounding quotes.",
        quoted=True,
    ),
    Field(
        10,
        "http_status",
        "HTTP status",
        "httpstatus",
        "int",
        "Numeric HTTP status of the response.",
    ),
    Field(
        11,
        "error_code",
        "Error Code",
        "errorcode",
        "str",
        "S3 error code, e.g. AccessDenied; NULL when there was no error.",
    ),
    Field(
        12,
        "bytes_sent",
        "Bytes Sent",
        "bytessent",
        "bigint",
        "Response body bytes sent; `-` on the wire means 0.",
        dash_is_zero=True,
        athena_type="BIGINT",
        json="bytes_sent_size",
    ),
    Field(
        13,
        "object_size",
        "Object Size",
        "objectsize",
        "bigint",
        "Total size of the object.",
        athena_type="BIGINT",
    ),
    Field(
        14,
        "total_time_ms",
        "Total Time",
        "totaltime",
        "int",
        "Milliseconds from request received to last response byte sent.",
        json="total_duration",
    ),
    Field(
        15,
        "turn_around_time_ms",
        "Turn-Around Time",
        "turnaroundtime",
        "int",
        "Milliseconds S3 spent processing the request.",
        json="turn_around_duration",
    ),
    Field(
        16, "referer", "Referer", "referrer", "str", "HTTP Referer header, verbatim.", quoted=True
    ),
    Field(
        17,
        "user_agent",
        "User-Agent",
        "useragent",
        "str",
        "HTTP User-Agent header, verbatim.",
        quoted=True,
    ),
    Field(18, "version_id", "Version Id", "versionid", "str", "Version ID in the request."),
    Field(19, "host_id", "Host Id", "hostid", "str", "x-amz-id-2, the extended request id."),
    Field(
        20,
        "signature_version",
        "Signature Version",
        "sigv",
        "str",
        "SigV2 or SigV4; NULL when unauthenticated.",
        vocabulary=r"SigV[24]",
    ),
    Field(
        21,
        "cipher_suite",
        "Cipher Suite",
        "ciphersuite",
        "str",
        "TLS cipher suite; NULL for plain HTTP.",
        vocabulary=r"[A-Z0-9]+(?:[-_][A-Z0-9]+)+",
    ),
    Field(
        22,
        "authentication_type",
        "Authentication Type",
        "authtype",
        "str",
        "AuthHeader or QueryString (presigned URL).",
        vocabulary=r"AuthHeader|QueryString",
    ),
    Field(
        23,
        "host_header",
        "Host Header",
        "endpoint",
        "str",
        "Endpoint used to reach S3.",
        vocabulary=r"[A-Za-z0-9._~-]+(?::[0-9]+)?|\[[0-9A-Fa-f:.]+\](?::[0-9]+)?",
    ),
    Field(
        24,
        "tls_version",
        "TLS version",
        "tlsversion",
        "str",
        "TLSv1.1, TLSv1.2 or TLSv1.3 (AWS also writes TLSV1.2).",
        vocabulary=r"TLS[vV]1(?:\.[0-9])?|TLS [0-9]+(?:\.[0-9]+)?",
    ),
    Field(
        25,
        "access_point_arn",
        "Access Point ARN",
        "accesspointarn",
        "str",
        "ARN of the access point used, if any.",
        vocabulary=r"arn:[a-z-]+:s3[a-z-]*:[a-z0-9-]*:[0-9]{12}:accesspoint/[!#-~]+",
    ),
    Field(
        26,
        "acl_required",
        "aclRequired",
        "aclrequired",
        "str",
        "Yes when an ACL was needed to authorize the request.",
        vocabulary=r"Yes",
    ),
    Field(
        27,
        "source_region",
        "Source region",
        "sourceregion",
        "str",
        "AWS Region the request came from.",
        vocabulary=r"[a-z]{2}(?:-[a-z]+)+-[0-9]+",
    ),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

MIN_FIELDS = 17  # the oldest era seen ends at User-Agent
KNOWN_FIELDS = len(FIELDS)

# The AWS-documented Athena table of the logs (format.md §6a), which the store mirrors:
# its database and table, and the Joda pattern of its `requestdatetime` strings.
ATHENA_DATABASE = "s3_access_logs_db"
ATHENA_TABLE = "mybucket_logs"
ATHENA_TIME_PATTERN = "dd/MMM/yyyy:HH:mm:ss +0000"
# The store's twin of that table with the typed time under a name no AWS column has: queries
# that parse `requestdatetime` back read it instead (sql.rewrite, views.aws_table).
ATHENA_TYPED_TABLE = f"_{ATHENA_TABLE}_typed"
TYPED_TIME = "__s3sleuth_time"

# Operations whose NULL quoted fields S3 writes as a bare `-` rather than `"-"`.
BARE_DASH_OPERATIONS: frozenset[str] = frozenset(
    {"BATCH.DELETE.OBJECT", "REST.COPY.OBJECT_GET", "REST.COPY.PART_GET"}
)

# Operations whose Key is URL-encoded once; every other operation encodes it twice.
SINGLE_ENCODED_OPERATIONS: frozenset[str] = frozenset({"BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT"})


@dataclass(frozen=True)
class Column:
    """A column of `access_log` that is not one of the wire fields."""

    name: str
    sql_type: str
    doc: str


# Columns that follow the 27 fields in `access_log`, in order.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("key_raw", "VARCHAR", "The Key exactly as logged (URL-encoded)."),
    Column(
        "extra_fields",
        "VARCHAR",
        "Fields this version does not know: trailing fields of a text line, space-separated"
        " as logged; unknown keys of a JSON record, as a JSON object.",
    ),
    Column(
        "source_file",
        "VARCHAR",
        "File or object the line came from; `cloudwatch://GROUP/STREAM` for a log event.",
    ),
    Column(
        "source_line",
        "BIGINT",
        "1-based line number within source_file; for JSON and Parquet, the record's position"
        " (its ordinal in the file, or among the events of its log stream the store has read).",
    ),
    Column("field_count", "SMALLINT", "How many fields the line had (its format era)."),
    Column(
        "raw_line",
        "BLOB",
        "The line's exact bytes, kept only when the fields alone cannot reproduce it.",
    ),
    Column(
        "delivery",
        "VARCHAR",
        "How the record was delivered: `text` (a log file), `json` (CloudWatch Logs, or a"
        " JSON file) or `parquet`.",
    ),
    Column("schema_version", "VARCHAR", "`schema_version_id` of a JSON or Parquet record."),
    Column("bucket_arn", "VARCHAR", "`bucket_arn` of a JSON or Parquet record."),
    Column("date", "DATE", "UTC date of `time`; the partition key."),
)

# The columns only JSON and Parquet records carry: column -> key in the record.
JSON_ONLY: dict[str, str] = {"schema_version": "schema_version_id", "bucket_arn": "bucket_arn"}

COLUMN_ORDER: tuple[str, ...] = (
    *(f.name for f in FIELDS[:8]),
    "key_raw",
    *(f.name for f in FIELDS[8:]),
    *(c.name for c in EXTRA_COLUMNS if c.name != "key_raw"),
)


def column_types() -> dict[str, str]:
    """DuckDB type of every stored `access_log` column, in table order."""
    types = {f.name: f.sql_type for f in FIELDS}
    types.update({c.name: c.sql_type for c in EXTRA_COLUMNS})
    return {name: types[name] for name in COLUMN_ORDER}


REJECT_COLUMNS: dict[str, str] = {
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
    "reason": "VARCHAR",
    "raw": "BLOB",
}
