"""Enrichment: columns derived from the log fields (diagnostics.md §5-7).

Each column is one SQL expression over the stored `access_log` fields, written once in Athena's
dialect and translated by sqlglot for each engine. Extractions are wrapped in NULLIF(..., '')
because Trino's regexp_extract gives NULL when nothing matches and DuckDB's gives ''.

The columns are computed once, when rows are written (`views.compute.enrich_table`), and
stored beside the fields, so no read pays for the regular expressions. `VERSION` is a digest
of the rules: a change to any rule gives a new version, and a store written under another one
is recomputed (`views.upgrade`). Where nothing is stored (Athena over the raw logs) the same
SQL runs on read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from s3sleuth.fields import COLUMN_ORDER
from s3sleuth.views.billing import tier_sql


@dataclass(frozen=True)
class Enrichment:
    name: str
    athena: str  # an expression over `access_log` columns, in Athena (Trino) SQL
    doc: str
    inputs: tuple[str, ...] = ("requester",)  # the stored columns `athena` reads


_ARN = r"^arn:[a-z-]+:(?:iam|sts)::([0-9]{12}):"
_ROLE_SESSION = r":assumed-role/[^/]+/(.+)$"
# USER.SESSION@SERVER, split from the right: user names may hold dots.
_TRANSFER = r":assumed-role/[^/]+/(.+)\.([0-9a-f]{16})@(s-[0-9a-f]{1,17})$"
_OAI = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity %"
_HOST = "regexp_replace(lower(host_header), ':[0-9]+$', '')"


def _octet(n: int) -> str:
    return f"try_cast(split_part(ipv4, '.', {n}) AS integer)"


_IPV4 = (
    "CASE WHEN regexp_like(remote_ip, '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$') THEN remote_ip "
    "WHEN regexp_like(lower(remote_ip), '^::ffff:[0-9]{1,3}(\\.[0-9]{1,3}){3}$') "
    "THEN substr(remote_ip, 8) END"
)
_PRIVATE_V4 = (
    f"{_octet(1)} = 10 OR ({_octet(1)} = 172 AND {_octet(2)} BETWEEN 16 AND 31) "
    f"OR ({_octet(1)} = 192 AND {_octet(2)} = 168) "
    f"OR ({_octet(1)} = 100 AND {_octet(2)} BETWEEN 64 AND 127)"
)

_CLIENTS = [  # (client, condition), first match wins
    (
        "transfer-family",
        f"lower(user_agent) LIKE 'aws-transfer%' OR regexp_like(requester, '{_TRANSFER}')",
    ),
    ("console", "user_agent LIKE 'S3Console/%'"),
    ("aws-cli", "lower(user_agent) LIKE 'aws-cli/%'"),
    ("sdk-python", "lower(user_agent) LIKE 'boto3/%' OR lower(user_agent) LIKE 'botocore/%'"),
    ("sdk-java", "user_agent LIKE 'aws-sdk-java/%'"),
    ("sdk-go", "user_agent LIKE 'aws-sdk-go%'"),
    ("sdk-js", "user_agent LIKE 'aws-sdk-js/%' OR user_agent LIKE 'aws-sdk-nodejs/%'"),
    ("sdk-dotnet", "user_agent LIKE 'aws-sdk-dotnet%'"),
    ("sdk-php", "user_agent LIKE 'aws-sdk-php/%'"),
    ("sdk-ruby", "user_agent LIKE 'aws-sdk-ruby%'"),
    ("sdk-cpp", "user_agent LIKE 'aws-sdk-cpp/%'"),
    ("sdk-rust", "user_agent LIKE 'aws-sdk-rust/%'"),
    (
        "aws-service",
        f"user_agent LIKE '%aws-internal/%' OR user_agent = 'Amazon CloudFront' "
        f"OR requester LIKE 'svc:%' OR requester = 'AmazonS3' "
        f"OR requester LIKE '{_OAI}'",
    ),
    ("browser", "user_agent LIKE 'Mozilla/%'"),
]

ENRICHMENTS: tuple[Enrichment, ...] = (
    Enrichment(
        "principal_type",
        f"""CASE
        WHEN requester IS NULL THEN 'anonymous'
        WHEN regexp_like(requester, '{_ARN}assumed-role/') THEN 'assumed-role'
        WHEN regexp_like(requester, '{_ARN}user/') THEN 'iam-user'
        WHEN regexp_like(requester, '^[0-9a-f]{{64}}$') THEN 'canonical-user'
        WHEN requester LIKE 'svc:%' OR requester = 'AmazonS3' OR requester LIKE '{_OAI}'
          THEN 'aws-service'
        ELSE 'other' END""",
        "assumed-role, iam-user, canonical-user, aws-service, anonymous or other.",
    ),
    Enrichment(
        "principal_account",
        f"NULLIF(regexp_extract(requester, '{_ARN}', 1), '')",
        "The 12-digit account of an IAM or STS requester.",
    ),
    Enrichment(
        "principal_name",
        f"""CASE
        WHEN regexp_like(requester, '{_ARN}assumed-role/')
          THEN NULLIF(regexp_extract(requester, ':assumed-role/([^/]+)', 1), '')
        WHEN regexp_like(requester, '{_ARN}(user|federated-user)/')
          THEN NULLIF(regexp_extract(requester, '/([^/]+)$', 1), '')
        WHEN requester LIKE 'svc:%' THEN substr(requester, 5)
        WHEN requester LIKE '{_OAI}' THEN 'CloudFront'
        WHEN requester = 'AmazonS3' THEN 'AmazonS3' END""",
        "The role name, user name or service.",
    ),
    Enrichment(
        "session_name",
        f"NULLIF(regexp_extract(requester, '{_ROLE_SESSION}', 1), '')",
        "The session of an assumed role (instance id, Transfer Family session, ...).",
    ),
    Enrichment(
        "transfer_user",
        f"NULLIF(regexp_extract(requester, '{_TRANSFER}', 1), '')",
        "Transfer Family user, from a session name USER.SESSION@SERVER.",
    ),
    Enrichment(
        "transfer_session_id",
        f"NULLIF(regexp_extract(requester, '{_TRANSFER}', 2), '')",
        "Transfer Family session id (16 hex digits).",
    ),
    Enrichment(
        "transfer_server_id",
        f"NULLIF(regexp_extract(requester, '{_TRANSFER}', 3), '')",
        "Transfer Family server id (s-...).",
    ),
    Enrichment(
        "client",
        "CASE "
        + " ".join(f"WHEN {cond} THEN '{name}'" for name, cond in _CLIENTS)
        + " ELSE 'other' END",
        "console, transfer-family, aws-cli, sdk-<language>, aws-service, browser or other.",
        ("user_agent", "requester"),
    ),
    Enrichment(
        "client_version",
        # A browser's first product is always `Mozilla/5.0`: its version is the browser's own.
        """CASE WHEN user_agent LIKE 'Mozilla/%' THEN coalesce(
          NULLIF(regexp_extract(user_agent, ' Edg/([0-9][0-9.]*)', 1), ''),
          NULLIF(regexp_extract(user_agent, ' (?:Firefox|Chrome|Version)/([0-9][0-9.]*)', 1), ''))
        ELSE NULLIF(regexp_extract(user_agent, '^[^/ ]+/([^ ,]+)', 1), '') END""",
        "The version of the User-Agent's first product (a browser's: Chrome, Firefox, Safari, "
        "Edge).",
        ("user_agent",),
    ),
    Enrichment(
        "network_path",
        f"""CASE
        WHEN remote_ip IS NULL THEN NULL
        WHEN ({_IPV4}) IS NOT NULL THEN (CASE WHEN {_PRIVATE_V4.replace("ipv4", f"({_IPV4})")}
          THEN 'private' ELSE 'public' END)
        WHEN regexp_like(lower(remote_ip), '^f[cd][0-9a-f]{{2}}:') THEN 'private'
        ELSE 'public' END""",
        "private (RFC 1918, RFC 6598, IPv6 ULA fc00::/7), public, or NULL when unknown.",
        ("remote_ip",),
    ),
    Enrichment(
        "endpoint_kind",
        f"""CASE
        WHEN host_header IS NULL THEN NULL
        WHEN {_HOST} LIKE '%.vpce.amazonaws.com' THEN 'vpc-interface'
        WHEN {_HOST} LIKE '%.s3-accesspoint.%' OR {_HOST} LIKE '%.accesspoint.s3-global.%'
          OR {_HOST} LIKE '%.s3-object-lambda.%' THEN 'accesspoint'
        WHEN {_HOST} LIKE '%.s3-website%' THEN 'website'
        WHEN regexp_like({_HOST}, '(^|\\.)s3([.-][a-z0-9-]+)*\\.amazonaws\\.com(\\.cn)?$') THEN 's3'
        ELSE 'custom' END""",
        "vpc-interface, s3, website, accesspoint or custom, from the Host Header.",
        ("host_header",),
    ),
    Enrichment(
        "billing_tier",
        tier_sql(),
        "How AWS bills the request: tier1 (PUT, COPY, POST, LIST), tier2 (GET, HEAD, the "
        "rest), free (DELETE, rows S3 writes itself) or unbilled (5xx, unbilled error codes).",
        ("operation", "http_status", "error_code", "requester"),
    ),
    Enrichment(
        "request_method",
        "NULLIF(regexp_extract(request_uri, '^([^ ]+) ', 1), '')",
        "HTTP method of the request line.",
        ("request_uri",),
    ),
    Enrichment(
        "request_path",
        "NULLIF(regexp_extract(request_uri, '^[^ ]+ ([^? ]*)', 1), '')",
        "Path of the request target.",
        ("request_uri",),
    ),
    Enrichment(
        "request_query",
        "NULLIF(regexp_extract(request_uri, '^[^ ]+ [^? ]*\\?(.*?)( HTTP/[^ ]+)?$', 1), '')",
        "Query string of the request target, without the `?`.",
        ("request_uri",),
    ),
    Enrichment(
        "http_version",
        "NULLIF(regexp_extract(request_uri, ' HTTP/([^ ]+)$', 1), '')",
        "HTTP version of the request line.",
        ("request_uri",),
    ),
)


@cache
def enrichment_sql(dialect: str = "duckdb") -> str:
    """The enrichment columns as a SELECT list for `dialect`, each `AS name`."""
    athena = ",\n  ".join(f"{e.athena} AS {e.name}" for e in ENRICHMENTS)
    from s3sleuth.sql.translate import translate  # sqlglot, only when the SQL is needed

    (select,) = translate(f"SELECT {athena} FROM access_log", dialect)
    return select.removeprefix("SELECT ").removesuffix(" FROM access_log")


# What a change to the rules changes: stored columns computed under another version are stale.
# The stored columns are part of it: a file written with other columns is rewritten too.
VERSION = hashlib.sha256(
    "\n".join(
        [*(f"{e.name}:{','.join(e.inputs)}:{e.athena}" for e in ENRICHMENTS), *COLUMN_ORDER]
    ).encode()
).hexdigest()[:16]
METADATA_KEY = b"s3sleuth.enrichment"  # in each access_log Parquet file's key-value metadata
# The request line is unique to nearly every row: its four parts are split on read, when a
# query names them (storing them would store the request line twice). Every other rule reads
# columns with a few distinct values per file, so it runs once per distinct value and is
# stored (see views.compute).
STORED: tuple[Enrichment, ...] = tuple(e for e in ENRICHMENTS if "request_uri" not in e.inputs)
ON_READ: tuple[Enrichment, ...] = tuple(e for e in ENRICHMENTS if "request_uri" in e.inputs)
STORED_NAMES: tuple[str, ...] = tuple(e.name for e in STORED)


def select_sql(rules: tuple[Enrichment, ...], table: str = "access_log") -> str:
    """Athena SQL: `SELECT *, <rules> FROM table`."""
    columns = "".join(f",\n  {e.athena} AS {e.name}" for e in rules)
    return f"SELECT *{columns}\nFROM {table}"
