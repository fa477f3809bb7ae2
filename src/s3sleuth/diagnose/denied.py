"""Who was denied, and which permission is missing (diagnostics.md §0, §3, §4).

Authorization failures are grouped by principal, operation and bucket. For each group: the IAM
actions the operation needs, the resource (the keys' common prefix when there are several), a
least-privilege policy statement, and the other layers to check, since the log cannot say
which policy denied.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from s3sleuth.diagnose.actions import family_sql, iam_actions, is_object_operation
from s3sleuth.diagnose.evidence import cloudtrail_messages, policy_layer, transfer_errors
from s3sleuth.diagnose.principal import principal_arn_sql, session_sql
from s3sleuth.diagnose.result import Result
from s3sleuth.engines import Engine
from s3sleuth.sql.literal import string_list
from s3sleuth.values import jsonable
from s3sleuth.views.joins import TransferWindow
from s3sleuth.window import Window

# Failures of the credentials or the signature: no IAM policy would change the outcome.
CREDENTIAL_FAILURES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "RequestTimeTooSkewed",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
    }
)
# Error codes that mean the request was not authorized (a 404 is not a denial).
AUTH_FAILURES = (
    "AccessDenied",
    "AllAccessDisabled",
    "AccountProblem",
    "NotSignedUp",
    "InvalidPayer",
    "AccessForbidden",
    *sorted(CREDENTIAL_FAILURES),
)
KEY_LIMIT = 20
# What a terminal table shows of a finding (`Finding.row`); JSON and CSV have every key.
COLUMNS = ("finding", "requests", "first_seen", "last_seen", "errors", "evidence")
_KMS = {
    "s3:GetObject": "kms:Decrypt",
    "s3:GetObjectVersion": "kms:Decrypt",
    "s3:PutObject": "kms:GenerateDataKey",
}

SESSION_LIMIT = 10
# One finding per principal (without its session), Transfer Family user and server, family of
# operations needing the same permission, and bucket.
_GROUP = {
    "principal_arn": principal_arn_sql(),
    "principal_type": "principal_type",
    "principal_name": "principal_name",
    "principal_account": "principal_account",
    "transfer_user": "transfer_user",
    "transfer_server_id": "transfer_server_id",
    "operation_family": family_sql(),
    "bucket": "bucket",
}
# The part of the group the Transfer Family and CloudTrail evidence is keyed by.
_KEY = ("principal_arn", "transfer_user", "transfer_server_id", "operation_family", "bucket")


def key_sql(alias: str) -> str:
    """Athena SQL: the finding key of access-log row `alias`, as a SELECT list."""
    exprs = {
        "principal_arn": principal_arn_sql(alias),
        "operation_family": family_sql(f"{alias}.operation"),
    }
    return ", ".join(f"{exprs.get(k, f'{alias}.{k}')} AS {k}" for k in _KEY)


def denied_sql(window: Window) -> str:
    """The Athena SQL behind the findings (shown under them in the HTML report)."""
    codes = string_list(AUTH_FAILURES)
    select = ",\n  ".join(
        expr if expr == name else f"{expr} AS {name}" for name, expr in _GROUP.items()
    )
    group = ",\n  ".join(_GROUP.values())
    return f"""
SELECT {select},
  count(*) AS count, min(time) AS first_seen, max(time) AS last_seen,
  array_agg(DISTINCT operation) AS operations,
  array_agg(DISTINCT error_code) AS error_codes,
  count(DISTINCT key) AS key_total, min(key) AS key_min, max(key) AS key_max,
  slice(array_sort(array_agg(DISTINCT key)), 1, {KEY_LIMIT + 1}) AS key_sample,
  count(DISTINCT {session_sql()}) AS session_total,
  slice(array_sort(array_agg(DISTINCT {session_sql()})), 1, {SESSION_LIMIT + 1}) AS session_sample,
  bool_or(version_id IS NOT NULL OR request_query LIKE '%versionId=%') AS versioned,
  bool_or(authentication_type = 'QueryString') AS presigned,
  bool_or(network_path = 'private') AS via_private_network
