"""Did this traffic use a VPC endpoint, or the internet? (diagnostics.md §0b, §5)

Through a gateway endpoint S3 logs the client's private address; over the internet, a public
one. For each principal and bucket (or each source address) this counts requests per network
path and endpoint kind, gives a verdict, and for mixed traffic shows when each path was seen,
so a switch to an endpoint shows plainly.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from s3sleuth.diagnose.ip_ranges import IpRanges
from s3sleuth.diagnose.principal import principal_arn_sql
from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.errors import UsageError
from s3sleuth.views.joins import cloudtrail_condition
from s3sleuth.window import Window

if TYPE_CHECKING:
    import pyarrow as pa

# Rows are per principal without its session (one row per role, not per instance) and bucket,
# or per source address.
GROUPINGS = {"principal": ("principal_arn", "principal_name", "bucket"), "ip": ("remote_ip",)}


def _group(by: str) -> tuple[str, str]:
    """The SELECT list and the GROUP BY list of a grouping, over access-log alias `a`."""
    exprs = [principal_arn_sql("a") if c == "principal_arn" else f"a.{c}" for c in GROUPINGS[by]]
    select = ", ".join(
        e if e == f"a.{c}" else f"{e} AS {c}" for e, c in zip(exprs, GROUPINGS[by], strict=True)
    )
    return select, ", ".join(exprs)


_MEASURES = """count(*) AS requests,
  CAST(sum(CASE WHEN network_path = 'private' THEN 1 ELSE 0 END) AS bigint) AS private_requests,
  CAST(sum(CASE WHEN network_path = 'public' THEN 1 ELSE 0 END) AS bigint) AS public_requests,
  CAST(sum(CASE WHEN network_path IS NULL THEN 1 ELSE 0 END) AS bigint) AS unknown_requests,
  CAST(sum(CASE WHEN endpoint_kind = 'vpc-interface' THEN 1 ELSE 0 END) AS bigint)
    AS interface_endpoint_requests,
  CAST(sum(CASE WHEN client = 'transfer-family' AND network_path = 'public' THEN 1 ELSE 0 END)
    AS bigint) AS transfer_family_requests,
  min(CASE WHEN network_path = 'private' THEN time END) AS private_first_seen,
  max(CASE WHEN network_path = 'private' THEN time END) AS private_last_seen,
  min(CASE WHEN network_path = 'public' THEN time END) AS public_first_seen,
  max(CASE WHEN network_path = 'public' THEN time END) AS public_last_seen,
  array_agg(DISTINCT endpoint_kind) AS endpoint_kinds"""
_NAMES = (
    "requests, private_requests, public_requests, unknown_requests, "
    "interface_endpoint_requests, transfer_family_requests, private_first_seen, "
    "private_last_seen, public_first_seen, public_last_seen, endpoint_kinds"
)


def network_sql(window: Window, by: str) -> str:
    """The Athena SQL behind the network rows (and `confirmed_sql` behind their CloudTrail
    columns: a separate join, so a store without CloudTrail records never scans for one).

    Per principal, rows are grouped on the stored principal columns, and a role's ARN is
    built once per group: building it per row doubled the query's time on 4M rows."""
    if by == "ip":
        return f"""
SELECT a.remote_ip, {_MEASURES},
  min(network_path) AS network_path, count(DISTINCT requester) AS principals
FROM access_log a
WHERE {window.where("a")}
GROUP BY a.remote_ip
ORDER BY public_requests DESC, requests DESC, remote_ip"""
    role = (
        "concat('arn:', split_part(any_requester, ':', 2), ':iam::', principal_account, "
        "':role/', principal_name)"
    )
    return f"""
SELECT CASE WHEN principal_type = 'assumed-role' THEN {role} ELSE other_requester END
    AS principal_arn,
  principal_name, bucket, {_NAMES}, addresses, session_total
FROM (
  SELECT a.principal_type, a.principal_account, a.principal_name, a.bucket,
    CASE WHEN a.principal_type = 'assumed-role' THEN NULL ELSE a.requester END
      AS other_requester,
    min(a.requester) AS any_requester,
    {_MEASURES},
    count(DISTINCT remote_ip) AS addresses, count(DISTINCT session_name) AS session_total
  FROM access_log a
  WHERE {window.where("a")}
  GROUP BY a.principal_type, a.principal_account, a.principal_name, a.bucket,
    CASE WHEN a.principal_type = 'assumed-role' THEN NULL ELSE a.requester END
) AS grouped
ORDER BY public_requests DESC, requests DESC, principal_arn, principal_name, bucket"""


def confirmed_sql(window: Window, by: str) -> str:
    """Athena SQL: per network row, the VPC endpoints CloudTrail names for its requests."""
    select, group = _group(by)
    return f"""
SELECT {select}, array_agg(DISTINCT c.vpc_endpoint_id) AS vpc_endpoint_ids,
  count(*) AS confirmed_requests
FROM access_log a JOIN (
  SELECT request_id, min(host_id) AS host_id, min(vpc_endpoint_id) AS vpc_endpoint_id
  FROM cloudtrail_events WHERE vpc_endpoint_id IS NOT NULL GROUP BY request_id
) c ON {cloudtrail_condition("a", "c")}
WHERE {window.where("a")}
GROUP BY {group}"""


