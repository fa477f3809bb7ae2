"""`s3sleuth summary`: the overview in a terminal, with sparklines and top-N tables.

Every string from the log passes through `scrub`, so a log line cannot carry escape
sequences to the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from s3sleuth.output import scrub
from s3sleuth.reports.summary import Section, Summary
from s3sleuth.reports.tops import USAGE_COLUMNS

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 60) -> str:
    """`values` squeezed into `width` columns (bucket maxima), one block character each."""
    if not values:
        return ""
    if len(values) > width:
        size = len(values) / width
        values = [
            max(values[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)])
            for i in range(width)
        ]
    top = max(values) or 1
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in values)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def decimal(value: float) -> str:
    """A float in plain digits, never scientific notation: 0.000052, 12.33, 0."""
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def _cell(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return decimal(value)
    return scrub("" if value is None else str(value))


def _table(section: Section, columns: list[str], title: str | None = None) -> Table:
    table = Table(title=title or section.title, title_justify="left", expand=False)
    for column in columns:
        table.add_column(
            column,
            justify="left"
            if column in ("value", "measure", "network_path", "bucket", "prefix")
            else "right",
        )
    for row in section.rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    return table


def render(s: Summary, console: Console) -> None:
    if s.empty:
        console.print("No requests in the store for this window.", highlight=False)
        return
    t = s.totals.rows[0]
    console.print(
        Text(
            f"{t['requests']:,} requests, {human_bytes(t['bytes_sent'])} sent, "
            f"{t['errors']:,} errors ({t['error_rate_pct']}%), {t['buckets']} buckets, "
            f"{t['principals']} principals, {t['first_seen']:%Y-%m-%d %H:%M} to "
            f"{t['last_seen']:%Y-%m-%d %H:%M} UTC"
        )
    )
    rows = s.series.rows
    width = max(20, min(80, console.width - 22))
    for label, key in (
        ("requests", "requests"),
        ("bytes", "bytes_sent"),
        ("error rate", "error_rate_pct"),
    ):
        line = sparkline([float(r[key] or 0) for r in rows], width)
        console.print(Text(f"{label:>10} per {s.step:<6} {line}"))
    console.print()
    console.print(_table(s.latency, ["measure", "p50", "p95", "p99"]))
    console.print(_table(s.network, ["network_path", "requests"]))
    for section in s.tops:
        console.print(_table(section, ["value", "requests", "bytes_sent", "errors"]))
    for section in s.costs:
        console.print(_table(section, ["value", "requests", "bytes_out_internet", "usd_total"]))
    if s.usage is not None:
        console.print(_table(s.usage, list(USAGE_COLUMNS)))
    console.print(Text("Headline findings", style="bold"))
    lines = [f"denied: {scrub(f.summary)} ({f.count} requests)" for f in s.findings[:5]]
    lines += [
        f"network: {scrub(r['principal_name'] or r['principal_arn'] or 'anonymous')} on "
        f"{scrub(r['bucket'] or '')}: {scrub(r['verdict'])}"
        for r in s.network_rows[:5]
    ]
    families: dict[str, int] = {}
    for r in s.client_rows:
        families[r["client"] or "unknown"] = (
            families.get(r["client"] or "unknown", 0) + r["requests"]
        )
    top = sorted(families.items(), key=lambda kv: -kv[1])[:5]
    lines.append("clients: " + ", ".join(f"{scrub(k)} {v:,}" for k, v in top))
    if s.audit is not None and s.audit.rows:
        counts = s.audit.rows[0]
        lines.append("audit: " + ", ".join(f"{k.replace('_', '-')} {int(v or 0):,}"
                                           for k, v in counts.items()))  # fmt: skip
    by_severity = {
        level: sum(1 for f in s.detections if f["severity"] == level)
        for level in ("high", "medium", "low")
    }
    lines.append("detect: " + ", ".join(f"{n} {level}" for level, n in by_severity.items()))
    lines += [f"detect: [{f['severity']}] {scrub(f['summary'])}" for f in s.detections[:5]]
    console.print(Group(*(Text(f"- {line}") for line in lines)))
