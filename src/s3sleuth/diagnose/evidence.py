"""What the Transfer Family and CloudTrail logs add to the access log's denials.

Both are keyed by the grouping of `denied` findings: the caller passes the SELECT list of its
key over access-log alias `a`, and the names in it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from s3sleuth.engines import Engine
from s3sleuth.views.joins import TransferWindow, cloudtrail_condition
from s3sleuth.window import Window

Key = tuple[object, ...]

# The enhanced AccessDenied messages of 2024 name the policy type (diagnostics.md §2.6).
_NO_ALLOW = re.compile(r"because no (?P<type>[\w -]+?) policy allows")
_DENY = re.compile(r"with an explicit deny in an? (?P<type>[\w -]+?) policy")


def policy_layer(message: str) -> str | None:
    """`no identity-based policy allows it` / `explicit deny in a resource-based policy`."""
    if match := _DENY.search(message):
        return f"explicit deny in a {match['type']} policy"
    if match := _NO_ALLOW.search(message):
        return f"no {match['type']} policy allows it"
    return None


def transfer_errors(
    engine: Engine, window: Window, codes: str, tw: TransferWindow, key: tuple[str, Sequence[str]]
) -> dict[Key, list[str]]:
    """Per denied group, the Transfer Family errors that join its rows:
    `CLOSE /bucket/test.py "Access denied"`."""
    rows = engine.records(
        f"""SELECT DISTINCT {key[0]},
  coalesce(t.operation, t.activity_type) AS what, t.path, t.message
FROM access_log a JOIN transfer_events t ON {tw.condition()}
WHERE a.error_code IN ({codes}) AND {window.where("a")} AND t.message IS NOT NULL
ORDER BY what, t.path, t.message"""
    )
    out: dict[Key, list[str]] = {}
    for r in rows:
        text = " ".join(p for p in (r["what"], r["path"], f'"{r["message"]}"') if p)
        out.setdefault(tuple(r[k] for k in key[1]), []).append(text)
    return out


def cloudtrail_messages(
    engine: Engine, window: Window, codes: str, key: tuple[str, Sequence[str]]
) -> dict[Key, list[str]]:
    """Per denied group, the distinct `errorMessage`s of the joined CloudTrail records."""
    rows = engine.records(
        f"""SELECT DISTINCT {key[0]}, c.error_message
FROM access_log a JOIN cloudtrail_events c ON {cloudtrail_condition()}
WHERE a.error_code IN ({codes}) AND {window.where("a")} AND c.error_message IS NOT NULL
ORDER BY c.error_message"""
    )
    out: dict[Key, list[str]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in key[1]), []).append(r["error_message"])
    return out
