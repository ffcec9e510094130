// tyndau dashboard: asks once for an access token, kept in sessionStorage for the browser session only, then
// polls the worker's JSON endpoints every second with it, for the period and region in the address (period.js).
// No external scripts or styles, no inline code (CSP). Words: i18n.js, codes.js; charts: charts.js.
"use strict";

const COLUMNS = ["key", "filed", "answered", "response_rate", "on_time_rate", "rated", "dissatisfied_share",
                 "escalated", "escalation_share", "overdue", "median_response_working_days"];
const RATES = new Set(["response_rate", "on_time_rate", "dissatisfied_share", "escalation_share"]);
const BAD_HIGH = new Set(["dissatisfied_share", "escalation_share", "overdue"]);
const TILES = ["filed", "answered", "response_rate", "on_time_rate", "dissatisfied_share", "escalated",
               "escalation_share", "overdue", "median_response_working_days"];
const TOKEN_KEY = "tyndau.token";   // in sessionStorage only: never localStorage, never the URL
const REFRESH_MS = 1000;
const MAP_FIGURES = ["response_rate", "dissatisfied_share", "on_time_rate", "overdue"];

const state = { lang: localStorage.getItem("tyndau.lang") || "kk", sort: "response_rate", asc: false,
                view: null,        // {period, region, figure}: what the address asks for (period.js)
                shown: 0,          // bumped on every change of view: answers for an earlier one are dropped
                regions: {}, rows: [], data: null, drawn: {},   // drawn: what each chart shows now
                me: null,          // the signed-in principal (GET /v1/me), null on the sign-in panel
                session: 0,        // bumped on every sign-in and sign-out: answers to an earlier session are dropped
                timer: null, notice: null, problem: null };
const $ = (id) => document.getElementById(id);
const t = (k) => (I18N[state.lang] || I18N.en)[k] || k;
const fmt = (k, v) => v === null || v === undefined ? "—"
  : RATES.has(k) ? (100 * v).toFixed(1) + "%" : k === "median_response_working_days" ? Number(v).toFixed(1) : String(v);
const regionName = (code) => (state.regions[code] && state.regions[code][state.lang]) || code;
const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); Object.assign(e, attrs); if (text !== undefined) e.textContent = text; return e; };
// A message of the page: a translated lead-in and the server's own words, either of which may be missing.
const message = (m) => (m ? [m.key ? t(m.key) : "", m.detail || ""].filter(Boolean).join(" ") : "");

// The regions whose figures the principal sees (the server's rule): a monitor's listed regions; [] = national.
const scope = () => (state.me && state.me.role === "monitor" && state.me.regions) || [];
const inScope = (code) => scope().length === 0 || scope().includes(code);

class ApiError extends Error {
  constructor(status, text) { super(text); this.status = status; }
}

async function errorText(r) {
  try {
    const body = await r.json();
    if (body && typeof body.error === "string") return body.error;
  } catch (_) { /* not JSON: say the status instead */ }
  return `${r.status} ${r.statusText}`.trim();
}

// GET `path` with `token` as the bearer credential (none for the public endpoints); ApiError unless 2xx.
async function getJSON(path, token = sessionStorage.getItem(TOKEN_KEY)) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  let r;
  try {
    r = await fetch(path, { cache: "no-store", headers });
  } catch (_) {
    throw new ApiError(0, t("unreachable"));
  }
  if (!r.ok) throw new ApiError(r.status, await errorText(r));
  return r.json();
}

function applyLang() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-label]").forEach((n) => n.setAttribute("aria-label", t(n.dataset.i18nLabel)));
  document.querySelectorAll("ul.feed").forEach((n) => n.setAttribute("aria-label", t(n.id === "overdue" ? "overdue_list" : "escalations")));
  document.querySelectorAll("#langs button").forEach((b) => b.classList.toggle("active", b.dataset.lang === state.lang));
  renderNotice();
  if (state.me) { renderWho(); renderControls(); renderProblem(); render(); renderUpdated(); }
}

// ---- signing in and out ----

function renderNotice() {
  const box = $("signin-error");
  box.textContent = message(state.notice);
  box.hidden = !box.textContent;
}

function showSignIn(notice = null) {
  stopDashboard();
  state.notice = notice;
  $("dashboard").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
  renderNotice();
  $("token-input").focus();
}

async function signIn() {
  const input = $("token-input"), button = $("sign-in");
  if (button.disabled) return;   // a check is under way
  const token = input.value.trim();
  if (!token || !/^[\x21-\x7e]+$/.test(token)) {
    state.notice = { key: token ? "token_malformed" : "token_missing" };
    renderNotice();
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    const me = await getJSON("/v1/me", token);
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = "";
    startDashboard(me);
  } catch (err) {
    state.notice = { key: err.status === 401 || err.status === 403 ? "signin_refused" : null, detail: err.message };
    renderNotice();
    input.select();
  } finally {
    button.disabled = false;
  }
}

