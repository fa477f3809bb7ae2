"""The HTML report in headless Chromium (Debian's, driven by Playwright): charts render, no
script from the log runs, and no request leaves the page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from s3sleuth.reports.html import render_html, write_report
from s3sleuth.reports.summary import summary
from tests.conftest import REPO, engine, missing
from tests.reports.conftest import IMG_KEY, SCRIPT_UA

CHROMIUM = os.environ.get("S3SLEUTH_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / ".test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(report_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(
        summary(engine(report_store)), tmp_path_factory.mktemp("html") / "report.html"
    )


def test_log_markup_is_text_in_the_html(report: Path) -> None:
    text = report.read_text()
    assert SCRIPT_UA not in text  # never as markup
    assert "&lt;script&gt;window.__xss=1;alert(1)&lt;/script&gt;" in text
    assert '<img src=x onerror="window.__xss=2">' not in text
    assert "connect-src 'none'" in text and "http://" not in text.split("<script>", 1)[0]


def test_cost_and_usage_sections_with_their_sql(report: Path) -> None:
    text = report.read_text()
    costs = text.split("<h2>What it costs (an estimate)</h2>", 1)[1].split("<h2>", 1)[0]
    assert "prices of 2026-06-04" in costs and costs.count("<summary>SQL") == 2
    usage = text.split("<h2>Who reads which data</h2>", 1)[1]
    assert "top prefixes by downloads" in usage and "<summary>SQL" in usage


def test_audit_and_detections_section(report: Path) -> None:
    text = report.read_text()
    part = text.split("<h2>Audit and detections</h2>", 1)[1]
    assert "anonymous_writes" in part and part.count("<summary>SQL") >= 2


def test_every_chart_and_table_shows_its_sql(report: Path) -> None:
    text = report.read_text()
    charts = text.count('class="chart"') + text.count("class='chart'")
    assert text.count("<summary>SQL") >= charts and charts >= 9


def test_in_headless_chromium(report: Path) -> None:
    if not Path(CHROMIUM).exists():
        missing(CHROMIUM, "apt-get install chromium (.ci/run does), or set S3SLEUTH_CHROMIUM")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-rendered=yes]", timeout=30_000)
        charts = page.eval_on_selector_all(
            ".chart",
            "els => els.map(e => e.querySelectorAll("
            "'svg.main-svg path, svg.main-svg rect').length)",
        )
        xss = page.evaluate("window.__xss === undefined ? null : window.__xss")
        body = page.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        # sorting: a real re-sort of a table far down the page (its rows come in descending
        # requests), by a text column and back by requests
        table = page.locator("h3:has-text('top operations') ~ table").first
        shown = "tds => tds.map(td => td.textContent)"
        before = table.locator("tbody tr td:nth-child(1)").evaluate_all(shown)
        table.get_by_role("columnheader", name="value", exact=True).click()
        by_value = table.locator("tbody tr td:nth-child(1)").evaluate_all(shown)
        header = table.get_by_role("columnheader", name="requests", exact=True)
        header.click()
        header.click()
        first = table.locator("tbody tr").first.locator("td").nth(1).get_attribute("data-v")
        values = [
            int(v or 0)
            for v in table.locator("tbody tr td:nth-child(2)").evaluate_all(
                "tds => tds.map(td => td.dataset.v)"
            )
        ]
        shutil.copy(shot, report.with_suffix(".png"))
        browser.close()
    assert charts and all(n > 0 for n in charts), charts  # every chart drew SVG shapes
    assert xss is None and dialogs == []  # nothing from the log ran
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
    assert SCRIPT_UA in body and IMG_KEY.split("/")[0] in body  # shown, as text
    assert errors == []  # no script error, on any table
    assert len(before) > 2 and before != sorted(before) and by_value == sorted(before)
    assert values == sorted(values, reverse=True) and first == str(max(values))


def test_report_command_writes_the_file(report_store: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from s3sleuth.cli import cli

    out = tmp_path / "r.html"
    run = CliRunner().invoke(cli, ["report", "--html", str(out), "--store", str(report_store)])
    assert run.exit_code == 0, run.output
    assert out.read_text().startswith("<!doctype html>")


def test_unwritable_report_path_is_a_one_line_error(report_store: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from s3sleuth.cli import cli

    out = tmp_path / "missing-dir" / "r.html"
    run = CliRunner().invoke(cli, ["report", "--html", str(out), "--store", str(report_store)])
    assert run.exit_code == 2
    assert run.output.startswith(f"error: cannot write {out}") and "Traceback" not in run.output


def test_empty_window_renders(report_store: Path) -> None:
    from s3sleuth.window import Window

    page = render_html(summary(engine(report_store), Window.parse("2030-01-01", None, None)))
    assert "0 requests" in page


def test_a_cut_list_says_how_much_it_shows(report_store: Path) -> None:
    from s3sleuth.diagnose.result import Result
    from s3sleuth.reports import html as module

    s = summary(engine(report_store))
    assert s.findings
    s.findings = Result([s.findings[0]] * (module.FINDINGS_SHOWN + 5))
    page = module.render_html(s)
    assert f"Showing {module.FINDINGS_SHOWN} of {module.FINDINGS_SHOWN + 5} findings" in page


def test_direction_overrides_never_reach_the_page(report_store: Path) -> None:
    from s3sleuth.reports.html import render_html

    s = summary(engine(report_store))
    s.tops[0].rows[0]["value"] = "invoice\u202egpj.exe"
    page = render_html(s)
    assert "\u202e" not in page and "invoice\\u202egpj.exe" in page
