"""`s3sleuth demo`: the bundled samples ingested, and each diagnosis's headline answer."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from s3sleuth.cli.base import _ingest_summary
from s3sleuth.diagnose.result import as_rows
from s3sleuth.output import emit_rows

SESSION = "03bf7ddc20e33b8c"  # the samples' Transfer Family session
DELIVERIES = """SELECT delivery, count(*) AS requests, min(time) AS first, max(time) AS last
FROM access_log GROUP BY delivery ORDER BY first"""


def _table(rows: list[dict[str, object]], console: Console) -> None:
    emit_rows(as_rows(rows), "table", console=console)


def demo(path: Path, console: Console) -> None:
    import s3sleuth
    from s3sleuth.diagnose.clients import families
    from s3sleuth.samples import LOGS

    with s3sleuth.open(path, create=True) as store:
        console.print(_ingest_summary(store.ingest(str(LOGS))), highlight=False, markup=False)
        console.rule("Text log files and CloudWatch Logs records, in one store")
        emit_rows(store.rows(DELIVERIES), "table", console=console)
        console.rule("Who was denied, and what is missing (s3sleuth denied)")
        findings = store.denied()[:5]
        rows = [
            {"finding": f.summary, "requests": f.count, "evidence": f.evidence} for f in findings
        ]
        _table(rows, console)
        console.rule("VPC endpoint or internet (s3sleuth network)")
        mixed = [r for r in store.network() if r["public_requests"]][:5]
        keys = ("principal_name", "bucket", "verdict")
        _table([{k.removesuffix("_name"): r[k] for k in keys} for r in mixed], console)
        console.rule(f"One SFTP session in all three logs (s3sleuth explain --session {SESSION})")
        timeline = store.explain(session=SESSION)[:6]
        _table([{k: r[k] for k in ("time", "source", "event")} for r in timeline], console)
        console.rule("Which clients (s3sleuth clients)")
        _table([dict(r) for r in families(store.clients())], console)