FROM access_log
WHERE error_code IN ({codes}) AND {window.where()}
GROUP BY {group}
ORDER BY count DESC, last_seen DESC, principal_arn, operation_family, bucket"""


def _common_prefix(a: str, b: str) -> str:
    # Character by character on purpose: S3 keys are strings, not paths. The common prefix of
    # the smallest and largest key is the common prefix of them all.
    return os.path.commonprefix([a, b])  # noqa: RUF071


def _partition(requester: str | None) -> str:
    if requester and requester.startswith("arn:"):
        return requester.split(":")[1]
    return "aws"


@dataclass
class Finding:
    principal_arn: str | None
    principal_type: str
    principal_name: str | None
    principal_account: str | None
    transfer_user: str | None
    transfer_session_id: str | None
    transfer_server_id: str | None
    operation: str  # the family's name when it is among `operations`, else the first of them
    operations: list[str]
    iam_actions: list[str]
    bucket: str | None
    keys: list[str]
    key_total: int
    resource_arn: str | None
    count: int
    session_total: int
    sessions: list[str]  # Transfer Family session ids, or role session names (a sample)
    first_seen: datetime
    last_seen: datetime
    error_codes: list[str]
    policy_statement: dict[str, Any] | None
    transfer_events: list[str] = field(default_factory=list)  # `CLOSE /b/k "Access denied"`
    cloudtrail_messages: list[str] = field(default_factory=list)  # joined errorMessages
    policy_layers: list[str] = field(default_factory=list)  # what those messages name
    checks: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)

    @property
    def who(self) -> str:
        """The principal in plain words."""
        if self.principal_type == "assumed-role":
            who = f"role {self.principal_name}"
            if self.transfer_user:
                who += (
                    f" (Transfer Family user {self.transfer_user} on server "
                    f"{self.transfer_server_id})"
                )
            return who
        return {
            "iam-user": f"IAM user {self.principal_name}",
            "anonymous": "an anonymous requester",
            "aws-service": f"AWS service {self.principal_name}",
            "canonical-user": f"canonical user {(self.principal_arn or '')[:12]}…",
        }.get(self.principal_type, f"requester {self.principal_arn}")

    @property
    def evidence(self) -> str:
        """What the Transfer Family and CloudTrail logs add, in one line."""
        parts = list(self.transfer_events)
        parts += [f"CloudTrail: {layer}" for layer in self.policy_layers]
        return "; ".join(parts)

    @property
    def grantable(self) -> bool:
        """Whether an identity-policy statement can fix it: only IAM identities have one."""
        return (
            bool(self.iam_actions)
            and self.principal_type in ("assumed-role", "iam-user")
            and not set(self.error_codes) <= CREDENTIAL_FAILURES
        )

    @property
    def summary(self) -> str:
        if set(self.error_codes) <= CREDENTIAL_FAILURES:
            return (
                f"{self.who} failed authentication ({', '.join(self.error_codes)}) "
                f"on {self.operation} in bucket {self.bucket}"
            )
        if not self.iam_actions:
            return f"{self.who} was denied {self.operation} on {self.resource_arn}"
        if self.principal_type == "anonymous":
            return (
                f"{self.who} was denied {', '.join(self.iam_actions)} on {self.resource_arn}: "
                "expected unless the bucket is meant to be public"
            )
        if self.principal_type == "aws-service":
            return (
                f"{self.who} was denied {', '.join(self.iam_actions)} on {self.resource_arn}: "
                "check the bucket policy statement for the service, or the role it uses"
            )
        denies = [layer for layer in self.policy_layers if layer.startswith("explicit deny")]
        if denies:  # an Allow would not help: the Deny must go
            return (
                f"{self.who} is refused {', '.join(self.iam_actions)} on {self.resource_arn} "
                f"by an {denies[0]}"
            )
        return f"{self.who} lacks {', '.join(self.iam_actions)} on {self.resource_arn}"

    def row(self) -> dict[str, Any]:
        """The finding as one line of a table (see COLUMNS)."""
        return {
            "finding": self.summary,
            "requests": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "errors": ", ".join(self.error_codes),
            "evidence": self.evidence,
        }

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["reasoning"]
        out["summary"] = self.summary
        result: dict[str, Any] = jsonable(out)
        return result


def _checks(f: Finding, row: dict[str, Any]) -> list[str]:
    """The layers that may deny, which the log cannot tell apart (diagnostics.md §2.6, §3.4)."""
    if set(f.error_codes) <= CREDENTIAL_FAILURES:
        return [
            "credentials: the access key, session token, signing region and the client clock; "
            "no IAM policy change will fix this"
        ]
    actions = ", ".join(f.iam_actions) or f.operation
    checks = [f"CloudTrail names the layer: {layer}" for layer in f.policy_layers]
    if f.principal_type in ("assumed-role", "iam-user"):
        kind = "role" if f.principal_type == "assumed-role" else "user"
        checks.append(
            f"identity policy of {kind} {f.principal_name}: allow {actions} on {f.resource_arn}"
        )
    elif f.principal_type == "anonymous":
        checks.append(
            "anonymous requests: expected unless the bucket is meant to be public; if it is, a "
            'bucket policy statement with Principal "*" (and Block Public Access allowing it)'
        )
    elif f.principal_type == "aws-service":
        checks.append(
            f"the service's access: a bucket policy statement for the {f.principal_name} service "
            "principal, or the IAM role the service uses (no identity policy applies)"
        )
    checks.append(
        f"bucket policy of {f.bucket}: an explicit Deny, or no Allow for a principal "
        "from another account"
    )
    if f.transfer_user:
        checks.append(
            f"session policy: the Transfer Family scope-down policy of user {f.transfer_user}"
        )
    elif f.principal_type == "assumed-role":
        checks.append("session policy passed when the role was assumed")
    checks.append("SCPs and RCPs of the account's AWS Organization")
    if row["via_private_network"]:
        checks.append("VPC endpoint policy: the requests came from private addresses")
    kms = sorted({_KMS[a] for a in f.iam_actions if a in _KMS})
    if kms:
        checks.append(f"KMS key policy, if the objects use SSE-KMS: {', '.join(kms)}")
    if f.operation in ("REST.PUT.OBJECT", "REST.COPY.OBJECT", "REST.PUT.ACL"):
        checks.append(
            "Object Ownership: an ACL other than bucket-owner-full-control fails when "
            "ACLs are disabled"
        )
    if f.operation in ("REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.GET.OBJECT_ATTRIBUTES"):
        checks.append(
            "the key may not exist: S3 answers 403 instead of 404 when the principal "
            "lacks s3:ListBucket"
        )
    if f.operation in ("REST.COPY.OBJECT", "REST.COPY.PART"):
        checks.append("the copy source also needs s3:GetObject (see its REST.COPY.OBJECT_GET rows)")
    if f.principal_type == "anonymous":
        checks.append("Block Public Access settings of the bucket and the account")
    if row["presigned"]:
        checks.append("presigned URLs: an expired URL is also a 403 AccessDenied")
    return checks


def _resource(row: dict[str, Any], object_level: bool) -> str:
    """The ARN the finding covers: the bucket, its one key, or the keys' common prefix (for a
    Transfer Family user cut back to a folder: usually the user's home directory)."""
    arn = f"arn:{_partition(row['principal_arn'])}:s3:::{row['bucket']}"
    if not object_level:
        return arn
    if row["key_total"] == 1:
        return f"{arn}/{row['key_max']}"
    prefix = _common_prefix(row["key_min"] or "", row["key_max"] or "")
    if row["transfer_user"]:
        prefix = prefix[: prefix.rfind("/") + 1]
    return f"{arn}/{prefix}*"


