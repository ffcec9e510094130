// tyndau dashboard: asks once for an access token, kept in sessionStorage for the browser session only, then
// polls the worker's JSON endpoints every second with it. No external scripts or styles, no inline code (CSP).
"use strict";

const I18N = {
  kk: { title: "Тыңдау", subtitle: "Халық үніне құлақ асатын мемлекет", ranking: "Тыңдайтын әкімдіктер рейтингі", back: "артқа",
        trend: "Күн сайын: түскен және жауап берілген", categories: "Санаттар", escalations: "Орталыққа шағымдар",
        overdue_list: "Мерзімі өткен өтініштер", filed: "Түскені", answered: "Жауап берілді", response_rate: "Жауап үлесі",
        on_time_rate: "Уақытында", rated: "Бағаланды", dissatisfied_share: "Наразы", escalated: "Орталыққа",
        escalation_share: "Орталыққа үлесі", overdue: "Мерзімі өтті", median_response_working_days: "Медиана, жұмыс күні",
        key: "Атауы", updated: "Жаңартылды", region: "Өңір", body: "Орган", category: "Санат", due: "мерзімі",
        signin_title: "Қол жеткізу токенімен кіру", token: "Қол жеткізу токені", sign_in: "Кіру", sign_out: "Шығу",
        signin_hint: "Токен тек осы браузер сеансы бойы сақталады.", signed_in_as: "Кірген:",
        token_missing: "Токенді енгізіңіз.", token_malformed: "Токенде тек латын әріптері, цифрлар мен белгілер болады, бос орынсыз.",
        signin_refused: "Токен қабылданбады:", session_ended: "Сеанс аяқталды, қайта кіріңіз:", refused: "Рұқсат жоқ:",
        unreachable: "Сервер жауап бермейді.", national: "республика бойынша",
        scope_regions: "Көрсеткіштер тек мына өңірлер бойынша:", scope_national: "Көрсеткіштер бүкіл республика бойынша.",
        role_monitor: "бақылаушы", role_centre: "орталық", role_auditor: "аудитор", role_admin: "әкімші" },
  ru: { title: "Тыңдау", subtitle: "Слышащее государство", ranking: "Рейтинг слышащих акиматов", back: "назад",
        trend: "По дням: поступило и отвечено", categories: "Категории", escalations: "Обращения в центр",
        overdue_list: "Просроченные обращения", filed: "Поступило", answered: "Отвечено", response_rate: "Доля ответов",
        on_time_rate: "В срок", rated: "Оценено", dissatisfied_share: "Недовольны", escalated: "В центр",
        escalation_share: "Доля в центр", overdue: "Просрочено", median_response_working_days: "Медиана, раб. дни",
        key: "Название", updated: "Обновлено", region: "Регион", body: "Орган", category: "Категория", due: "срок",
        signin_title: "Вход по токену доступа", token: "Токен доступа", sign_in: "Войти", sign_out: "Выйти",
        signin_hint: "Токен хранится только до конца сеанса браузера.", signed_in_as: "Вход выполнен:",
        token_missing: "Введите токен.", token_malformed: "Токен состоит из латинских букв, цифр и знаков, без пробелов.",
        signin_refused: "Токен не принят:", session_ended: "Сеанс завершён, войдите снова:", refused: "Нет доступа:",
        unreachable: "Сервер не отвечает.", national: "по всей республике",
        scope_regions: "Показатели только по регионам:", scope_national: "Показатели по всей республике.",
        role_monitor: "наблюдатель", role_centre: "центр", role_auditor: "аудитор", role_admin: "администратор" },
  en: { title: "Tyndau", subtitle: "The Listening State", ranking: "Listening akimats ranking", back: "back",
        trend: "Per day: filed and answered", categories: "Categories", escalations: "Escalations to the centre",
        overdue_list: "Overdue appeals", filed: "Filed", answered: "Answered", response_rate: "Response rate",
        on_time_rate: "On time", rated: "Rated", dissatisfied_share: "Dissatisfied", escalated: "Escalated",
        escalation_share: "Escalation share", overdue: "Overdue now", median_response_working_days: "Median, working days",
        key: "Name", updated: "Updated", region: "Region", body: "Body", category: "Category", due: "due",
        signin_title: "Sign in with your access token", token: "Access token", sign_in: "Sign in", sign_out: "Sign out",
        signin_hint: "The token is kept for this browser session only.", signed_in_as: "Signed in:",
        token_missing: "Enter a token.", token_malformed: "A token has only Latin letters, digits and punctuation, no spaces.",
        signin_refused: "The token was refused:", session_ended: "Your session has ended; sign in again:", refused: "Not allowed:",
        unreachable: "The server does not answer.", national: "national",
        scope_regions: "Figures cover only:", scope_national: "Figures cover the whole country.",
        role_monitor: "monitor", role_centre: "centre", role_auditor: "auditor", role_admin: "administrator" },
};
const COLUMNS = ["key", "filed", "answered", "response_rate", "on_time_rate", "rated", "dissatisfied_share",
                 "escalated", "escalation_share", "overdue", "median_response_working_days"];
const RATES = new Set(["response_rate", "on_time_rate", "dissatisfied_share", "escalation_share"]);
const BAD_HIGH = new Set(["dissatisfied_share", "escalation_share", "overdue"]);
const TILES = ["filed", "answered", "response_rate", "on_time_rate", "dissatisfied_share", "escalated",
               "escalation_share", "overdue", "median_response_working_days"];
