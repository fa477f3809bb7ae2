"""The audit topics: who deleted what, who still uses SigV2 or old TLS, which requests need
ACLs, who hands out presigned URLs, what anonymous traffic succeeded, who comes from other
accounts. One Athena SQL each, over `access_log` and its stored derived columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from s3sleuth.diagnose.principal import principal_arn_sql
from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.errors import UsageError
from s3sleuth.sql.literal import string_literal
from s3sleuth.window import Window

_PRINCIPAL = principal_arn_sql()
_PROVENANCE = "source_file, source_line"
# TLS older than 1.2, in every spelling S3 and other producers write.
OLD_TLS = ("TLSv1", "TLSV1", "TLSv1.0", "TLSV1.0", "TLSv1.1", "TLSV1.1", "TLS 1.0", "TLS 1.1")
_WRITES = (
    "operation LIKE 'REST.PUT.%' OR operation LIKE 'REST.POST.%' "
    "OR operation LIKE 'REST.COPY.%' OR operation LIKE 'REST.DELETE.%'"
)


@dataclass(frozen=True)
class Options:
    """What some topics take: `key` (a glob, for deletes), `summary` (deletes grouped), and
    `accounts` (bucket -> owner account, for cross-account)."""

    key: str | None = None
    summary: bool = False
    accounts: Mapping[str, str] = field(default_factory=dict)


def _glob(pattern: str) -> str:
    """A key glob (`*`, `?`) as a LIKE pattern with `\\` escaping, quoted."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return string_literal(escaped.replace("*", "%").replace("?", "_"))


def deletes_sql(window: Window, options: Options) -> str:
    """Every deletion: one row per deleted key (or a summary per principal, bucket, kind)."""
    kind = """CASE
    WHEN operation = 'REST.DELETE.OBJECT' AND version_id IS NOT NULL THEN 'version'
    WHEN operation = 'REST.DELETE.OBJECT' THEN 'object'
    WHEN operation = 'BATCH.DELETE.OBJECT' THEN 'batch'
    WHEN operation = 'S3.CREATE.DELETEMARKER' THEN 'delete-marker'
    WHEN operation = 'S3.EXPIRE.OBJECT' THEN 'lifecycle'
    WHEN operation = 'REST.DELETE.BUCKET' THEN 'bucket' END"""
    where = (
        "operation IN ('REST.DELETE.OBJECT', 'BATCH.DELETE.OBJECT', 'S3.EXPIRE.OBJECT', "
        "'S3.CREATE.DELETEMARKER', 'REST.DELETE.BUCKET') AND http_status < 300"
        f" AND {window.where()}"
    )
    if options.key:
        where += f" AND key LIKE {_glob(options.key)} ESCAPE '\\'"
    if options.summary:
        return f"""
SELECT {_PRINCIPAL} AS principal_arn, principal_name, bucket, {kind} AS kind,
  count(*) AS deletions, count(DISTINCT key) AS keys, min(time) AS first_seen,
  max(time) AS last_seen
FROM access_log WHERE {where}
GROUP BY 1, 2, 3, 4
ORDER BY deletions DESC, principal_arn, bucket, kind"""
    return f"""
SELECT time, {_PRINCIPAL} AS principal_arn, principal_name, requester, operation,
  {kind} AS kind, bucket, key, version_id, request_id, remote_ip, http_status, {_PROVENANCE}
FROM access_log WHERE {where}
ORDER BY time, source_file, source_line"""


def legacy_auth_sql(window: Window, options: Options) -> str:
    """Callers that sign with SigV2 or use TLS older than 1.2."""
    old = ", ".join(string_literal(v) for v in OLD_TLS)
    return f"""
SELECT {_PRINCIPAL} AS principal_arn, principal_name, client, client_version,
  signature_version, tls_version, bucket, count(*) AS requests, min(time) AS first_seen,
  max(time) AS last_seen, min(request_id) AS sample_request_id
FROM access_log
WHERE (signature_version = 'SigV2' OR tls_version IN ({old})) AND {window.where()}
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY requests DESC, principal_arn, bucket"""


def acl_sql(window: Window, options: Options) -> str:
    """Requests authorized by an ACL: what breaks when ACLs are disabled."""
    return f"""
SELECT {_PRINCIPAL} AS principal_arn, principal_name, operation, bucket,
  count(*) AS requests, min(time) AS first_seen, max(time) AS last_seen,
  min(key) AS sample_key
FROM access_log
WHERE acl_required = 'Yes' AND {window.where()}
GROUP BY 1, 2, 3, 4
ORDER BY requests DESC, principal_arn, operation, bucket"""


def presigned_sql(window: Window, options: Options) -> str:
    """Requests authenticated by query string: who signed, for how long, used from where."""
    key_id = (
        "coalesce(NULLIF(regexp_extract(request_uri, '[?&]X-Amz-Credential=([A-Z0-9]+)', 1), ''), "
        "NULLIF(regexp_extract(request_uri, '[?&]AWSAccessKeyId=([A-Z0-9]+)', 1), ''))"
    )
    expires = (
        "try_cast(NULLIF(regexp_extract(request_uri, '[?&]X-Amz-Expires=([0-9]+)', 1), '') "
        "AS bigint)"
    )
    return f"""
SELECT bucket, {key_id} AS access_key_id, {_PRINCIPAL} AS principal_arn, principal_name,
  count(*) AS requests, max({expires}) AS max_expires_seconds,
  count(DISTINCT remote_ip) AS addresses,
  slice(array_sort(array_agg(DISTINCT remote_ip)), 1, 10) AS sample_addresses,
  min(time) AS first_seen, max(time) AS last_seen
FROM access_log
WHERE authentication_type = 'QueryString' AND {window.where()}
GROUP BY 1, 2, 3, 4
ORDER BY addresses DESC, requests DESC, bucket, access_key_id"""