def _operation(operations: list[str], family: str) -> str:
    return family if family in operations else operations[0]


def _actions(operations: list[str], object_level: bool, versioned: bool) -> list[str]:
    """The actions the family's operations need, in order, each once."""
    needed = (iam_actions(op, object_level=object_level, versioned=versioned) for op in operations)
    return list(dict.fromkeys(a for actions in needed for a in actions))


def _finding(
    row: dict[str, Any], transfer: list[str] | None = None, trail: list[str] | None = None
) -> Finding:
    operations = sorted(op for op in row["operations"] if op)
    operation = _operation(operations, row["operation_family"])
    object_level = any(is_object_operation(op, row["key_max"]) for op in operations)
    actions = _actions(operations, object_level, row["versioned"])
    sessions = sorted(s for s in (row["session_sample"] or []) if s is not None)
    finding = Finding(
        principal_arn=row["principal_arn"],
        principal_type=row["principal_type"],
        principal_name=row["principal_name"],
        principal_account=row["principal_account"],
        transfer_user=row["transfer_user"],
        transfer_session_id=sessions[0] if row["transfer_user"] and len(sessions) == 1 else None,
        transfer_server_id=row["transfer_server_id"],
        operation=operation,
        operations=operations,
        iam_actions=actions,
        bucket=row["bucket"],
        keys=sorted(k for k in (row["key_sample"] or []) if k is not None)[:KEY_LIMIT],
        key_total=row["key_total"],
        resource_arn=_resource(row, object_level),
        count=row["count"],
        session_total=row["session_total"],
        sessions=sessions[:SESSION_LIMIT],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        error_codes=sorted(c for c in row["error_codes"] if c),
        policy_statement=None,
    )
    if finding.grantable:
        finding.policy_statement = {
            "Effect": "Allow",
            "Action": actions,
            "Resource": [finding.resource_arn],
        }
    finding.transfer_events = transfer or []
    finding.cloudtrail_messages = trail or []
    finding.policy_layers = sorted(
        {p for m in finding.cloudtrail_messages if (p := policy_layer(m))}
    )
    finding.checks = _checks(finding, row)
    finding.reasoning = _reasoning(finding, row, object_level)
    return finding


