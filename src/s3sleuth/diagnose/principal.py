"""Who made a request, without the session it was made in (diagnostics.md §6).

An assumed role's requester carries its session (`…:assumed-role/app/i-0123…` per instance,
`…/test1.03bf7ddc20e33b8c@s-…` per SFTP session), so grouping by the requester splits one
principal into as many groups as it had sessions. `principal_arn_sql` names the role itself,
as a policy would (`arn:aws:iam::ACCT:role/NAME`); every other requester is already
session-free. The role's path is not in the log, so a role created under a path shows
without it. The SQL reads only stored columns: no regular expression runs per row.
"""

from __future__ import annotations


def principal_arn_sql(alias: str = "") -> str:
    """Athena SQL: the requester without its session (the role's ARN for an assumed role)."""
    a = f"{alias}." if alias else ""
    return (
        f"CASE WHEN {a}principal_type = 'assumed-role' THEN concat('arn:', "
        f"split_part({a}requester, ':', 2), ':iam::', {a}principal_account, ':role/', "
        f"{a}principal_name) ELSE {a}requester END"
    )


def session_sql(alias: str = "") -> str:
    """Athena SQL: the session a request belongs to (a Transfer Family session id, else the
    role session name), NULL for principals without sessions."""
    a = f"{alias}." if alias else ""
    return f"coalesce({a}transfer_session_id, {a}session_name)"
