// Hand-drawn SVG charts: a line chart over days, grouped bars, and horizontal bars.
// Each chart is an <svg role="img"> with a title and a description of its data.

import { s } from "./dom.js";

const W = 640;
const H = 240;
const M = { top: 16, right: 16, bottom: 34, left: 52 };

function frame(title, desc, cls) {
  return s("svg", { viewBox: `0 0 ${W} ${H}`, class: `chart ${cls}`, role: "img",
                    "aria-label": title },
           s("title", {}, title), s("desc", {}, desc));
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axes(svg, max, fmt, labels) {
  const g = s("g", { class: "axis" });
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  for (let i = 0; i <= 4; i++) {
    const y = M.top + ih - (ih * i) / 4;
    g.append(s("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, class: "grid" }),
             s("text", { x: M.left - 6, y: y + 4, class: "tick y" }, fmt((max * i) / 4)));
  }
  const every = Math.ceil(labels.length / 8);
  labels.forEach((label, i) => {
    if (i % every) return;
    const x = M.left + (iw * (i + 0.5)) / labels.length;
    g.append(s("text", { x, y: H - 12, class: "tick x" }, label));
  });
  svg.append(g);
  return { iw, ih };
}

const dayLabel = (d) => d.slice(5).replace("-", "/");

// points: [{date, value}] with value possibly null.
export function lineChart(points, { title, fmt = String, cls = "" }) {
  const values = points.map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const desc = points.map((p) => `${p.date}: ${p.value == null ? "n/a" : fmt(p.value)}`)
    .join("; ");
  const svg = frame(title, desc, `line ${cls}`);
  const max = niceMax(Math.max(0, ...values));
  const { iw, ih } = axes(svg, max, fmt, points.map((p) => dayLabel(p.date)));
  const xy = (i, v) => [M.left + (iw * (i + 0.5)) / points.length, M.top + ih - (ih * v) / max];
  let d = "";
  const dots = s("g", { class: "dots" });
  points.forEach((p, i) => {
    if (p.value == null) return;
    const [x, y] = xy(i, p.value);
    d += `${d ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    dots.append(s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 3.5 },
                  s("title", {}, `${p.date}: ${fmt(p.value)}`)));
  });
  if (d) {
    const first = xy(points.findIndex((p) => p.value != null), 0);
    const lastIndex = points.length - 1 - [...points].reverse().findIndex((p) => p.value != null);
    const last = xy(lastIndex, 0);
    svg.append(s("path", { class: "area", d: `${d}L${last[0].toFixed(1)},${last[1].toFixed(1)}` +
                                          `L${first[0].toFixed(1)},${first[1].toFixed(1)}Z` }),
               s("path", { class: "line", d }));
  }
  svg.append(dots);
  return svg;
}

// rows: [{date, a: n, b: n}], keys: [[key, label]].
export function barChart(rows, keys, { title, fmt = String, cls = "" }) {
  const desc = rows.map((r) => `${r.date}: ` + keys.map(([k, l]) => `${l} ${fmt(r[k] || 0)}`)
    .join(", ")).join("; ");
  const svg = frame(title, desc, `bars ${cls}`);
  const max = niceMax(Math.max(0, ...rows.flatMap((r) => keys.map(([k]) => r[k] || 0))));
  const { iw, ih } = axes(svg, max, fmt, rows.map((r) => dayLabel(r.date)));
  const band = iw / Math.max(rows.length, 1);
  const bw = Math.min(28, (band * 0.8) / keys.length);
  const g = s("g", { class: "series" });
  rows.forEach((r, i) => {
    keys.forEach(([k, l], j) => {
      const v = r[k] || 0;
      const bh = (ih * v) / max;
      const x = M.left + band * i + band / 2 - (bw * keys.length) / 2 + bw * j;
      g.append(s("rect", { x: x.toFixed(1), y: (M.top + ih - bh).toFixed(1), width: bw.toFixed(1),
                           height: bh.toFixed(1), class: `s${j}` },
                 s("title", {}, `${r.date} ${l}: ${fmt(v)}`)));
    });
  });
  svg.append(g);
  svg.append(legend(keys));
  return svg;
}

function legend(keys) {
  const g = s("g", { class: "legend" });
  keys.forEach(([, l], j) => {
    const x = W - M.right - (keys.length - j) * 110;
    g.append(s("rect", { x, y: 2, width: 10, height: 10, class: `s${j}` }),
             s("text", { x: x + 14, y: 11 }, l));
  });
  return g;
}

// items: [{label, values: [v0, v1]}] drawn as horizontal bars, one band per item.
export function hbarChart(items, keys, { title, fmt = String, cls = "" }) {
  const rowH = 34;
  const height = Math.max(80, items.length * rowH + 40);
  const left = 130;
  const svg = s("svg", { viewBox: `0 0 ${W} ${height}`, class: `chart hbars ${cls}`, role: "img",
                         "aria-label": title },
                s("title", {}, title),
                s("desc", {}, items.map((it) => `${it.label}: ` + keys.map(([, l], j) =>
                  `${l} ${fmt(it.values[j])}`).join(", ")).join("; ")));
  const max = niceMax(Math.max(0, ...items.flatMap((it) => it.values)));
  const iw = W - left - 70;
  items.forEach((it, i) => {
    const y = 24 + i * rowH;
    svg.append(s("text", { x: left - 8, y: y + 14, class: "tick y" }, it.label));
    keys.forEach(([, l], j) => {
      const v = it.values[j] || 0;
      const bw = Math.max(1, (iw * v) / max);
      const by = y + j * 12;
      svg.append(s("rect", { x: left, y: by, width: bw.toFixed(1), height: 10, class: `s${j}` },
                   s("title", {}, `${it.label} ${l}: ${fmt(v)}`)),
                 s("text", { x: left + bw + 6, y: by + 9, class: "value" }, fmt(v)));
    });
  });
  svg.append(legend(keys));
  return svg;
}