def _reasoning(f: Finding, row: dict[str, Any], object_level: bool) -> list[str]:
    why = [
        f"{f.count} request(s) {', '.join(f.operations)} failed with "
        f"{', '.join(f.error_codes)} between {f.first_seen:%Y-%m-%d %H:%M:%S} and "
        f"{f.last_seen:%Y-%m-%d %H:%M:%S} UTC"
        + (f", in {f.session_total} sessions." if f.session_total > 1 else ".")
    ]
    if f.iam_actions:
        why.append(
            f"{f.operation} needs {', '.join(f.iam_actions)}"
            + (" (the requests named a versionId)." if row["versioned"] else ".")
        )
    else:
        why.append(f"{f.operation} is not in the operation table; no action is suggested.")
    if object_level and f.key_total > 1:
        where = "folder" if f.transfer_user else "prefix"
        why.append(f"{f.key_total} keys were denied; the resource covers their common {where}.")
    if f.transfer_user:
        why.append(
            f"Session names {f.transfer_user}.SESSION@{f.transfer_server_id} are Transfer "
            f"Family sessions of user {f.transfer_user}: the role acts for that user."
        )
    if not f.grantable and f.principal_type in ("anonymous", "aws-service", "canonical-user"):
        why.append(
            f"A {f.principal_type} requester has no identity policy, so no statement is "
            "suggested: a grant would go in the bucket policy, naming the principal."
        )
    for event in f.transfer_events:
        why.append(f"Transfer Family logged {event} for this session and object.")
    for message in f.cloudtrail_messages:
        why.append(f"CloudTrail's record of the same request says: {message}")
    if f.policy_layers:
        why.append(f"So the layer that denied is known: {', '.join(f.policy_layers)}.")
    else:
        why.append("The log cannot say which policy denied; check the layers listed.")
    return why


def denied(
    engine: Engine,
    window: Window | None = None,
    transfer_window: TransferWindow | None = None,
) -> Result[Finding]:
    """Authorization failures in the store, grouped, with what to grant and what to check.

    Transfer Family events and CloudTrail records in the store that join the denied rows add
    the SFTP operation and message, and CloudTrail's errorMessage (which may name the policy
    layer).
    """
    window = window or Window()
    sql = denied_sql(window)
    rows = engine.records(sql)
    codes = string_list(AUTH_FAILURES)
    key = (key_sql("a"), _KEY)
    transfer = transfer_errors(engine, window, codes, transfer_window or TransferWindow(), key)
    trail = cloudtrail_messages(engine, window, codes, key)
    findings = []
    for row in rows:
        key = tuple(row[k] for k in _KEY)
        findings.append(_finding(row, transfer.get(key), trail.get(key)))
    return Result(findings, sql=sql, columns=COLUMNS)
