"""The dashboard in a real headless Chromium: it asks for a token once, says who is signed in, shows a
regional monitor only its regions, and numbers change on the page as events arrive."""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from streams.cli.watch import dashboard_codes
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
    assert re.fullmatch(r"Обновлено \d{1,2}:\d{2}:\d{2}", page.inner_text("#updated")), page.inner_text("#updated")
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


def test_the_download_button_saves_the_ranking_on_screen_as_xlsx(worker, page, tmp_path):
    """Issue 16, item 5: the spreadsheet is the ranking the page shows (by region, nationally)."""
    from openpyxl import load_workbook

    page.goto(worker.url("/"))
    sign_in(page, worker.token("monitor"))
    page.wait_for_selector("#ranking-table tbody tr")
    with page.expect_download() as started:
        page.click("#download-xlsx")
    download = started.value
    assert download.suggested_filename == "ranking-region.xlsx"
    download.save_as(tmp_path / "r.xlsx")
    sheet = list(load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    shown = worker.get("/v1/ranking?by=region", role="monitor")
    assert [line[0] for line in sheet[2:]] == [r["key"] for r in shown]
    assert page.inner_text("#download-xlsx") in ("XLSX жүктеу", "Скачать XLSX", "Download XLSX")   # translated


def test_every_code_of_the_domain_has_a_name_in_kazakh_russian_and_english():
    """Issue 16, item 3: no code reaches a reader untranslated."""
    from streams.devtools.simulate import CATEGORIES, CHANNELS
    from streams.domain.commands import ESCALATION_REASONS, NOTICE_CHANNELS, OUTCOMES
    from streams.domain.events import EVENT_TYPES
    from streams.domain.state import STATUSES

    codes = dashboard_codes()
    wanted = {"category": CATEGORIES, "channel": (*CHANNELS, *NOTICE_CHANNELS), "reason": ESCALATION_REASONS,
              "by": ("citizen", "system"), "outcome": OUTCOMES, "status": STATUSES, "event_type": EVENT_TYPES}
    for kind, names in wanted.items():
        for code in names:
            assert set(codes[kind][code]) == {"kk", "ru", "en"} and all(codes[kind][code].values()), (kind, code)


def test_the_categories_table_names_each_category_in_the_pages_language(worker, page):
    status, body = worker.post("/v1/commands?wait=10", file_command(f"codes-{uuid.uuid4().hex[:8]}"))
    assert status == 201, body
    page.goto(worker.url("/"))
    sign_in(page, worker.token("monitor"))
    page.wait_for_selector("#categories-table tbody tr")
    names = dashboard_codes()["category"]["playgrounds"]
    for lang in ("kk", "ru", "en"):
        page.click(f"#lang-{lang}")
        page.wait_for_function("name => [...document.querySelectorAll('#categories-table tbody td:first-child')]"
                               ".some(td => td.textContent === name)", arg=names[lang])
        shown = page.eval_on_selector_all("#categories-table tbody td:first-child", "tds => tds.map(td => td.textContent)")
        assert "playgrounds" not in shown


# --- issue 16: the period, the region, the charts, the layouts, accessibility ------------------------------------------

AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def year_2005(worker) -> dict:
    """Appeals of 2005 (no other test files any): in Mangystau (47) three in the first quarter (roads; one escalated
    in March, all left unanswered) and two in the second (housing; one answered); in Atyrau (23) one in the first."""
    uid = uuid.uuid4().hex[:6]
    ids = {"q1": [f"v5-{uid}-{n}" for n in range(3)], "q2": [f"v5-{uid}-{n}" for n in (3, 4)], "atyrau": [f"v5-{uid}-5"]}
    bodies = {"47": f"v5-{uid}-mangystau-akimat", "23": f"v5-{uid}-atyrau-akimat"}

    def filing(appeal_id: str, day: str, region: str, category: str) -> dict:
        return {**file_command(appeal_id, region, bodies[region]), "at": f"{day}T10:00:00+06:00", "category": category}

    commands = [filing(a, f"2005-0{1 + i}-1{i}", "47", "roads") for i, a in enumerate(ids["q1"])]
    commands += [filing(a, f"2005-0{4 + i}-0{2 + i}", "47", "housing") for i, a in enumerate(ids["q2"])]
    commands += [filing(ids["atyrau"][0], "2005-02-20", "23", "roads"),
                 {"type": "escalate", "command_id": f"{ids['q1'][0]}-esc", "appeal_id": ids["q1"][0],
                  "at": "2005-03-25T10:00:00+06:00", "reason": "citizen_request", "by": "citizen"},
                 {"type": "answer", "command_id": f"{ids['q2'][0]}-ans", "appeal_id": ids["q2"][0],
                  "at": "2005-04-08T10:00:00+06:00", "outcome": "resolved", "text": "done"}]
    for command in commands:
        status, body = worker.post("/v1/commands?wait=10", command)
        assert status == 201, body
    wait_until(lambda: worker.get("/v1/kpis?from=2005-01-01&to=2005-12-31")["filed"] == 6
               and worker.get("/v1/kpis?from=2005-01-01&to=2005-12-31")["escalated"] == 1
               and worker.get("/v1/kpis?from=2005-01-01&to=2005-12-31")["answered"] == 1, timeout=60)
    return {"ids": ids, "bodies": bodies}


def wait_filed(page, n: int) -> None:
    """Until the "filed" tile shows n."""
    page.wait_for_function("n => document.querySelector('#kpi-filed')?.textContent === String(n)", arg=n)


def panels(page) -> dict:
    """What each panel shows now."""
    return page.evaluate("""() => ({
        filed: document.querySelector('#kpi-filed').textContent,
        ranking: [...document.querySelectorAll('#ranking-table tbody tr')].map(r => r.dataset.key),
        trend: [document.querySelector('#trend').dataset.points, document.querySelector('#trend').dataset.bucket],
        categories: [...document.querySelectorAll('#categories-table tbody td:first-child')].map(td => td.textContent),
        escalations: document.querySelector('#escalations').textContent,
        overdue: document.querySelector('#overdue').textContent,
        map: Object.fromEntries([...document.querySelectorAll('#region-map .map-tile')]
                                .map(b => [b.dataset.region, b.dataset.value || null])),
        label: document.querySelector('#period-label').textContent,
        address: location.search})""")


def test_the_period_and_the_region_change_every_panel_and_the_address_keeps_them(worker, page, year_2005, tmp_path):
    """Issue 16, items 1, 2 and 5: a quarter, the next one, a region (its spreadsheet), a year by weeks; a link shows
    the same view."""
    from openpyxl import load_workbook

    ids, bodies = year_2005["ids"], year_2005["bodies"]
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(worker.url("/?period=quarter&at=2005-02-14"))
    sign_in(page, worker.token("monitor"))
    page.click("#lang-en")
    wait_filed(page, 4)
    q1 = panels(page)
    assert q1["label"] == "Q1 2005" and "at=2005-01-01" in q1["address"]
    assert {"47", "23"} <= set(q1["ranking"]) and q1["trend"] == ["90", "day"]
    assert q1["categories"] == ["Roads"]
    assert bodies["47"] in q1["escalations"] and all(a in q1["overdue"] for a in ids["q1"] + ids["atyrau"])
    assert q1["map"]["47"] is not None and q1["map"]["23"] is not None and q1["map"]["71"] is None

    page.click("#period-next")
    wait_filed(page, 2)
    q2 = panels(page)
    assert q2["label"] == "Q2 2005" and "at=2005-04-01" in q2["address"]
    assert "23" not in q2["ranking"] and q2["trend"] == ["91", "day"] and q2["categories"] == ["Housing"]
    assert bodies["47"] not in q2["escalations"] and ids["q2"][1] in q2["overdue"] and ids["q1"][1] not in q2["overdue"]
    assert q2["map"]["23"] is None

    page.click("#period-prev")
    page.select_option("#region-filter", "23")
    wait_filed(page, 1)
    atyrau = panels(page)
    assert atyrau["ranking"] == [bodies["23"]] and "region=23" in atyrau["address"]
    assert ids["atyrau"][0] in atyrau["overdue"] and ids["q1"][1] not in atyrau["overdue"]
    assert page.get_attribute("#region-map .map-tile[data-region='23']", "aria-pressed") == "true"
    assert atyrau["map"]["47"] is not None   # the map keeps every region: another tile opens another region
    with page.expect_download() as started:   # the spreadsheet holds the figures on screen: this region, this quarter
        page.click("#download-xlsx")
    assert started.value.suggested_filename == "ranking-body-23-2005-01-01-2005-03-31.xlsx"
    started.value.save_as(tmp_path / "q1.xlsx")
    sheet = list(load_workbook(tmp_path / "q1.xlsx").active.iter_rows(values_only=True))
    assert [line[:2] for line in sheet[2:]] == [(bodies["23"], 1)]

    page.click("#region-map .map-tile[data-region='47']")
    wait_filed(page, 3)
    assert panels(page)["ranking"] == [bodies["47"]]

    page.select_option("#period", "year")
    page.wait_for_function("() => document.querySelector('#trend').dataset.bucket === 'week'")
    wait_filed(page, 5)
    assert page.locator("#trend .x-tick").count() >= 3 and page.locator("#trend .y-tick").count() >= 2
    box = page.locator("#trend .catcher").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    assert page.get_attribute("#trend", "data-hover").startswith("2005-")
    assert "Filed" in page.text_content("#trend .tip")

    link = page.url
    page.goto(link)   # the same address in a fresh page load shows the same view
    wait_filed(page, 5)
    assert page.input_value("#region-filter") == "47" and page.input_value("#period") == "year"
    assert page.inner_text("#period-label") == "2005"

    page.select_option("#period", "custom")
    page.fill("#date-from", "2005-04-01")
    page.fill("#date-to", "2005-04-30")
    page.dispatch_event("#date-to", "change")
    wait_filed(page, 1)
    assert "from=2005-04-01" in page.url and panels(page)["trend"] == ["30", "day"]


def no_sideways_scrolling(page) -> list[str]:
    """What is wider than its box: the page, or a card's content."""
    return page.evaluate("""() => {
        const wide = [];
        const root = document.documentElement;
        if (root.scrollWidth > root.clientWidth) {
            wide.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
            [...document.querySelectorAll('body *')].filter(n => n.getBoundingClientRect().right > root.clientWidth + 1)
                .slice(0, 5).forEach(n => wide.push(`  ${n.tagName}#${n.id}.${n.className} ends at ${Math.round(n.getBoundingClientRect().right)}`));
        }
        document.querySelectorAll('.card, .feed, .controls, header').forEach(n => {
            if (n.scrollWidth > n.clientWidth + 1) wide.push(`${n.id || n.className} ${n.scrollWidth} > ${n.clientWidth}`);
        });
        return wide;}""")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_screenshots_at_1280_and_390_pixels_fit_without_sideways_scrolling(worker, browser, year_2005, lang):
    """Issue 16, items 4 and 7: the desktop and the phone layouts, in Kazakh and Russian, saved as test artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
        try:
            page = context.new_page()
            page.goto(worker.url("/?period=year&at=2005-01-01&figure=response_rate"))
            sign_in(page, worker.token("monitor"))
            page.click(f"#lang-{lang}")
            wait_filed(page, 6)
            page.wait_for_function("() => document.querySelectorAll('#region-map .map-tile[data-value]').length >= 2")
            wide = no_sideways_scrolling(page)
            assert wide == [], "\n".join([lang, str(width), *wide])
            if width == 390:   # one column: every card as wide as the page
                widths = page.eval_on_selector_all(".grid > .card", "cs => cs.map(c => Math.round(c.getBoundingClientRect().width))")
                assert len(set(widths)) == 1, widths
            page.screenshot(path=str(ARTIFACTS / f"dashboard-{lang}-{width}.png"), full_page=True)
        finally:
            context.close()


def test_axe_finds_no_serious_or_critical_accessibility_violations(worker, browser, year_2005):
    """Issue 16, item 7: axe-core (npm, pinned in the Makefile) injected into the page; the context bypasses the
    page's CSP for it only. Both layouts, in Kazakh, signed in with figures on screen, and the sign-in panel."""
    assert AXE.exists(), "axe-core is missing: run `make test-deps` (it installs it from npm into .cache/npm)"
    found = {}
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        try:
            page = context.new_page()
            page.goto(worker.url("/?period=year&at=2005-01-01"))
            page.wait_for_selector("#token-input")
            page.add_script_tag(path=str(AXE))
            found[f"sign-in {width}"] = page.evaluate(AXE_RUN)
            sign_in(page, worker.token("monitor"))
            page.click("#lang-kk")
            wait_filed(page, 6)
            found[f"dashboard {width}"] = page.evaluate(AXE_RUN)
        finally:
            context.close()
    assert {k: v for k, v in found.items() if v} == {}


AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""
