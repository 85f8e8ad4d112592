"""The dashboard in a real headless browser: Debian's chromium (`make browser` installs
it) driven by Playwright, against `crm serve` on a stack of its own after a short backfill.

The page loads with data, each of the seven charts renders (a canvas of non-zero size,
Chart.js reporting drawn data points), the live figures are filled in, amounts are in
INR with Indian digit grouping, and the browser logs no error. Screenshots are kept in
tests/artifacts/ (gitignored): `dashboard.png` (the whole page) and
`dashboard-laptop.png` (what a 1366x768 laptop shows first; docs/img/ has one).

The history ends now and starts a few days before the current fiscal quarter, so that
the seed queries' windows (last 90 / 30 days, quarterly forecasts, completed campaigns)
all have rows. CRM_DASHBOARD_DAYS / CRM_DASHBOARD_SCALE make it bigger (the README's
screenshot: 180 days at scale 1, as `crm demo`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_support import ANALYST, Api, own_stack, serving
from playwright.sync_api import ConsoleMessage, Page, sync_playwright
from rich.console import Console

from backfill.generate import BackfillPlan
from backfill.run import run_backfill
from crm.bootstrap import Services
from domain.calendars.fiscal import period_bounds, periods_of
from domain.rules_config import DEFAULT_RULES
from localstack import StackInfo

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).with_name("artifacts")
REPORTS = ("lead-funnel", "pipeline", "rep-performance", "account-health",
           "forecast-accuracy", "campaign-roi", "case-sla")
# as tests/support.py's probe found: without the background services off, chromium's
# connections are refused by a closed network, many at a time
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """Debian's chromium, or a loud skip (a failure under CI, where it must run)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = ("THE DASHBOARD BROWSER TEST DID NOT RUN: no chromium on PATH. Install it "
              "with `make browser` (apt-get install chromium; `make test` does this).")
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def history_days(now: datetime, minimum: int = 45) -> int:
    """Days from a little before the current fiscal quarter's start (its forecast is
    called on its first business day) to now, and at least `minimum`."""
    quarter = periods_of(now.date(), DEFAULT_RULES.fiscal)[1]
    start = period_bounds(quarter, DEFAULT_RULES.fiscal)[0]
    return max(minimum, (now.date() - start).days + 4)


@pytest.fixture(scope="module")
def backfilled(stack: StackInfo) -> Iterator[Services]:
    """A stack of its own after a short backfill ending now."""
    now = datetime.now(UTC)
    days = int(os.environ.get("CRM_DASHBOARD_DAYS", history_days(now)))
    scale = float(os.environ.get("CRM_DASHBOARD_SCALE", "0.15"))
    with own_stack(stack, "crm-dash-") as services:
        run_backfill(services, BackfillPlan.ending(days, 7, None, scale, now=now),
                     Console(file=io.StringIO()))
        yield services


@pytest.fixture(scope="module")
def dashboard(backfilled: Services) -> Iterator[Api]:
    """`crm serve` as on 127.0.0.1 by default: local requests need no key."""
    with serving(backfilled, local_dashboard=True) as api:
        yield api


@contextlib.contextmanager
def browser_page() -> Iterator[Page]:
    """A page of headless chromium at laptop size."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1366, "height": 768})
        finally:
            browser.close()


def _charts(page: Page) -> dict[str, dict[str, Any]]:
    """Per chart: its canvas's size and the data points Chart.js laid out."""
    return page.evaluate("""() => Object.fromEntries(
        Object.entries(window.crmDashboard.charts).map(([name, chart]) => {
            const box = chart.canvas.getBoundingClientRect();
            const points = chart.data.datasets.reduce(
                (n, _, i) => n + chart.getDatasetMeta(i).data.length, 0);
            return [name, {width: box.width, height: box.height, points}];
        }))""")


