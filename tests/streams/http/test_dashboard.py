"""The dashboard in a real headless Chromium: it asks for a token once, says who is signed in, shows a
regional monitor only its regions, and numbers change on the page as events arrive."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from streams.settings import ROOT
from tests.support import credentials

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
UNPROTECTED = ("/v1/regions", "/v1/me")   # what the page may ask before it holds a token


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


@pytest.fixture
def page(browser):
    """A page in a context of its own: its sessionStorage and localStorage start empty."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def file_command(appeal_id: str, region: str = "62", body: str = "ulytau-akimat") -> dict:
    return {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2008-02-02T10:00:00+05:00",
            "region": region, "body": body, "category": "playgrounds", "channel": "eotinish",
            "citizen": {"iin": "900101301233", "name": "Aida"}}


def sign_in(page, token: str, press_enter: bool = False, then: str = "#kpi-filed") -> None:
    """Give the sign-in panel `token` and wait for `then` to show."""
    page.wait_for_selector("#token-input")
    page.fill("#token-input", token)
    if press_enter:
        page.press("#token-input", "Enter")
    else:
        page.click("#sign-in")
    page.wait_for_selector(then)


def server_error(worker, path: str, token: str) -> tuple[int, str]:
    """The status and the error message the worker answers to GET `path` with `token`."""
    request = urllib.request.Request(worker.url(path), headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["error"]


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def storage(page) -> dict:
    return page.evaluate("() => ({session: {...sessionStorage}, local: {...localStorage}})")


def test_dashboard_updates_live_in_three_languages(worker, page):
    token = worker.token("monitor")
    requests_outside, protected = [], []
    problems = []   # script errors, and what the Content Security Policy blocked
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append((m.text, m.location.get("url")))
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("request", lambda r: requests_outside.append(r.url) if not r.url.startswith(worker.url("")) else None)
    page.on("request", lambda r: protected.append((r.url, r.headers.get("authorization")))
            if r.url.startswith(worker.url("/v1/")) and not r.url.startswith(worker.url("/v1/regions")) else None)
    page.goto(worker.url("/"))
    sign_in(page, token)
    page.wait_for_function("() => document.querySelector('#ranking-table tbody tr') !== null")
    before = int(page.inner_text("#kpi-filed"))
    assert "test-monitor" in page.inner_text("#who-name")

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
    assert page.inner_text("#who-scope") == "республика бойынша"
    page.click("#lang-ru")
    page.wait_for_function("() => document.querySelector('#tile-filed .label').textContent === 'Поступило'")
    assert "область Ұлытау" in page.inner_text("#ranking-table tbody tr[data-key='62']")
    assert page.inner_text("#sign-out") == "Выйти"
    page.click("#lang-en")
    page.wait_for_function("() => document.querySelector('#tile-filed .label').textContent === 'Filed'")
    assert page.inner_text("#who-scope") == "national"
    assert page.inner_text("#scope-note") == "Figures cover the whole country."
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
    assert problems == []
    assert protected and all(auth == f"Bearer {token}" for _, auth in protected), protected[:3]
    assert all(token not in url for url, _ in protected), "the token never goes into an address"


def test_without_a_token_the_page_asks_for_one_and_fetches_nothing_protected(worker, page):
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(worker.url("/"))
    page.wait_for_selector("#signin", state="visible")
    assert page.get_attribute("#token-input", "type") == "password"
    assert page.inner_text("#sign-in") == "Кіру"
    page.click("#lang-ru")
    assert page.inner_text("#sign-in") == "Войти"
    page.click("#lang-en")
    assert page.inner_text("#sign-in") == "Sign in"
    page.wait_for_timeout(1500)   # longer than the dashboard's refresh interval
    assert page.is_hidden("#dashboard") and page.is_hidden("#who")
    api = [url for url in asked if url.startswith(worker.url("/v1/"))]
    assert api and all(url.split("?")[0] in [worker.url(p) for p in UNPROTECTED] for url in api), api
    assert page.query_selector("form") is None   # the CSP forbids form submission: JS handles the button
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-sign-in.png"))


def test_a_bad_token_shows_the_servers_error_and_keeps_asking(worker, page):
    page.goto(worker.url("/"))
    page.click("#lang-en")
    page.fill("#token-input", "not-a-token")
    page.press("#token-input", "Enter")
    page.wait_for_selector("#signin-error", state="visible")
    status, error = server_error(worker, "/v1/me", "not-a-token")
    assert status == 401 and error
    assert error in page.inner_text("#signin-error")
    assert page.is_visible("#signin") and page.is_hidden("#dashboard")
    assert storage(page) == {"session": {}, "local": {"tyndau.lang": "en"}}

    # A token whose role may not read figures signs in, and the refusal is shown in the page.
    sign_in(page, worker.token("operator"), then="#page-error")
    assert page.is_hidden("#signin") and page.inner_text("#who-name") == "test-operator"
    _, refused = server_error(worker, "/v1/kpis", worker.token("operator"))
    assert refused in page.inner_text("#page-error")


def test_an_expired_token_brings_the_sign_in_panel_back(worker, page):
    page.goto(worker.url("/"))
    page.wait_for_selector("#signin", state="visible")
    token = credentials.token(worker.auth_dir, "monitor", name="short-lived", ttl=4)
    sign_in(page, token, press_enter=True)
    page.wait_for_selector("#signin", state="visible", timeout=15_000)
    assert "the credential has expired" in page.inner_text("#signin-error")
    assert page.is_hidden("#dashboard") and page.query_selector("#tiles .tile") is None
    assert storage(page)["session"] == {}


def test_a_regional_monitor_sees_who_it_is_and_only_its_regions(worker, page):
    national = worker.token("monitor")

    def filed_in(code: str) -> int:
        rows = worker.get("/v1/ranking?by=region", token=national)
        return next((r["filed"] for r in rows if r["key"] == code), 0)

    page.goto(worker.url("/"))
    sign_in(page, worker.token("monitor", name="astana-monitor", regions=("71",)))
    assert page.inner_text("#who-name") == "astana-monitor"
    assert page.inner_text("#who-scope") == "Астана қаласы"
    assert "Астана қаласы" in page.inner_text("#scope-note")

    # A filing in Ulytau is projected first, then one in Astana: once the page shows the latter,
    # its ranking was computed with the former in it, and it still lists Astana alone.
    ulytau = filed_in("62")
    assert worker.post("/v1/commands", file_command(f"dash-{uuid.uuid4().hex[:8]}"))[0] == 201
    wait_until(lambda: filed_in("62") > ulytau)
    astana = filed_in("71")
    assert worker.post("/v1/commands", file_command(f"dash-{uuid.uuid4().hex[:8]}", "71", "astana-akimat"))[0] == 201
    wait_until(lambda: filed_in("71") > astana)
    page.wait_for_function("n => Number(document.querySelector(\"#ranking-table tbody tr[data-key='71'] td:nth-child(2)\")"
                           "?.textContent) === n", arg=filed_in("71"), timeout=10_000)
    keys = page.eval_on_selector_all("#ranking-table tbody tr", "trs => trs.map(t => t.dataset.key)")
    assert keys == ["71"]

    page.click("#lang-en")
    assert page.inner_text("#scope-note") == "Figures cover only: Astana (city)"
    assert page.inner_text("#who-scope") == "Astana (city)"
    page.click("#ranking-table tbody tr[data-key='71']")
    page.wait_for_selector("#ranking-table tbody tr[data-key='astana-akimat']")
    assert page.is_hidden("#page-error")


def test_the_token_lives_in_session_storage_only_and_sign_out_forgets_it(worker, page):
    token = worker.token("monitor")
    page.goto(worker.url("/"))
    sign_in(page, token)
    kept = storage(page)
    assert kept["session"] == {"tyndau.token": token}
    assert token not in json.dumps(kept["local"]) and token not in page.url
    assert page.input_value("#token-input") == ""

    page.reload()   # the same browser session: no need to sign in again
    page.wait_for_selector("#kpi-filed")
    assert page.is_hidden("#signin")

    page.click("#sign-out")
    page.wait_for_selector("#signin", state="visible")
    assert page.is_hidden("#dashboard") and page.is_hidden("#who")
    assert storage(page)["session"] == {} and page.query_selector("#tiles .tile") is None
    page.reload()
    page.wait_for_selector("#signin", state="visible")
