// The dashboard's two charts, drawn without libraries: the trend (filed and answered per day or week, with
// date and value axes, a legend and a hover value) and the tile-grid map of the 20 regions.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG_NS, tag);
  Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, String(v)));
  if (text !== undefined) e.textContent = text;
  return e;
};

// Round steps for a value axis of counts: 1, 2 or 5 times a power of ten (1 at least), about five up to `max`.
function niceStep(max) {
  const raw = Math.max(1, max / 5);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw);
}

// points: [{day, until, filed, answered}]; the svg is drawn at its own width in pixels, so text stays legible.
function drawTrend(svg, points, t, fmtDay) {
  const width = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 800), height = 220;
  const m = { left: 46, right: 12, top: 12, bottom: 34 };
  const w = width - m.left - m.right, h = height - m.top - m.bottom;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  svg.dataset.points = String(points.length);
  svg.dataset.bucket = points.length && points.some((p) => p.day !== p.until) ? "week" : "day";
  if (!points.length) {
    svg.append(svgEl("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, t("no_data")));
    return;
  }
  const max = Math.max(1, ...points.map((p) => Math.max(p.filed, p.answered)));
  const step = niceStep(max), top = Math.ceil(max / step) * step;
  const x = (i) => m.left + (points.length < 2 ? w / 2 : (i * w) / (points.length - 1));
  const y = (v) => m.top + h - (v * h) / top;
  for (let v = 0; v <= top; v += step) {
    svg.append(svgEl("line", { x1: m.left, x2: m.left + w, y1: y(v), y2: y(v), class: "grid-line" }),
               svgEl("text", { x: m.left - 6, y: y(v) + 4, "text-anchor": "end", class: "y-tick" }, String(v)));
  }
  const ticks = Math.min(points.length, Math.max(2, Math.floor(w / 90)));
  const shown = new Set(Array.from({ length: ticks }, (_, k) => Math.round((k * (points.length - 1)) / Math.max(1, ticks - 1))));
  shown.forEach((i) => {
    svg.append(svgEl("line", { x1: x(i), x2: x(i), y1: m.top + h, y2: m.top + h + 4, class: "axis" }),
               svgEl("text", { x: x(i), y: m.top + h + 18, "text-anchor": i === 0 ? "start" : i === points.length - 1 ? "end" : "middle",
                               class: "x-tick" }, fmtDay(points[i].day)));
  });
  svg.append(svgEl("line", { x1: m.left, x2: m.left + w, y1: m.top + h, y2: m.top + h, class: "axis" }),
             svgEl("line", { x1: m.left, x2: m.left, y1: m.top, y2: m.top + h, class: "axis" }));
  ["filed", "answered"].forEach((key) => {
    svg.append(svgEl("polyline", { class: key, points: points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ") }));
    if (points.length <= 120) points.forEach((p, i) => svg.append(svgEl("circle", { class: key, cx: x(i), cy: y(p[key]), r: 2.5 })));
  });
  // The hover value: a guide line and a label at the nearest bucket.
  const guide = svgEl("line", { y1: m.top, y2: m.top + h, class: "guide", visibility: "hidden" });
  const tip = svgEl("g", { class: "tip", visibility: "hidden" });
  const box = svgEl("rect", { rx: 4, height: 38 }), line1 = svgEl("text", {}), line2 = svgEl("text", {});
  tip.append(box, line1, line2);
  const catcher = svgEl("rect", { x: m.left, y: m.top, width: w, height: h, class: "catcher" });
  svg.append(guide, tip, catcher);
  const show = (clientX) => {
    const r = svg.getBoundingClientRect();
    const px = ((clientX - r.left) * width) / Math.max(1, r.width);
    const i = Math.max(0, Math.min(points.length - 1, Math.round(((px - m.left) * (points.length - 1)) / Math.max(1, w))));
    const p = points[i];
    guide.setAttribute("x1", x(i)); guide.setAttribute("x2", x(i)); guide.setAttribute("visibility", "visible");
    line1.textContent = p.day === p.until ? fmtDay(p.day) : `${fmtDay(p.day)} – ${fmtDay(p.until)}`;
    line2.textContent = `${t("filed")}: ${p.filed} · ${t("answered")}: ${p.answered}`;
    const boxWidth = 12 + 7 * Math.max(line1.textContent.length, line2.textContent.length);
    const left = Math.min(Math.max(m.left, x(i) + 8), width - boxWidth - 2);
    box.setAttribute("x", left); box.setAttribute("y", m.top); box.setAttribute("width", boxWidth);
    line1.setAttribute("x", left + 6); line1.setAttribute("y", m.top + 15);
    line2.setAttribute("x", left + 6); line2.setAttribute("y", m.top + 31);
    tip.setAttribute("visibility", "visible");
    svg.dataset.hover = `${p.day} ${p.filed} ${p.answered}`;
  };
  catcher.addEventListener("mousemove", (e) => show(e.clientX));
  catcher.addEventListener("mouseleave", () => { guide.setAttribute("visibility", "hidden"); tip.setAttribute("visibility", "hidden"); });
}

// Each region's tile [column, row], placed roughly where it lies (west to east, north to south); the cities
// of republican significance beside the region around them.
const MAP_TILES = {
  "27": [1, 1], "39": [3, 1], "59": [4, 1], "55": [6, 1],
  "23": [1, 2], "15": [2, 2], "11": [4, 2], "71": [5, 2], "63": [7, 2],
  "47": [1, 3], "62": [3, 3], "35": [5, 3], "10": [6, 3],
  "43": [3, 4], "31": [5, 4], "19": [6, 4], "33": [7, 4],
  "61": [4, 5], "79": [5, 5], "75": [6, 5],
};
const GOOD = ["#e3f1f6", "#0b3d5c"], BAD = ["#fbe9e7", "#8c1d18"];

const hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
const mix = (a, b, f) => "#" + hex(a).map((v, i) => Math.round(v + (hex(b)[i] - v) * f).toString(16).padStart(2, "0")).join("");
function luminance(c) {
  const [r, g, b] = hex(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
// Black or white text, whichever reads better on `background` (at least 4.5:1 either way on these scales).
const inkOn = (background) => ((luminance(background) + 0.05) / 0.05 >= 1.05 / (luminance(background) + 0.05) ? "#000000" : "#ffffff");

// rows: the ranking by region; figure: a field of it; badHigh: a high value is bad (reds) rather than good (blues).
function drawMap(box, rows, figure, badHigh, opts) {
  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  const values = rows.map((r) => r[figure]).filter((v) => v !== null && v !== undefined);
  const low = Math.min(...values), high = Math.max(...values);
  const [from, to] = badHigh ? BAD : GOOD;
  box.replaceChildren(...Object.entries(MAP_TILES).map(([code, [col, row]]) => {
    const r = byKey[code], v = r ? r[figure] : null;
    const tile = document.createElement("button");
    tile.type = "button";
    tile.className = "map-tile" + (code === opts.selected ? " selected" : "");
    tile.dataset.region = code;
    tile.style.gridColumn = String(col);
    tile.style.gridRow = String(row);
    const name = document.createElement("span"), value = document.createElement("strong");
    name.className = "map-name"; name.textContent = opts.name(code);
    value.className = "map-value"; value.textContent = opts.format(figure, v);
    tile.append(name, value);
    const usable = opts.inScope(code);
    tile.disabled = !usable;
    if (v !== null && v !== undefined && usable) {
      const background = mix(from, to, high > low ? (v - low) / (high - low) : 0.5);
      tile.style.background = background;
      tile.style.color = inkOn(background);
      tile.dataset.value = String(v);
    }
    tile.setAttribute("aria-pressed", String(code === opts.selected));
    tile.title = `${opts.name(code)}: ${opts.format(figure, v)}`;
    if (usable) tile.addEventListener("click", () => opts.open(code));
    return tile;
  }));
}
