// tyndau dashboard: polls the worker's JSON endpoints every second; no external scripts or styles.
"use strict";

const I18N = {
  kk: { title: "Тыңдау", subtitle: "Халық үніне құлақ асатын мемлекет", ranking: "Тыңдайтын әкімдіктер рейтингі", back: "артқа",
        trend: "Күн сайын: түскен және жауап берілген", categories: "Санаттар", escalations: "Орталыққа шағымдар",
        overdue_list: "Мерзімі өткен өтініштер", filed: "Түскені", answered: "Жауап берілді", response_rate: "Жауап үлесі",
        on_time_rate: "Уақытында", rated: "Бағаланды", dissatisfied_share: "Наразы", escalated: "Орталыққа",
        escalation_share: "Орталыққа үлесі", overdue: "Мерзімі өтті", median_response_working_days: "Медиана, жұмыс күні",
        key: "Атауы", updated: "Жаңартылды", region: "Өңір", body: "Орган", category: "Санат", due: "мерзімі" },
  ru: { title: "Тыңдау", subtitle: "Слышащее государство", ranking: "Рейтинг слышащих акиматов", back: "назад",
        trend: "По дням: поступило и отвечено", categories: "Категории", escalations: "Обращения в центр",
        overdue_list: "Просроченные обращения", filed: "Поступило", answered: "Отвечено", response_rate: "Доля ответов",
        on_time_rate: "В срок", rated: "Оценено", dissatisfied_share: "Недовольны", escalated: "В центр",
        escalation_share: "Доля в центр", overdue: "Просрочено", median_response_working_days: "Медиана, раб. дни",
        key: "Название", updated: "Обновлено", region: "Регион", body: "Орган", category: "Категория", due: "срок" },
  en: { title: "Tyndau", subtitle: "The Listening State", ranking: "Listening akimats ranking", back: "back",
        trend: "Per day: filed and answered", categories: "Categories", escalations: "Escalations to the centre",
        overdue_list: "Overdue appeals", filed: "Filed", answered: "Answered", response_rate: "Response rate",
        on_time_rate: "On time", rated: "Rated", dissatisfied_share: "Dissatisfied", escalated: "Escalated",
        escalation_share: "Escalation share", overdue: "Overdue now", median_response_working_days: "Median, working days",
        key: "Name", updated: "Updated", region: "Region", body: "Body", category: "Category", due: "due" },
};
const COLUMNS = ["key", "filed", "answered", "response_rate", "on_time_rate", "rated", "dissatisfied_share",
                 "escalated", "escalation_share", "overdue", "median_response_working_days"];
const RATES = new Set(["response_rate", "on_time_rate", "dissatisfied_share", "escalation_share"]);
const BAD_HIGH = new Set(["dissatisfied_share", "escalation_share", "overdue"]);
const TILES = ["filed", "answered", "response_rate", "on_time_rate", "dissatisfied_share", "escalated",
               "escalation_share", "overdue", "median_response_working_days"];

const state = { lang: localStorage.getItem("tyndau.lang") || "kk", sort: "response_rate", asc: false,
                region: null, regions: {}, rows: [] };
const t = (k) => (I18N[state.lang] || I18N.en)[k] || k;
const fmt = (k, v) => v === null || v === undefined ? "—"
  : RATES.has(k) ? (100 * v).toFixed(1) + "%" : k === "median_response_working_days" ? Number(v).toFixed(1) : String(v);
const regionName = (code) => (state.regions[code] && state.regions[code][state.lang]) || code;
const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); Object.assign(e, attrs); if (text !== undefined) e.textContent = text; return e; };

async function getJSON(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

function applyLang() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("#langs button").forEach((b) => b.classList.toggle("active", b.dataset.lang === state.lang));
}

function renderTiles(k) {
  const box = document.getElementById("tiles");
  box.replaceChildren(...TILES.map((name) => {
    const tile = el("div", { className: "tile", id: "tile-" + name });
    tile.append(el("div", { className: "label" }, t(name)), el("div", { className: "value", id: "kpi-" + name }, fmt(name, k[name])));
    return tile;
  }));
}

