// The dashboard's period and view, and their place in the address: ?period=month|quarter|year|all|custom
// &at=YYYY-MM-DD (the first day of a month, quarter or year) or &from=…&to=… (custom), &region=CODE, &figure=NAME.
// Days are Kazakhstan's legal dates, written YYYY-MM-DD; the arithmetic is on UTC dates, so no zone shifts them.
"use strict";

const PERIODS = ["month", "quarter", "year", "all", "custom"];
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

// Today in Kazakhstan, whatever the browser's zone or its time-zone data: all of the country is on UTC+5
// since 1 March 2024, so for today a fixed offset is exact.
function kzToday() {
  return new Date(Date.now() + 5 * 3600 * 1000).toISOString().slice(0, 10);
}

const parts = (day) => day.split("-").map(Number);
const iso = (y, m, d) => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
const validDay = (day) => typeof day === "string" && DAY_RE.test(day) && iso(...parts(day)) === day
  && day >= "1970-01-01" && day <= "2149-12-31";

// The first day of the month, quarter or year that holds `day`.
function periodStart(kind, day) {
  const [y, m] = parts(day);
  if (kind === "month") return iso(y, m, 1);
  if (kind === "quarter") return iso(y, m - ((m - 1) % 3), 1);
  return iso(y, 1, 1);
}

// The period `n` steps from the one starting at `at`.
function shiftPeriod(kind, at, n) {
  const [y, m] = parts(at);
  if (kind === "month") return iso(y, m + n, 1);
  if (kind === "quarter") return iso(y, m + 3 * n, 1);
  return iso(y + n, 1, 1);
}

// {from, to} of a period; nulls for "all" (the server's whole range).
function periodRange(p) {
  if (p.kind === "all") return { from: null, to: null };
  if (p.kind === "custom") return { from: p.from, to: p.to };
  const next = shiftPeriod(p.kind, p.at, 1);
  const [y, m, d] = parts(next);
  return { from: p.at, to: iso(y, m, d - 1) };
}

function periodLabel(p, t) {
  const [y, m] = parts(p.at || kzToday());
  if (p.kind === "month") return `${t("months").split(" ")[m - 1]} ${y}`;
  if (p.kind === "quarter") return t("quarter_label").replace("{q}", String((m + 2) / 3)).replace("{year}", String(y));
  if (p.kind === "year") return String(y);
  return "";
}

// The view the address asks for, every part checked (a hostile or stale link falls back to the defaults).
function readView(search, regions, figures) {
  const q = new URLSearchParams(search);
  const kind = PERIODS.includes(q.get("period")) ? q.get("period") : "all";
  const view = { period: { kind, at: periodStart(kind === "quarter" || kind === "month" ? kind : "year", kzToday()),
                           from: null, to: null },
                 region: null, figure: figures[0] };
  if (["month", "quarter", "year"].includes(kind) && validDay(q.get("at") || "")) view.period.at = periodStart(kind, q.get("at"));
  if (kind === "custom") {
    const from = q.get("from"), to = q.get("to");
    const today = kzToday();
    view.period.from = validDay(from || "") ? from : periodStart("year", today);
    view.period.to = validDay(to || "") && to >= view.period.from ? to : (today >= view.period.from ? today : view.period.from);
  }
  if (regions.includes(q.get("region"))) view.region = q.get("region");
  if (figures.includes(q.get("figure"))) view.figure = q.get("figure");
  return view;
}

function writeView(view) {
  const q = new URLSearchParams();
  q.set("period", view.period.kind);
  if (["month", "quarter", "year"].includes(view.period.kind)) q.set("at", view.period.at);
  if (view.period.kind === "custom") { q.set("from", view.period.from); q.set("to", view.period.to); }
  if (view.region) q.set("region", view.region);
  q.set("figure", view.figure);
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

// The query string of a figure's request: the period's dates, and the region when one is open.
function viewQuery(view, withRegion = true) {
  const { from, to } = periodRange(view.period);
  const q = new URLSearchParams();
  if (from) q.set("from", from);
  if (to) q.set("to", to);
  if (withRegion && view.region) q.set("region", view.region);
  return q.toString();
}