function signOut() {
  sessionStorage.clear();
  showSignIn();
}

function renderWho() {
  const me = state.me;
  $("who-name").textContent = me.name;
  const role = $("who-role");
  role.textContent = (I18N[state.lang] || I18N.en)["role_" + me.role] || me.role;
  role.dataset.role = me.role;
  const covers = $("who-scope");
  covers.hidden = me.role !== "monitor";
  covers.textContent = scope().length ? scope().map(regionName).join(", ") : t("national");
  covers.dataset.regions = scope().join(",");
  const note = $("scope-note");
  note.textContent = scope().length ? `${t("scope_regions")} ${scope().map(regionName).join(", ")}` : t("scope_national");
  note.classList.toggle("regional", scope().length > 0);
}

// ---- the dashboard ----

function startDashboard(me) {
  stopDashboard();
  state.me = me;
  state.notice = null;
  $("signin").hidden = true;
  $("who").hidden = false;
  $("dashboard").hidden = false;
  renderNotice();
  renderWho();
  const allowed = Object.keys(state.regions).filter(inScope);
  state.view = readView(location.search, allowed.length ? allowed : scope(), MAP_FIGURES);
  renderControls();
  writeView(state.view);
  poll(state.session);
}

// Stops polling and forgets the previous principal's figures, so none of them stays in the page.
function stopDashboard() {
  state.session += 1;
  clearTimeout(state.timer);
  Object.assign(state, { timer: null, me: null, rows: [], data: null, problem: null, sort: "response_rate", asc: false,
                         drawn: {} });
  ["tiles", "escalations", "overdue", "trend", "region-map"].forEach((id) => $(id).replaceChildren());
  delete $("trend").dataset.points;
  document.querySelectorAll("#ranking-table thead, #ranking-table tbody, #categories-table tbody").forEach((n) => n.replaceChildren());
  $("drill-title").textContent = "";
  $("drill-back").hidden = true;
  state.updatedAt = null;
  renderUpdated();
  renderProblem();
}

// When the figures were last fetched, in the page's language and its 24-hour clock.
const TIME_LOCALES = { kk: "kk-KZ", ru: "ru-RU", en: "en-GB" };
function renderUpdated() {
  const at = state.updatedAt;
  $("updated").textContent = at ? `${t("updated")} ${at.toLocaleTimeString(TIME_LOCALES[state.lang] || "en-GB", { hour12: false })}` : "";
}

async function poll(session) {
  await refresh(session);
  if (session === state.session) state.timer = setTimeout(() => poll(session), REFRESH_MS);
}

function rankingPath(region = state.view.region) {
  const q = viewQuery(state.view, false);
  return (region ? `/v1/ranking?by=body&region=${encodeURIComponent(region)}` : "/v1/ranking?by=region") + (q ? `&${q}` : "");
}