def anonymous_sql(window: Window, options: Options) -> str:
    """Unauthenticated requests that succeeded; anonymous writes first."""
    prefix = "CASE WHEN strpos(key, '/') > 0 THEN substr(key, 1, strpos(key, '/')) ELSE '' END"
    return f"""
SELECT bucket, operation, {prefix} AS key_prefix, remote_ip, network_path,
  bool_or({_WRITES}) AS write, count(*) AS requests, min(time) AS first_seen,
  max(time) AS last_seen
FROM access_log
WHERE requester IS NULL AND http_status < 400 AND {window.where()}
GROUP BY 1, 2, 3, 4, 5
ORDER BY write DESC, requests DESC, bucket, operation, key_prefix, remote_ip"""


def owners_sql(window: Window) -> str:
    """Per bucket, the account that makes most of its authenticated requests."""
    return f"""
SELECT bucket, principal_account, count(*) AS requests
FROM access_log
WHERE principal_account IS NOT NULL AND {window.where()}
GROUP BY 1, 2
ORDER BY bucket, requests DESC, principal_account"""


def cross_account_sql(window: Window, owners: Mapping[str, str]) -> str:
    """Requests whose requester's account is not the bucket owner's."""
    if not owners:
        return "SELECT NULL AS bucket WHERE false"
    pairs = ", ".join(f"({string_literal(b)}, {string_literal(a)})" for b, a in owners.items())
    return f"""
SELECT a.bucket, o.owner_account, {principal_arn_sql("a")} AS principal_arn,
  a.principal_name, a.principal_account, a.operation, count(*) AS requests,
  min(a.time) AS first_seen, max(a.time) AS last_seen
FROM access_log a JOIN (VALUES {pairs}) AS o (bucket, owner_account) ON a.bucket = o.bucket
WHERE a.principal_account IS NOT NULL AND a.principal_account <> o.owner_account
  AND {window.where("a")}
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY requests DESC, a.bucket, principal_arn, a.operation"""


def _simple(build: Callable[[Window, Options], str]) -> Callable[..., Result[Row]]:
    def run(engine: Engine, window: Window, options: Options) -> Result[Row]:
        sql = build(window, options)
        found = rows(engine.records(sql))
        for row in found:  # array_agg keeps NULL (an address-less request): drop it
            if row.get("sample_addresses") is not None:
                row["sample_addresses"] = [v for v in row["sample_addresses"] if v is not None]
        return Result(found, sql=sql.strip(), columns=tuple(found[0]) if found else ())

    return run


def cross_account(engine: Engine, window: Window, options: Options) -> Result[Row]:
    """The owner's account comes from `options.accounts`, else the most common account among
    the bucket's own authenticated requests; each row says which (`owner_account_from`)."""
    owners: dict[str, str] = {}
    for row in engine.records(owners_sql(window)):
        owners.setdefault(row["bucket"], row["principal_account"])  # first: the most common
    inferred = set(owners) - set(options.accounts)
    owners.update(options.accounts)
    sql = cross_account_sql(window, owners)
    found = rows(engine.records(sql)) if owners else []
    for row in found:
        row["owner_account_from"] = "inferred" if row["bucket"] in inferred else "given"
    owners_query = owners_sql(window).strip()
    shown = (
        f"-- owners (most requests, unless given with --account)\n{owners_query};\n\n{sql.strip()}"
    )
    return Result(found, sql=shown, columns=tuple(found[0]) if found else ())


TOPICS: dict[str, Callable[[Engine, Window, Options], Result[Row]]] = {
    "deletes": _simple(deletes_sql),
    "legacy-auth": _simple(legacy_auth_sql),
    "acl": _simple(acl_sql),
    "presigned": _simple(presigned_sql),
    "anonymous": _simple(anonymous_sql),
    "cross-account": cross_account,
}


def audit(
    engine: Engine, topic: str, window: Window | None = None, options: Options | None = None
) -> Result[Row]:
    """The rows of one audit topic."""
    if topic not in TOPICS:
        raise UsageError(
            f"there is no audit topic {topic!r}",
            hint="choose one of " + ", ".join(TOPICS),
        )
    return TOPICS[topic](engine, window or Window(), options or Options())


def headlines_sql(window: Window) -> str:
    """Athena SQL: how many requests each audit topic would list, in one scan."""
    old = ", ".join(string_literal(v) for v in OLD_TLS)
    return f"""
SELECT
  count_if(operation IN ('REST.DELETE.OBJECT', 'BATCH.DELETE.OBJECT', 'S3.EXPIRE.OBJECT',
    'S3.CREATE.DELETEMARKER', 'REST.DELETE.BUCKET') AND http_status < 300) AS deletes,
  count_if(signature_version = 'SigV2' OR tls_version IN ({old})) AS legacy_auth,
  count_if(acl_required = 'Yes') AS acl,
  count_if(authentication_type = 'QueryString') AS presigned,
  count_if(requester IS NULL AND http_status < 400) AS anonymous,
  count_if(requester IS NULL AND http_status < 400 AND ({_WRITES})) AS anonymous_writes
FROM access_log WHERE {window.where()}"""
