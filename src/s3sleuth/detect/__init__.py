"""`s3sleuth detect`: a pack of detection rules over the access log, and your own.

A rule is one `.sql` file: a header of `-- key: value` lines (`name`, `severity` low, medium
or high, `description`, `mitre`, an ATT&CK technique, where one fits, and `keys`, what its
findings carry), then one Athena
SELECT whose rows are findings: `summary`, `principal_arn`, `bucket`, `first_seen`,
`last_seen`, `requests`, `evidence` (a few request ids), and any other keys it wants. In the
SQL, `$window` is the window's condition and `$before` the time before it (the baseline of
rules that learn what is usual; false when the window has no start), `$a_window` the same
for alias `a`, `$principal_arn` the principal without its session (`$a_principal_arn` for
alias `a`), and every threshold of the config (`$reads_per_source`, …) its value.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s3sleuth.detect.config import Config
from s3sleuth.diagnose.principal import principal_arn_sql
from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.errors import UsageError
from s3sleuth.window import Window

BUILT_IN = Path(__file__).parent / "rules"
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    description: str
    mitre: str | None
    sql: str
    path: Path
    keys: tuple[str, ...] = ()  # what its findings carry (`-- keys:`), checked as it runs

    @classmethod
    def load(cls, path: Path) -> Rule:
        header: dict[str, str] = {}
        body: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not body and line.startswith("-- ") and ":" in line:
                key, _, value = line[3:].partition(":")
                header[key.strip()] = value.strip()
            else:
                body.append(line)
        missing = [k for k in ("name", "severity", "description") if k not in header]
        if missing or header.get("severity") not in SEVERITIES:
            what = f"lacks {', '.join(missing)}" if missing else "has no severity low/medium/high"
            raise UsageError(
                f"rule {path} {what}",
                hint="start a rule with -- name:, -- severity:, -- description: lines",
            )
        keys = tuple(k.strip() for k in header.get("keys", "").split(",") if k.strip())
        return cls(
            header["name"],
            header["severity"],
            header["description"],
            header.get("mitre"),
            "\n".join(body).strip(),
            path,
            keys,
        )

    def query(self, window: Window, config: Config) -> str:
        """The rule's SQL for `window`, with the config's values."""
        # the baseline: the same bucket, up to the window's start (none without a start)
        before = (
            Window(until=window.since, bucket=window.bucket).where() if window.since else "FALSE"
        )
        values = {
            "window": window.where(),
            "a_window": window.where("a"),
            "before": before,
            "principal_arn": principal_arn_sql(),
            "a_principal_arn": principal_arn_sql("a"),
            **config.placeholders(),
        }
        return string.Template(self.sql).safe_substitute(values)


def rules(directory: str | Path | None = None) -> list[Rule]:
    """The built-in pack, plus (and overridden by name by) the rules in `directory`."""
    found = {r.name: r for r in map(Rule.load, sorted(BUILT_IN.glob("*.sql")))}
    if directory is not None:
        path = Path(directory)
        if not path.is_dir():
            raise UsageError(
                "{rules} " + f"{path} is not a directory", hint="give a folder of .sql rules",
                params=("rules",),
            )  # fmt: skip
        found.update({r.name: r for r in map(Rule.load, sorted(path.glob("*.sql")))})
    return sorted(found.values(), key=lambda r: r.name)


class DetectReport(Result[Row]):
    """Findings, most severe first, and the rules that ran."""

    def __init__(self, items: list[Row], *, sql: str, ran: list[Rule]) -> None:
        super().__init__(items, sql=sql, columns=COLUMNS)
        self.rules = ran

    def at_least(self, severity: str) -> list[Row]:
        floor = SEVERITIES.index(severity)
        return [r for r in self if SEVERITIES.index(r["severity"]) >= floor]


COLUMNS = ("severity", "rule", "summary", "requests", "first_seen", "last_seen")


def _allowed(row: dict[str, Any], config: Config) -> bool:
    principal = row.get("principal_arn") or ""
    names = {principal, principal.rsplit("/", 1)[-1]}
    return bool(names & set(config.allow_principals)) or (
        row.get("remote_ip") in set(config.allow_addresses)
    )


def detect(
    engine: Engine,
    window: Window | None = None,
    *,
    config: Config | None = None,
    rules_dir: str | Path | None = None,
) -> DetectReport:
    """Every rule's findings in the window, high severity first."""
    window, config = window or Window(), config or Config()
    ran = rules(rules_dir)
    found: list[Row] = []
    shown = []
    for rule in ran:
        if window.since is None and "$before" in rule.sql:
            continue  # no data before the window: nothing to learn what is usual from
        sql = rule.query(window, config)
        shown.append(f"-- {rule.name} ({rule.severity})\n{sql}")
        for row in rows(engine.records(sql)):
            missing = [k for k in rule.keys if k not in row]
            if missing:
                raise UsageError(
                    f"rule {rule.name} gives no {', '.join(missing)}",
                    hint=f"its SELECT must return the keys its -- keys: line names ({rule.path})",
                )
            if _allowed(row, config):
                continue
            row["evidence"] = [e for e in (row.get("evidence") or []) if e is not None]
            out = Row(rule=rule.name, severity=rule.severity, mitre=rule.mitre)
            out.update(row)
            found.append(out)
    found.sort(key=lambda r: (-SEVERITIES.index(r["severity"]), r["rule"], -r["requests"]))
    return DetectReport(found, sql=";\n\n".join(shown), ran=ran)


__all__ = ["BUILT_IN", "Config", "DetectReport", "Rule", "detect", "rules"]
