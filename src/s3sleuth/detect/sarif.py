"""Detect findings as SARIF 2.1.0, the format code-scanning tools read."""

from __future__ import annotations

from typing import Any

from s3sleuth.values import jsonable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"high": "error", "medium": "warning", "low": "note"}


def sarif(report: Any, version: str) -> dict[str, Any]:
    """One run: the rules that ran as the tool's rules, each finding a result."""
    rules = [
        {
            "id": rule.name,
            "name": rule.name,
            "shortDescription": {"text": rule.description},
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"severity": rule.severity, "mitre": rule.mitre}
            | ({"tags": [rule.mitre]} if rule.mitre else {}),
        }
        for rule in report.rules
    ]
    index = {rule.name: i for i, rule in enumerate(report.rules)}
    results = [
        {
            "ruleId": finding["rule"],
            "ruleIndex": index[finding["rule"]],
            "level": _LEVEL[finding["severity"]],
            "message": {"text": finding["summary"]},
            "locations": [
                {
                    "logicalLocations": [
                        {"name": finding.get("bucket") or "", "kind": "resource"},
                    ]
                }
            ],
            "properties": jsonable(
                {k: v for k, v in finding.items() if k not in ("rule", "summary")}
            ),
        }
        for finding in report
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "s3sleuth",
                        "version": version,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