function renderRanking() {
  const table = document.getElementById("ranking-table");
  const head = el("tr");
  COLUMNS.forEach((c) => {
    const th = el("th", { className: c === state.sort ? "sorted" + (state.asc ? " asc" : "") : "" }, c === "key" ? t(state.region ? "body" : "region") : t(c));
    th.dataset.col = c;
    th.onclick = () => { state.asc = state.sort === c ? !state.asc : c === "key"; state.sort = c; renderRanking(); };
    head.append(th);
  });
  table.tHead.replaceChildren(head);
  const rows = [...state.rows].sort((a, b) => {
    const x = a[state.sort], y = b[state.sort];
    const cmp = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
    return state.asc ? cmp : -cmp;
  });
  table.tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = el("tr", { className: state.region ? "" : "drillable" });
    tr.dataset.key = r.key;
    COLUMNS.forEach((c) => {
      const td = el("td", {}, c === "key" && !state.region ? regionName(r.key) : fmt(c, r[c]));
      if (BAD_HIGH.has(c) && r[c] > (c === "overdue" ? 0 : 0.3)) td.className = "bad";
      tr.append(td);
    });
    if (!state.region) tr.onclick = () => { state.region = r.key; state.sort = "filed"; refresh(); };
    return tr;
  }));
  document.getElementById("drill-title").textContent = state.region ? "· " + regionName(state.region) : "";
  document.getElementById("drill-back").hidden = !state.region;
}

function renderTrend(points) {
  const svg = document.getElementById("trend");
  const max = Math.max(1, ...points.map((p) => Math.max(p.filed, p.answered)));
  const x = (i) => (points.length < 2 ? 400 : (i * 800) / (points.length - 1));
  const y = (v) => 195 - (v * 185) / max;
  const line = (key) => points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
  const dots = (key) => points.map((p, i) => `<circle class="${key}" cx="${x(i).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="2.5"/>`).join("");
  svg.innerHTML = `<polyline class="filed" points="${line("filed")}"/><polyline class="answered" points="${line("answered")}"/>` + dots("filed") + dots("answered");
  svg.dataset.days = String(points.length);
}

function renderCategories(rows) {
  document.querySelector("#categories-table tbody").replaceChildren(...rows.sort((a, b) => b.filed - a.filed).map((r) => {
    const tr = el("tr");
    tr.append(el("td", {}, r.key), el("td", {}, String(r.filed)), el("td", {}, fmt("response_rate", r.response_rate)));
    return tr;
  }));
}

function renderFeed(id, items, line) {
  document.getElementById(id).replaceChildren(...items.map((i) => el("li", {}, line(i))));
}

async function refresh() {
  try {
    const rankingPath = state.region ? `/v1/ranking?by=body&region=${encodeURIComponent(state.region)}` : "/v1/ranking?by=region";
    const [kpis, rows, trend, cats, esc, over] = await Promise.all([
      getJSON("/v1/kpis"), getJSON(rankingPath), getJSON("/v1/trend?days=60"), getJSON("/v1/ranking?by=category"),
      getJSON("/v1/escalations?limit=15"), getJSON("/v1/overdue?limit=15")]);
    state.rows = rows;
    renderTiles(kpis); renderRanking(); renderTrend(trend); renderCategories(cats);
    renderFeed("escalations", esc, (e) => `${e.recorded_at.slice(0, 19).replace("T", " ")} · ${regionName(e.region)} · ${e.body} · ${e.reason} (${e.by})`);
    renderFeed("overdue", over, (o) => `${o.appeal_id} · ${regionName(o.region)} · ${o.body} · ${t("due")} ${o.due_on}`);
    document.getElementById("updated").textContent = `${t("updated")} ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    document.getElementById("updated").textContent = String(err);
  }
}

document.querySelectorAll("#langs button").forEach((b) => {
  b.onclick = () => { state.lang = b.dataset.lang; localStorage.setItem("tyndau.lang", state.lang); applyLang(); refresh(); };
});
document.getElementById("drill-back").onclick = () => { state.region = null; state.sort = "response_rate"; refresh(); };

getJSON("/v1/regions").then((r) => { state.regions = r; }).finally(() => { applyLang(); refresh(); setInterval(refresh, 1000); });