// The ranking on screen as a file for a report (GET /v1/ranking?…&format=csv|xlsx), fetched with the token.
async function download(kind) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let r;
  try {
    r = await fetch(`${rankingPath()}&format=${kind}`, { cache: "no-store", headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch (_) {
    state.problem = { key: null, detail: t("unreachable") };
    renderProblem();
    return;
  }
  if (!r.ok) {
    state.problem = { key: r.status === 403 ? "refused" : null, detail: await errorText(r) };
    renderProblem();
    return;
  }
  const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await r.blob());
  link.download = name ? name[1] : `ranking.${kind}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// ---- the period, the region and the map's figure: every panel follows them, and the address keeps them ----

function changeView(change) {
  Object.assign(state.view, change);
  if ("region" in change) Object.assign(state, { sort: change.region ? "filed" : "response_rate", asc: false });
  if ("region" in change || "period" in change) clearPanels();   // nothing of the previous view stays on screen
  state.shown += 1;
  writeView(state.view);
  renderControls();
  render();
  refresh();
}

function clearPanels() {
  Object.assign(state, { rows: [], data: null, drawn: {} });
  ["tiles", "escalations", "overdue", "trend", "region-map"].forEach((id) => $(id).replaceChildren());
  document.querySelector("#categories-table tbody").replaceChildren();
  delete $("trend").dataset.points;
}

function option(value, text, selected) {
  const o = el("option", { value, selected }, text);
  return o;
}

function renderControls() {
  const v = state.view;
  if (!v) return;
  $("period").replaceChildren(...PERIODS.map((k) => option(k, t("period_" + k), k === v.period.kind)));
  const stepping = ["month", "quarter", "year"].includes(v.period.kind);
  $("period-step").hidden = !stepping;
  $("period-dates").hidden = v.period.kind !== "custom";
  $("period-label").textContent = stepping ? periodLabel(v.period, t) : "";
  if (stepping) {   // the ledger's dates run from 1970 to 2149
    $("period-prev").disabled = shiftPeriod(v.period.kind, v.period.at, -1) < "1970-01-01";
    $("period-next").disabled = shiftPeriod(v.period.kind, v.period.at, 1) > "2149-12-31";
  }
  if (v.period.kind === "custom") { $("date-from").value = v.period.from; $("date-to").value = v.period.to; }
  const codes = Object.keys(state.regions).filter(inScope).sort((a, b) => regionName(a).localeCompare(regionName(b), state.lang));
  $("region-filter").replaceChildren(option("", scope().length ? t("all_regions") + " (" + scope().length + ")" : t("all_regions"), !v.region),
                                     ...codes.map((c) => option(c, regionName(c), c === v.region)));
  $("map-figure").replaceChildren(...MAP_FIGURES.map((f) => option(f, t(f), f === v.figure)));
}

function setPeriodKind(kind) {
  const p = state.view.period, { from, to } = periodRange(p);
  const anchor = p.kind === "custom" ? p.from : p.kind === "all" ? kzToday() : p.at;
  const next = { kind, at: periodStart(kind === "month" || kind === "quarter" ? kind : "year", anchor || kzToday()), from: null, to: null };
  if (kind === "custom") Object.assign(next, { from: from || periodStart("year", kzToday()), to: to || kzToday() });
  changeView({ period: next });
}

function setCustomDates() {
  const from = $("date-from").value, to = $("date-to").value;
  if (!validDay(from) || !validDay(to) || from > to) return;   // the inputs keep what was typed until it is a period
  changeView({ period: { kind: "custom", at: null, from, to } });
}

async function refresh(session = state.session) {
  const shown = state.shown, v = state.view, q = viewQuery(v), national = viewQuery(v, false);
  const withQ = (path) => path + (q ? (path.includes("?") ? "&" : "?") + q : "");
  try {
    const [kpis, rows, map, trend, cats, esc, over] = await Promise.all([
      getJSON(withQ("/v1/kpis")), getJSON(rankingPath(v.region)),
      v.region ? getJSON("/v1/ranking?by=region" + (national ? `&${national}` : "")) : null,
      getJSON(withQ("/v1/trend")), getJSON(withQ("/v1/ranking?by=category")),
      getJSON(withQ("/v1/escalations?limit=15")), getJSON(withQ("/v1/overdue?limit=15"))]);
    if (session !== state.session || shown !== state.shown) return;   // signed out, or another view, meanwhile
    state.rows = v.region ? rows : rows.filter((r) => inScope(r.key));
    state.data = { kpis, map: map || rows, trend, cats, esc, over };
    state.problem = null;
    renderProblem();
    render();
    state.updatedAt = new Date();
    renderUpdated();
  } catch (err) {
    if (session !== state.session || shown !== state.shown) return;
    if (err.status === 401) {   // expired or revoked: ask again
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn({ key: "session_ended", detail: err.message });
      return;
    }
    state.problem = { key: err.status === 403 ? "refused" : null, detail: err.message };
    renderProblem();
  }
}

function renderProblem() {
  const box = $("page-error");
  box.textContent = message(state.problem);
  box.hidden = !box.textContent;
}

function render() {
  renderRanking();
  const d = state.data;
  if (!d) return;
  renderTiles(d.kpis); renderCategories(d.cats);
  // The charts are drawn again only when what they show changed: a poll with the same figures keeps the hover
  // value and the focused tile.
  const trendKey = JSON.stringify([d.trend, state.lang, Math.round($("trend").getBoundingClientRect().width)]);
  if (state.drawn.trend !== trendKey) { drawTrend($("trend"), d.trend, t, (day) => day); state.drawn.trend = trendKey; }
  const mapRows = d.map.filter((r) => inScope(r.key));
  const mapKey = JSON.stringify([mapRows, state.lang, state.view.figure, state.view.region]);
  if (state.drawn.map !== mapKey) {
    drawMap($("region-map"), mapRows, state.view.figure, BAD_HIGH.has(state.view.figure),
            { selected: state.view.region, name: regionName, format: fmt, inScope, open: drillInto });
    state.drawn.map = mapKey;
  }
  $("trend-bucket").textContent = $("trend").dataset.bucket === "week" ? t("per_week") : t("per_day");
  renderFeed("escalations", d.esc, (e) => `${e.occurred_on} · ${regionName(e.region)} · ${e.body} · ${label("reason", e.reason)} (${label("by", e.by)})`);
  renderFeed("overdue", d.over, (o) => `${o.appeal_id} · ${regionName(o.region)} · ${o.body} · ${label("category", o.category)} · ${label("stage", o.stage)} · ${t("due")} ${o.due_on}`);
}

function renderTiles(k) {
  $("tiles").replaceChildren(...TILES.map((name) => {
    const tile = el("div", { className: "tile", id: "tile-" + name });
    tile.append(el("div", { className: "label" }, t(name)), el("div", { className: "value", id: "kpi-" + name }, fmt(name, k[name])));
    return tile;
  }));
}

function drillInto(code) {
  if (!inScope(code)) return;   // only the principal's own regions are offered
  changeView({ region: code === state.view.region ? null : code });
}

function renderRanking() {
  const table = $("ranking-table");
  const head = el("tr");
  COLUMNS.forEach((c) => {
    const region = state.view && state.view.region;
    const th = el("th", { className: c === state.sort ? "sorted" + (state.asc ? " asc" : "") : "", scope: "col" }, c === "key" ? t(region ? "body" : "region") : t(c));
    th.dataset.col = c;
    th.addEventListener("click", () => { state.asc = state.sort === c ? !state.asc : c === "key"; state.sort = c; renderRanking(); });
    head.append(th);
  });
  table.tHead.replaceChildren(head);
  const rows = [...state.rows].sort((a, b) => {
    const x = a[state.sort], y = b[state.sort];
    const cmp = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
    return state.asc ? cmp : -cmp;
  });
  const region = state.view && state.view.region;
  table.tBodies[0].replaceChildren(...rows.map((r) => {
    const drillable = !region && inScope(r.key);
    const tr = el("tr", { className: drillable ? "drillable" : "" });
    tr.dataset.key = r.key;
    COLUMNS.forEach((c) => {
      const td = el("td", {}, c === "key" && !region ? regionName(r.key) : fmt(c, r[c]));
      td.dataset.label = c === "key" ? "" : t(c);
      if (BAD_HIGH.has(c) && r[c] > (c === "overdue" ? 0 : 0.3)) td.className = "bad";
      tr.append(td);
    });
    if (drillable) tr.addEventListener("click", () => drillInto(r.key));
    return tr;
  }));
  $("drill-title").textContent = region ? "· " + regionName(region) : "";
  $("drill-back").hidden = !region;
}

// A code's name in the page's language (streams/http/static/codes.js); an unknown code as it is.
function label(kind, code) {
  const names = (CODES[kind] || {})[code];
  return names ? names[state.lang] || code : code;
}

function renderCategories(rows) {
  const head = el("tr");
  ["category", "filed", "response_rate"].forEach((c) => head.append(el("th", { scope: "col" }, t(c))));
  document.querySelector("#categories-table thead").replaceChildren(head);
  document.querySelector("#categories-table tbody").replaceChildren(...[...rows].sort((a, b) => b.filed - a.filed).map((r) => {
    const tr = el("tr");
    tr.append(el("td", {}, label("category", r.key)), el("td", {}, String(r.filed)), el("td", {}, fmt("response_rate", r.response_rate)));
    return tr;
  }));
}

function renderFeed(id, items, line) {
  $(id).replaceChildren(...items.map((i) => el("li", {}, line(i))));
}

// ---- start ----

document.querySelectorAll("#langs button").forEach((b) => {
  b.addEventListener("click", () => { state.lang = b.dataset.lang; localStorage.setItem("tyndau.lang", state.lang); applyLang(); });
});
$("drill-back").addEventListener("click", () => changeView({ region: null }));
$("period").addEventListener("change", (e) => setPeriodKind(e.target.value));
$("period-prev").addEventListener("click", () => changeView({ period: { ...state.view.period, at: shiftPeriod(state.view.period.kind, state.view.period.at, -1) } }));
$("period-next").addEventListener("click", () => changeView({ period: { ...state.view.period, at: shiftPeriod(state.view.period.kind, state.view.period.at, 1) } }));
$("date-from").addEventListener("change", setCustomDates);
$("date-to").addEventListener("change", setCustomDates);
$("region-filter").addEventListener("change", (e) => changeView({ region: e.target.value || null }));
$("map-figure").addEventListener("change", (e) => changeView({ figure: e.target.value }));
$("download-xlsx").addEventListener("click", () => download("xlsx"));
$("download-csv").addEventListener("click", () => download("csv"));
$("sign-in").addEventListener("click", signIn);
$("token-input").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); signIn(); } });
$("sign-out").addEventListener("click", signOut);

async function boot() {
  applyLang();
  try {
    state.regions = await getJSON("/v1/regions", null);   // public: names only
  } catch (_) { /* region codes are shown instead of names */ }
  applyLang();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) { showSignIn(); return; }
  try {
    startDashboard(await getJSON("/v1/me", token));
  } catch (err) {
    if (err.status === 401 || err.status === 403) sessionStorage.removeItem(TOKEN_KEY);
    showSignIn({ key: err.status === 401 ? "session_ended" : null, detail: err.message });
  }
}

boot();