const TOKEN_KEY = "tyndau.token";   // in sessionStorage only: never localStorage, never the URL
const REFRESH_MS = 1000;

const state = { lang: localStorage.getItem("tyndau.lang") || "kk", sort: "response_rate", asc: false,
                region: null, regions: {}, rows: [], data: null,
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
  document.querySelectorAll("#langs button").forEach((b) => b.classList.toggle("active", b.dataset.lang === state.lang));
  renderNotice();
  if (state.me) { renderWho(); renderProblem(); render(); }
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
  poll(state.session);
}

// Stops polling and forgets the previous principal's figures, so none of them stays in the page.
function stopDashboard() {
  state.session += 1;
  clearTimeout(state.timer);
  Object.assign(state, { timer: null, me: null, region: null, rows: [], data: null, problem: null,
                         sort: "response_rate", asc: false });
  ["tiles", "escalations", "overdue", "trend"].forEach((id) => $(id).replaceChildren());
  delete $("trend").dataset.days;
  document.querySelectorAll("#ranking-table thead, #ranking-table tbody, #categories-table tbody").forEach((n) => n.replaceChildren());
  $("drill-title").textContent = "";
  $("drill-back").hidden = true;
  $("updated").textContent = "";
  renderProblem();
}

async function poll(session) {
  await refresh(session);
  if (session === state.session) state.timer = setTimeout(() => poll(session), REFRESH_MS);
}

async function refresh(session = state.session) {
  const region = state.region;
  const rankingPath = region ? `/v1/ranking?by=body&region=${encodeURIComponent(region)}` : "/v1/ranking?by=region";
  try {
    const [kpis, rows, trend, cats, esc, over] = await Promise.all([
      getJSON("/v1/kpis"), getJSON(rankingPath), getJSON("/v1/trend?days=60"), getJSON("/v1/ranking?by=category"),
      getJSON("/v1/escalations?limit=15"), getJSON("/v1/overdue?limit=15")]);
    if (session !== state.session) return;   // signed out, or in again, meanwhile
    if (region === state.region) state.rows = region ? rows : rows.filter((r) => inScope(r.key));
    state.data = { kpis, trend, cats, esc, over };
    state.problem = null;
    renderProblem();
    render();
    $("updated").textContent = `${t("updated")} ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    if (session !== state.session) return;
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
  renderTiles(d.kpis); renderTrend(d.trend); renderCategories(d.cats);
  renderFeed("escalations", d.esc, (e) => `${e.recorded_at.slice(0, 19).replace("T", " ")} · ${regionName(e.region)} · ${e.body} · ${e.reason} (${e.by})`);
  renderFeed("overdue", d.over, (o) => `${o.appeal_id} · ${regionName(o.region)} · ${o.body} · ${t("due")} ${o.due_on}`);
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
  Object.assign(state, { region: code, sort: "filed", asc: false, rows: [] });
  renderRanking();
  refresh();
}

function renderRanking() {
  const table = $("ranking-table");
  const head = el("tr");
  COLUMNS.forEach((c) => {
    const th = el("th", { className: c === state.sort ? "sorted" + (state.asc ? " asc" : "") : "" }, c === "key" ? t(state.region ? "body" : "region") : t(c));
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
  table.tBodies[0].replaceChildren(...rows.map((r) => {
    const drillable = !state.region && inScope(r.key);
    const tr = el("tr", { className: drillable ? "drillable" : "" });
    tr.dataset.key = r.key;
    COLUMNS.forEach((c) => {
      const td = el("td", {}, c === "key" && !state.region ? regionName(r.key) : fmt(c, r[c]));
      if (BAD_HIGH.has(c) && r[c] > (c === "overdue" ? 0 : 0.3)) td.className = "bad";
      tr.append(td);
    });
    if (drillable) tr.addEventListener("click", () => drillInto(r.key));
    return tr;
  }));
  $("drill-title").textContent = state.region ? "· " + regionName(state.region) : "";
  $("drill-back").hidden = !state.region;
}

function renderTrend(points) {
  const svg = $("trend");
  const max = Math.max(1, ...points.map((p) => Math.max(p.filed, p.answered)));
  const x = (i) => (points.length < 2 ? 400 : (i * 800) / (points.length - 1));
  const y = (v) => 195 - (v * 185) / max;
  const line = (key) => points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
  const dots = (key) => points.map((p, i) => `<circle class="${key}" cx="${x(i).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="2.5"/>`).join("");
  svg.innerHTML = `<polyline class="filed" points="${line("filed")}"/><polyline class="answered" points="${line("answered")}"/>` + dots("filed") + dots("answered");
  svg.dataset.days = String(points.length);
}

function renderCategories(rows) {
  document.querySelector("#categories-table tbody").replaceChildren(...[...rows].sort((a, b) => b.filed - a.filed).map((r) => {
    const tr = el("tr");
    tr.append(el("td", {}, r.key), el("td", {}, String(r.filed)), el("td", {}, fmt("response_rate", r.response_rate)));
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
$("drill-back").addEventListener("click", () => {
  Object.assign(state, { region: null, sort: "response_rate", asc: false, rows: [] });
  renderRanking();
  refresh();
});
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