def test_the_dashboard_shows_the_seven_reports_as_charts_with_live_figures(
    dashboard: Api,
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    with browser_page() as page:
        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and problems.append(
            f"HTTP {r.status}: {r.url}"))
        page.goto(dashboard.base + "/")  # no key: a local request on a loopback server
        page.wait_for_selector("body[data-state=ready]", timeout=30_000)
        charts = _charts(page)
        tiles = {name: page.inner_text(f"#{name}") for name in
                 ("events", "core_lag", "projector_lag", "dead_letters")}
        # the second poll (5 s later) has a rate (no wait_for_function: the page's
        # CSP forbids the eval it uses)
        page.wait_for_selector("#events_per_s:not(:has-text('measuring'))",
                               timeout=15_000)
        formats = page.evaluate("""() => [crmFormat.inr("12345678"),
            crmFormat.inr("99999.50"), crmFormat.inrShort("123456789"),
            crmFormat.inrShort("450000"), crmFormat.inr("-1234.4")]""")
        amounts = page.locator("#report-pipeline td.n").all_inner_texts()
        page.screenshot(path=ARTIFACTS / "dashboard-laptop.png")
        page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)

    assert sorted(charts) == sorted(REPORTS)
    for name, chart in charts.items():
        assert chart["width"] > 200 and chart["height"] > 100, (name, chart)
        assert chart["points"] > 0, f"{name}: no data points drawn"
    assert int(tiles["events"].replace(",", "")) > 10_000, tiles
    assert (tiles["core_lag"], tiles["projector_lag"], tiles["dead_letters"]) == \
        ("0", "0", "0")  # the backfill is folded and projected, and nothing went wrong
    assert formats == ["₹1,23,45,678", "₹1,00,000", "₹12.3 cr", "₹4.5 lakh", "-₹1,234"]
    assert any(a.startswith("₹") and "," in a for a in amounts), amounts
    assert problems == []
    pipeline = dashboard.analyst.get("/v1/reports/pipeline").json()
    assert len(pipeline["rows"]) == len(amounts) // 5  # five numeric columns a stage


def test_crm_status_live_reads_the_same_figures_as_the_dashboard(dashboard: Api) -> None:
    from typer.testing import CliRunner

    from crm.cli import app

    shown = CliRunner().invoke(app, ["status", "--live", "--json"])  # this stack's env
    assert shown.exit_code == 0, shown.output
    live = json.loads(shown.output.strip().splitlines()[-1])["live"]
    served = dashboard.analyst.get("/v1/status").json()
    assert live["events"] == served["events"] > 10_000
    assert (live["commands"], live["core_lag"], live["projector_lag"], live["dead_letters"]) \
        == (served["commands"], 0, 0, 0)
    assert live["events_per_s"] is None  # one sample has no rate


def test_a_server_not_on_loopback_asks_for_the_analyst_key_and_then_shows_the_reports(
    backfilled: Services,
) -> None:
    with serving(backfilled, local_dashboard=False) as api, browser_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(api.base + "/")
        page.wait_for_selector("body[data-state=needs-key]", timeout=30_000)
        assert page.is_visible("#key-form")
        page.fill("#key", "not-a-key")
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("body[data-state=needs-key]", timeout=10_000)
        page.fill("#key", ANALYST)
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("body[data-state=ready]", timeout=30_000)
        drawn = sorted(_charts(page))
        stored = page.evaluate("() => sessionStorage.getItem('crm-api-key')")
        assert page.is_hidden("#key-form")
    assert drawn == sorted(REPORTS)
    assert stored == ANALYST and errors == []


def test_a_past_day_shows_the_reports_as_they_stood_then_in_a_link_that_can_be_shared(
    dashboard: Api,
) -> None:
    today = datetime.now(UTC).date()
    day = (today - timedelta(days=10)).isoformat()
    errors: list[str] = []
    with browser_page() as page:
        reports_asked: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda r: "/v1/reports/" in r.url and reports_asked.append(r.url))
        page.goto(f"{dashboard.base}/?as_of={day}")  # a shared link to a past day
        page.wait_for_selector("body[data-state=ready]", timeout=60_000)
        shown_day, label = page.input_value("#as-of-date"), page.inner_text("#as-of")
        past = page.locator("#report-pipeline td.n").all_inner_texts()
        page.click("#to-now")
        page.wait_for_selector("body[data-state=ready]:not(.past)", timeout=30_000)
        live = page.locator("#report-pipeline td.n").all_inner_texts()
        url_after = page.url
        page.fill("#as-of-date", (today + timedelta(days=2)).isoformat())
        page.wait_for_selector("body[data-state=error]", timeout=30_000)
        refusal = page.inner_text("#error")

    assert shown_day == day and day in label, label
    assert len(reports_asked) >= 2 * len(REPORTS)
    assert all(f"as_of={day}" in url for url in reports_asked[:len(REPORTS)]), reports_asked
    expected = dashboard.analyst.get(f"/v1/reports/pipeline?as_of={day}").json()["rows"]
    assert len(past) == 5 * len(expected) > 0  # five numeric columns a stage
    assert past != live, "ten days of a business changed nothing in its pipeline"
    assert "as_of" not in url_after
    assert "HTTP 422" in refusal and "future" in refusal, refusal
    assert errors == []
