"""The dashboard in a real headless Chromium: numbers change on the page as events arrive."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest

from streams.settings import ROOT

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test` (it installs it) or apt-get install chromium")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def file_command(appeal_id: str) -> dict:
    return {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2036-02-02T10:00:00+05:00",
            "region": "62", "body": "ulytau-akimat", "category": "playgrounds", "channel": "eotinish",
            "citizen": {"iin": "900101301233", "name": "Aida"}}


def test_dashboard_updates_live_in_three_languages(worker, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests_outside = []
    page.on("request", lambda r: requests_outside.append(r.url) if not r.url.startswith(worker.url("")) else None)
    page.goto(worker.url("/"))
    page.wait_for_selector("#kpi-filed")
    page.wait_for_function("() => document.querySelector('#ranking-table tbody tr') !== null")
    before = int(page.inner_text("#kpi-filed"))

    for _ in range(3):
        status, _ = worker.post("/v1/commands", file_command(f"dash-{uuid.uuid4().hex[:8]}"))
        assert status == 201
    sent = time.monotonic()
    page.wait_for_function(f"() => Number(document.querySelector('#kpi-filed').textContent) === {before + 3}", timeout=10_000)
    assert time.monotonic() - sent < 5

    # Ulytau (62) appears in the ranking with its Kazakh name, and drills down to its bodies.
    page.click("#lang-kk")
    row = page.wait_for_selector("#ranking-table tbody tr[data-key='62']")
    assert "Ұлытау облысы" in row.inner_text()
    page.click("#lang-ru")
    page.wait_for_function("() => document.querySelector('#tile-filed .label').textContent === 'Поступило'")
    assert "область Ұлытау" in page.inner_text("#ranking-table tbody tr[data-key='62']")
    page.click("#lang-en")
    page.wait_for_function("() => document.querySelector('#tile-filed .label').textContent === 'Filed'")
    page.click("#ranking-table tbody tr[data-key='62']")
    page.wait_for_selector("#ranking-table tbody tr[data-key='ulytau-akimat']")
    assert not page.is_hidden("#drill-back")

    # Sorting by a column reorders the rows.
    page.click("#drill-back")
    page.wait_for_selector("#ranking-table tbody tr.drillable")
    page.click("#ranking-table th[data-col='filed']")
    filed = [int(x) for x in page.eval_on_selector_all("#ranking-table tbody tr td:nth-child(2)", "tds => tds.map(t => t.textContent)")]
    assert filed == sorted(filed, reverse=True)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert requests_outside == [], "the dashboard must work with no internet"
    page.close()
