"""`s3sleuth report --html FILE`: one self-contained HTML file that opens with no network.

Charts are drawn by Plotly.js, embedded whole (the `html` extra installs it with the `plotly`
package); the page's data is the SQL aggregates of `summary`, so it stays small for any store.

Log fields are written by whoever sent the request, so nothing from the log reaches the page
as markup: tables are escaped here, chart data travels as JSON in a non-executable script
element (with `<`, `>` and `&` escaped), and chart labels are entity-escaped before Plotly
(which understands a few tags in labels) sees them. A Content-Security-Policy forbids any
request from the page.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from s3sleuth.errors import MissingExtraError, UsageError
from s3sleuth.output import scrub
from s3sleuth.reports.summary import Section, Summary
from s3sleuth.reports.terminal import decimal
from s3sleuth.reports.tops import COST_COLUMNS, USAGE_COLUMNS
from s3sleuth.values import jsonable

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'"
)
STYLE = """
body{font:14px system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;text-align:left}
th{cursor:pointer;background:#f3f4f6;user-select:none}tr:nth-child(even) td{background:#fafafa}
td.n{text-align:right;font-variant-numeric:tabular-nums}details{margin:.3rem 0 1rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:12px}.chart{height:340px}
.finding{border-left:3px solid #d1242f;padding-left:.8rem;margin:1rem 0}
"""
SCRIPT = """
const DATA = JSON.parse(document.getElementById('report-data').textContent);
const esc = s => String(s).replace(/&/g,'&amp;').replace(/</g,'&lt;').replace(/>/g,'&gt;');
const layout = (extra) => Object.assign({margin:{t:30,r:20,b:40,l:60}}, extra);
const opts = {displayModeBar:false, responsive:true, staticPlot:false};
const s = DATA.series;
Plotly.newPlot('chart-traffic', [
  {x:s.map(r=>r.time), y:s.map(r=>r.requests), type:'bar', name:'requests'},
  {x:s.map(r=>r.time), y:s.map(r=>r.errors), type:'scatter', mode:'lines', name:'errors',
   line:{color:'#d1242f'}},
], layout({barmode:'overlay', legend:{orientation:'h'}}), opts);
Plotly.newPlot('chart-network', [{labels:DATA.network.map(r=>esc(r.network_path)),
  values:DATA.network.map(r=>r.requests), type:'pie', hole:.4}], layout({}), opts);
DATA.tops.forEach((t, i) => {
  const rows = t.rows.slice().reverse();
  Plotly.newPlot('chart-top-' + i, [{y:rows.map(r=>esc(r.value)), x:rows.map(r=>r.requests),
    type:'bar', orientation:'h'}], layout({margin:{t:10,r:20,b:30,l:220}}), opts);
});
document.querySelectorAll('table.sortable th').forEach(th => th.addEventListener('click',
  () => {
    const col = th.cellIndex;  // the column within its own table
    const body = th.closest('table').tBodies[0];
    const rows = Array.from(body.rows);
    const dir = th.dataset.dir === 'asc' ? -1 : 1;
    th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    const key = r => { const c = r.cells[col]; return c.dataset.v !== undefined ?
      Number(c.dataset.v) : c.textContent; };
    rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * dir);
    rows.forEach(r => body.appendChild(r));
  }));
document.body.dataset.rendered = 'yes';
"""


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtraError("plotly", "html") from None
    return str(get_plotlyjs()).replace("</script", "<\\/script")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element or open another."""
    text = json.dumps(_scrubbed(jsonable(data)), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _h(text: str) -> str:
    """Escaped for HTML, with control characters and Unicode direction overrides shown as
    escapes (a key like `invoice\u202egpj.exe` would otherwise display reordered)."""
    return html.escape(scrub(text))


def _scrubbed(data: Any) -> Any:
    if isinstance(data, str):
        return scrub(data)
    if isinstance(data, dict):
        return {k: _scrubbed(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrubbed(v) for v in data]
    return data


def _sql(section: Section) -> str:
    return (
        "<details><summary>SQL (Athena; run it with s3sleuth query)</summary>"
        f"<pre>{_h(section.sql)}</pre></details>"
    )


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            if isinstance(value, int | float) and not isinstance(value, bool):
                shown = decimal(value) if isinstance(value, float) else f"{value:,}"
                cells.append(f'<td class="n" data-v="{value}">{shown}</td>')
            else:
                text = ", ".join(map(str, value)) if isinstance(value, list) else value
                cells.append(f"<td>{_h('' if text is None else str(text))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


FINDINGS_SHOWN = 20


def _findings(s: Summary) -> str:
    if not s.findings:
        return "<p>No authorization failures.</p>"
    out = []
    if len(s.findings) > FINDINGS_SHOWN:
        out.append(
            f"<p>Showing {FINDINGS_SHOWN} of {len(s.findings)} findings, most requests first "
            "(all of them: <code>s3sleuth denied</code>).</p>"
        )
    for f in s.findings[:FINDINGS_SHOWN]:
        policy = _h(json.dumps(f.policy_statement, indent=2))
        statement = (
            f"<p>Policy statement to grant:</p><pre>{policy}</pre>" if f.policy_statement else ""
        )
        checks = "".join(f"<li>{_h(c)}</li>" for c in f.checks)
        evidence = f"<p>Evidence: {_h(f.evidence)}</p>" if f.evidence else ""
        out.append(
            f'<div class="finding"><p><b>{_h(f.summary)}</b> '
            f"({f.count} requests, {_h(', '.join(f.error_codes))})</p>"
            f"{evidence}{statement}<p>Also check:</p><ul>{checks}</ul></div>"
        )
    return "".join(out)


DETECTIONS_SHOWN = 50


def _audit(s: Summary) -> str:
    """The audit headlines, and the detect findings (most severe first)."""
    out = []
    if s.audit is not None and s.audit.rows:
        out.append(_table(s.audit.rows, list(s.audit.rows[0])) + _sql(s.audit))
    rows = [{k: f[k] for k in ("severity", "rule", "summary", "requests", "first_seen")}
            for f in s.detections[:DETECTIONS_SHOWN]]  # fmt: skip
    if len(s.detections) > DETECTIONS_SHOWN:
        out.append(f"<p>Showing {DETECTIONS_SHOWN} of {len(s.detections)} detections, most "
                   "severe first (all of them: <code>s3sleuth detect</code>).</p>")  # fmt: skip
    if rows:
        out.append(_table(rows, list(rows[0])))
    else:
        out.append("<p>No detection rule found anything.</p>")
    out.append(_sql(Section("detect", s.detections.sql, [])))
    return "".join(out)


def _usage(s: Summary) -> str:
    if s.usage is None:
        return ""
    columns = list(USAGE_COLUMNS)
    return f"<h3>{_h(s.usage.title)}</h3>" + _table(s.usage.rows, columns) + _sql(s.usage)


def render_html(s: Summary) -> str:
    t = s.totals.rows[0] if s.totals.rows else {}
    data = {
        "series": s.series.rows,
        "network": s.network.rows,
        "tops": [{"title": x.title, "rows": x.rows} for x in s.tops],
    }
    tops = "".join(
        f"<h3>{_h(x.title)}</h3><div class='chart' id='chart-top-{i}'></div>"
        + _table(x.rows, ["value", "requests", "bytes_sent", "errors"])
        + _sql(x)
        for i, x in enumerate(s.tops)
    )
    network_rows = [
        {k: r[k] for k in ("principal_name", "bucket", "requests", "public_requests", "verdict")}
        for r in s.network_rows
    ]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>s3sleuth report</title><style>{STYLE}</style>
<script>{_plotly_js()}</script></head>
<body>
<h1>S3 access logs: s3sleuth report</h1>
<p>Generated {generated}. {t.get("requests", 0):,} requests from
{_h(str(t.get("first_seen")))} to {_h(str(t.get("last_seen")))}.</p>
{_table(s.totals.rows, list(s.totals.rows[0]) if s.totals.rows else [])}{_sql(s.totals)}
<h2>Traffic and errors per {_h(s.step)}</h2>
<div class="chart" id="chart-traffic"></div>{_sql(s.series)}
<h2>Network path</h2><div class="chart" id="chart-network"></div>
{_table(s.network.rows, ["network_path", "requests"])}{_sql(s.network)}
<h2>Latency (ms)</h2>{_table(s.latency.rows, ["measure", "p50", "p95", "p99"])}{_sql(s.latency)}
<h2>Who was denied, and what is missing</h2>{_findings(s)}
{_sql(Section("denied", s.findings_sql, []))}
<h2>Traffic from public addresses</h2>
{_table(network_rows, ["principal_name", "bucket", "requests", "public_requests", "verdict"])}
{_sql(Section("network", s.network_sql, []))}
<h2>Top N</h2>{tops}
<h2>What it costs (an estimate)</h2>
<p>Requests by billing tier and internet egress, priced as S3 Standard; the assumptions are
those of <code>s3sleuth cost</code>, which prints them.</p>
{
        "".join(
            f"<h3>{_h(x.title)}</h3>" + _table(x.rows, ["value", *COST_COLUMNS]) + _sql(x)
            for x in s.costs
        )
    }
<h2>Who reads which data</h2>
{_usage(s)}
<h2>Audit and detections</h2>
{_audit(s)}
<script type="application/json" id="report-data">{_json_for_script(data)}</script>
<script>{SCRIPT}</script>
</body></html>
"""


def write_report(s: Summary, path: Path) -> Path:
    page = render_html(s)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as err:
        raise UsageError(
            f"cannot write {path}: {err.strerror}", hint="choose a writable file path"
        ) from None
    return path
