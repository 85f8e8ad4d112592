"""The dashboard's edge without servers: the page and its files are served (Chart.js
from the package, no CDN), and who may read its figures without a key.

The app runs without its lifespan; `/v1/status` reads a stand-in for the live figures.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterator

import pytest

from api.access import host_name, is_loopback
from api.app import create_app
from api.auth import KeyRing
from api.dashboard import STATIC
from operations.live_figures import Figures

with warnings.catch_warnings():  # starlette's TestClient asks for httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ANALYST, WRITER = "a-key-456", "w-key-123"
FIGURES = Figures(at=1.0, events=12, events_per_s=2.5, commands=7, core_lag=1,
                  projector_lag=3, dead_letters=0)
LOCAL_PEER, REMOTE_PEER = ("127.0.0.1", 50000), ("192.0.2.7", 50000)


class StandInFigures:
    def read(self) -> Figures:
        return FIGURES


def _client(local_dashboard: bool, peer: tuple[str, int], base: str) -> TestClient:
    app = create_app(None, KeyRing({ANALYST: "analyst", WRITER: "writer"}),  # type: ignore[arg-type]
                     local_dashboard=local_dashboard)
    app.state.live = StandInFigures()
    return TestClient(app, client=peer, base_url=base)


@pytest.fixture
def local() -> Iterator[TestClient]:
    yield _client(True, LOCAL_PEER, "http://127.0.0.1:8080")


def test_the_page_loads_only_files_the_server_ships(local: TestClient) -> None:
    page = local.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/chart.umd.min.js" in sources
    for source in (s for s in sources if not s.startswith("data:")):
        assert source.startswith("/"), f"{source} is not served by the CRM itself"
        assert local.get(source).status_code == 200, source
    chart = local.get("/static/chart.umd.min.js").text
    assert chart.startswith("/*!\n * Chart.js v4.6.1")
    assert (STATIC / "chart.js.LICENSE.md").read_text().startswith("The MIT License")


def test_a_local_request_reads_the_figures_without_a_key_on_a_loopback_server(
    local: TestClient,
) -> None:
    status = local.get("/v1/status")
    assert status.status_code == 200
    assert status.json() == {"at": 1.0, "events": 12, "events_per_s": 2.5, "commands": 7,
                             "core_lag": 1, "projector_lag": 3, "dead_letters": 0}


def test_records_lists_and_commands_still_need_a_key_locally(local: TestClient) -> None:
    assert local.get("/v1/leads").status_code == 401
    assert local.get("/v1/leads/LD-1").status_code == 401
    assert local.get("/v1/commands/c1").status_code == 401
    assert local.post("/v1/leads", json={}).status_code == 401


def test_a_wrong_key_is_refused_even_locally(local: TestClient) -> None:
    assert local.get("/v1/status", headers={"X-API-Key": "guess"}).status_code == 401
    assert local.get("/v1/status", headers={"X-API-Key": ANALYST}).status_code == 200


def test_without_a_key_the_figures_are_refused_to_a_remote_peer_or_a_foreign_host_name(
) -> None:
    remote = _client(True, REMOTE_PEER, "http://127.0.0.1:8080")
    assert remote.get("/v1/status").status_code == 401
    assert remote.get("/v1/reports/pipeline").status_code == 401
    assert remote.get("/v1/status", headers={"X-API-Key": ANALYST}).status_code == 200
    # a page elsewhere whose DNS name now points at 127.0.0.1 (DNS rebinding)
    rebound = _client(True, LOCAL_PEER, "http://attacker.example:8080")
    assert rebound.get("/v1/status").status_code == 401
    assert rebound.get("/").status_code == 200  # the page itself holds no data


def test_a_server_not_bound_to_loopback_asks_everyone_for_a_key() -> None:
    closed = _client(False, LOCAL_PEER, "http://127.0.0.1:8080")
    assert closed.get("/v1/status").status_code == 401
    assert closed.get("/v1/reports/pipeline").status_code == 401
    assert closed.get("/v1/status", headers={"X-API-Key": WRITER}).status_code == 200


def test_loopback_addresses_and_host_headers_are_recognised() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost",
                                     "0.0.0.0", "192.0.2.7", "localhost.evil.example", "",
                                     None)] == [True] * 5 + [False] * 5
    assert [host_name(h) for h in ("127.0.0.1:8080", "[::1]:8080", "LOCALHOST", "[::1",
                                   None)] == ["127.0.0.1", "::1", "localhost", None, None]


def test_the_status_is_in_the_openapi_document_and_the_page_is_not(local: TestClient) -> None:
    paths = local.get("/openapi.json").json()["paths"]
    assert "/v1/status" in paths and "/" not in paths


def test_crm_demo_ends_by_saying_how_to_open_the_dashboard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from rich.console import Console

    from operations import demo

    monkeypatch.setattr("sys.argv", [str(demo.Path.cwd() / ".venv" / "bin" / "crm")])
    monkeypatch.setattr(demo.shutil, "which", lambda _: None)  # crm is not on PATH
    out = io.StringIO()
    demo._how_to_open_the_dashboard(Console(file=out, width=200))
    text = out.getvalue()
    assert "CRM_API_KEYS=" in text and ".venv/bin/crm serve --workers" in text
    assert "http://127.0.0.1:8080/" in text and "no key needed from this machine" in text


def test_live_figures_that_cannot_be_read_are_a_503_naming_the_failure(
    local: TestClient,
) -> None:
    from confluent_kafka import KafkaException

    class BrokerDown:
        def read(self) -> Figures:
            raise KafkaException("broker transport failure")

    local.app.state.live = BrokerDown()  # type: ignore[attr-defined]
    answer = local.get("/v1/status")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "live figures unavailable: KafkaException"


@pytest.mark.skipif(shutil.which("node") is None,
                    reason="no node: the browser test checks a few of these formats too")
def test_amounts_are_grouped_in_lakh_and_crore_exactly_from_the_decimal_string() -> None:
    cases = [("inr", "12345678"), ("inr", "98765432109876543.50"), ("inr", "999.5"),
             ("inr", "-0.4"), ("inr", "-120000.5"), ("inr", None), ("inrShort", "9999999"),
             ("inrShort", "450000"), ("inrShort", "123456789"), ("inrShort", "-25000000"),
             ("inrShort", "12345678901"), ("inrShort", "45000"), ("count", "1234567"),
             ("percent", "12.34")]
    script = (f"global.window = {{}}; require({json.dumps(str(STATIC / 'format.js'))});"
              f"const f = window.crmFormat; const cases = {json.dumps(cases)};"
              "console.log(JSON.stringify(cases.map(([fn, v]) => f[fn](v))));")
    shown = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True,
                                      check=True, timeout=30).stdout)
    assert shown == ["₹1,23,45,678", "₹98,76,54,32,10,98,76,544", "₹1,000", "₹0",
                     "-₹1,20,001", "—", "₹1 cr", "₹4.5 lakh", "₹12.3 cr", "-₹2.5 cr",
                     "₹1,235 cr", "₹45,000", "12,34,567", "12.3 %"]
