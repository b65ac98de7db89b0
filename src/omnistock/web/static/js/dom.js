// Small DOM helpers: build elements without innerHTML (no injection from data).

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function $(sel, root = document) { return root.querySelector(sel); }

export function clear(el, ...children) {
  el.replaceChildren();
  return build(el, {}, children);
}

const nf = new Intl.NumberFormat("en-GB");
export function num(v) { return v === null || v === undefined ? "–" : nf.format(v); }

export function pct(v, digits = 1) {
  return v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(digits)} %`;
}

export function seconds(v) {
  if (v === null || v === undefined) return "–";
  if (v < 1) return `${Math.round(v * 1000)} ms`;
  if (v < 120) return `${v.toFixed(1)} s`;
  if (v < 7200) return `${(v / 60).toFixed(1)} min`;
  return `${(v / 3600).toFixed(1)} h`;
}

export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const ago = (Date.now() - d.getTime()) / 1000;
  if (ago >= 0 && ago < 90) return `${Math.round(ago)} s ago`;
  if (ago >= 0 && ago < 5400) return `${Math.round(ago / 60)} min ago`;
  return d.toLocaleString("en-GB", { dateStyle: "short", timeStyle: "short" });
}

export function flash(el) {
  el.classList.remove("flash");
  void el.getBoundingClientRect(); // restart the animation
  el.classList.add("flash");
}

const announcer = () => document.getElementById("announcer");
export function announce(text) {
  const el = announcer();
  if (el) el.textContent = text;
}

// An empty panel that says why.
export function note(text, cls = "note") { return h("p", { class: cls }, text); }

export function errorNote(e) {
  if (e && e.status === 403) return note(`Not allowed with this key: ${e.message}`, "note error");
  if (e && e.status === 401) return note("The key was refused. Sign in again.", "note error");
  return note(`Could not load: ${e && e.message ? e.message : e}`, "note error");
}

// A table of rows, showing the columns present among `columns` ([key, label, render?]).
export function table(rows, columns, { caption, rowKey } = {}) {
  const present = columns.filter(([k]) => rows.some((r) => r[k] !== undefined));
  const cols = present.length ? present : Object.keys(rows[0] || {}).map((k) => [k, k]);
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, cols.map(([, label]) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, rows.map((r) => h("tr", rowKey ? { dataset: { key: rowKey(r) } } : {},
        cols.map(([k, , render]) => h("td", {}, render ? render(r[k], r) : show(r[k]))))))));
}

export function show(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "object") return JSON.stringify(v);
  if (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v)) return when(v);
  return String(v);
}