def _with_confirmed(row: Row, confirmed: dict[Any, Row], by: str) -> Row:
    """The row with CloudTrail's endpoints after `endpoint_kinds`, where they always were."""
    match = confirmed.get(tuple(row[c] for c in GROUPINGS[by]))
    out = Row()
    for key, value in row.items():
        out[key] = value
        if key == "endpoint_kinds":
            out["vpc_endpoint_ids"] = (
                sorted(v for v in match["vpc_endpoint_ids"] if v) if match else []
            )
            out["confirmed_requests"] = match["confirmed_requests"] if match else 0
    return out


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "?"


def verdict(row: dict[str, Any]) -> str:
    private, public = row["private_requests"], row["public_requests"]
    interface = " (an interface endpoint by name)" if row["interface_endpoint_requests"] else ""
    # CloudTrail's vpcEndpointId on a joined record turns the inference into a fact.
    vpce = row.get("vpc_endpoint_ids") or []
    how = f"confirmed via {', '.join(vpce)}" if vpce else "private source"
    if vpce and row["confirmed_requests"] < private:
        how += f" for {row['confirmed_requests']} of {private} in CloudTrail"
    if not private and not public:
        return "no client address: AWS-internal requests"
    if not public:
        return f"all requests came through a VPC endpoint ({how}){interface}"
    if not private and row.get("transfer_family_requests") == public:
        # Transfer Family's servers call S3 for their users from AWS's own addresses.
        return "all requests came from the AWS Transfer Family service (public S3 endpoint)"
    if not private:
        return "all requests came over the internet (public source)"
    text = (
        f"mixed: public {_when(row['public_first_seen'])} to {_when(row['public_last_seen'])}, "
        f"private {_when(row['private_first_seen'])} to {_when(row['private_last_seen'])}"
        + (f" ({how})" if vpce else "")
    )
    if row["public_last_seen"] < row["private_first_seen"]:
        text += f"; switched to a VPC endpoint at {_when(row['private_first_seen'])}"
    elif row["private_last_seen"] < row["public_first_seen"]:
        text += f"; moved off the VPC endpoint at {_when(row['public_first_seen'])}"
    return text


def _tag_principals(rows: list[Row], ranges: IpRanges, window: Window, engine: Engine) -> None:
    """`aws_services`: who owns each principal's public addresses (e.g. EC2: a NAT gateway or
    an instance's public IP, so traffic that could have used a gateway endpoint)."""
    addresses = engine.records(
        f"SELECT DISTINCT {principal_arn_sql()} AS principal_arn, bucket, remote_ip "
        f"FROM access_log WHERE network_path = 'public' AND {window.where()}"
    )
    owners: dict[tuple[Any, Any], set[str]] = {}
    for a in addresses:
        owner = ranges.owner(a["remote_ip"])
        if owner is not None:
            owners.setdefault((a["principal_arn"], a["bucket"]), set()).add(
                f"{owner.service} {owner.region}"
            )
    for row in rows:
        row["aws_services"] = sorted(owners.get((row["principal_arn"], row["bucket"]), ()))


class NetworkReport(Result[Row]):
    """Rows per principal and bucket (or address), and with `expect_private` the requests
    that came from public addresses (`offending`)."""

    offending: pa.Table | None = None

    @property
    def rows(self) -> list[Row]:
        return self.items

    @property
    def public_requests(self) -> int:
        return sum(int(r["public_requests"]) for r in self.items)


def network(
    engine: Engine,
    window: Window | None = None,
    *,
    by: str = "principal",
    ip_ranges: IpRanges | None = None,
    expect_private: bool = False,
    offending_limit: int = 1000,
) -> NetworkReport:
    """Network paths per principal and bucket (or per source address with by='ip')."""
    if by not in GROUPINGS:
        raise UsageError(
            f"cannot group by {by!r}", hint="{by} takes principal or ip", params=("by",)
        )
    window = window or Window()
    sql, confirm = network_sql(window, by), confirmed_sql(window, by)
    confirmed = {tuple(r[c] for c in GROUPINGS[by]): r for r in rows(engine.records(confirm))}
    found = [_with_confirmed(row, confirmed, by) for row in rows(engine.records(sql))]
    for row in found:
        row["endpoint_kinds"] = sorted(k for k in row["endpoint_kinds"] if k)
        row["verdict"] = verdict(row)
        if by == "ip" and ip_ranges is not None:
            owner = ip_ranges.owner(row["remote_ip"]) if row["network_path"] == "public" else None
            row["aws_service"] = owner.service if owner else None
            row["aws_region"] = owner.region if owner else None
    if by == "principal" and ip_ranges is not None:
        _tag_principals(found, ip_ranges, window, engine)
    shown = f"{sql.strip()};\n\n-- CloudTrail's vpcEndpointId for the same rows\n{confirm.strip()}"
    report = NetworkReport(found, sql=shown, columns=_columns(by, ip_ranges is not None))
    if expect_private and report.public_requests:
        report.offending = engine.run(
            "SELECT time, remote_ip, requester, operation, bucket, key, http_status "
            f"FROM access_log WHERE network_path = 'public' AND {window.where()} "
            f"ORDER BY time LIMIT {offending_limit}"
        )
    return report


def _columns(by: str, tagged: bool) -> tuple[str, ...]:
    """What a terminal table shows of a network row; JSON and CSV have every key."""
    keys = (
        ("principal_name", "bucket", "requests", "private_requests", "public_requests")
        if by == "principal"
        else ("remote_ip", "network_path", "requests", "principals")
    )
    tags = ("aws_services",) if by == "principal" else ("aws_service", "aws_region")
    return (*keys, "endpoint_kinds", "verdict", *(tags if tagged else ()))
