// Network view: find an item, see every location's buckets in a table and on the map,
// ATP for a channel, in-transit stock; live updates from the event stream.

import { api, asList } from "../api.js";
import { $, h, clear, num, flash, announce, note, errorNote } from "../dom.js";
import { createMap } from "../map.js";

const BUCKETS = [
  ["available", "Available"], ["on_hand", "On hand"], ["incoming", "Incoming"],
  ["committed", "Committed"], ["reserved", "Reserved"], ["damaged", "Damaged"],
  ["quality_control", "QC"], ["safety_stock", "Safety"],
];
const KIND_ORDER = { dc: 0, dark_store: 1, "3pl": 2, store: 3 };

export function networkView(ctx) {
  const state = { sku: null, item: null, channel: "", scope: null, rows: new Map(), map: null,
                  tbody: null, seq: 0 };
  const results = $("#results");
  let timer = null;

  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  $("#q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  $("#channel").addEventListener("change", (e) => { state.channel = e.target.value; load(); });

  async function search() {
    const q = $("#q").value.trim();
    if (!q) { results.replaceChildren(); return; }
    try {
      const found = asList(await api(`/v1/items?q=${encodeURIComponent(q)}&limit=20`), "items");
      clear(results, found.length ? found.map((it) => h("li", {},
        h("button", { type: "button", class: "result", onclick: () => open(it.sku) },
          h("strong", {}, it.sku), " ", it.name || "",
          it.gtin ? h("span", { class: "ids" }, ` GTIN ${it.gtin}`) : null)))
        : h("li", { class: "note" }, `No item matches “${q}”.`));
    } catch (e) {
      clear(results, h("li", {}, errorNote(e)));
    }
  }

  async function open(sku) {
    state.sku = sku;
    results.replaceChildren();
    $("#item").hidden = false;
    try {
      state.item = await api(`/v1/items/${encodeURIComponent(sku)}`);
    } catch (e) {
      state.item = { sku, name: "" };
    }
    $("#item-title").textContent = state.item.name || sku;
    $("#item-ids").textContent = [`SKU ${sku}`, state.item.gtin && `GTIN ${state.item.gtin}`,
      state.item.unit_cost != null && `unit cost ${state.item.unit_cost.toFixed(2)}`]
      .filter(Boolean).join(" · ");
    await load();
    $("#item-title").focus?.();
  }

  async function load() {
    const seq = ++state.seq;
    const sku = state.sku;
    const ch = state.channel;
    const path = `/v1/availability/${encodeURIComponent(sku)}` +
      (ch ? `?channel=${encodeURIComponent(ch)}` : "");
    try {
      const [body, channel] = await Promise.all([
        api(path), ch ? api(`/v1/channels/${encodeURIComponent(ch)}`) : null]);
      if (seq !== state.seq) return;
      state.scope = channel ? new Set(channel.locations) : null;
      state.rows = new Map(asList(body, "locations").map((r) => [r.location, r]));
      render();
    } catch (e) {
      if (seq !== state.seq) return;
      clear($("#positions"), errorNote(e));
    }
  }

  function sortedCodes() {
    return [...state.rows.keys()].sort((a, b) => {
      const la = ctx.locations.get(a) || {};
      const lb = ctx.locations.get(b) || {};
      return (KIND_ORDER[la.kind] ?? 9) - (KIND_ORDER[lb.kind] ?? 9) ||
        (la.name || a).localeCompare(lb.name || b);
    });
  }

  function render() {
    const inScope = [...ctx.locations.values()].filter((l) => !state.scope || state.scope.has(l.code));
    state.map = createMap($("#map"), inScope, (code) => highlight(code));
    state.map.update(state.rows);
    state.tbody = h("tbody", {}, sortedCodes().map((code) => row(code)));
    const caption = state.channel
      ? `Positions of ${state.sku} at the ${state.channel} channel's locations`
      : `Positions of ${state.sku} at every location that holds it`;
    clear($("#positions"), state.rows.size ? h("div", { class: "table-wrap" },
      h("table", { class: "buckets" }, h("caption", {}, caption),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Location"),
          BUCKETS.map(([, label]) => h("th", { scope: "col", class: "n" }, label)))),
        state.tbody))
      : note("No location holds this item" + (state.channel ? " in this channel." : ".")));
    tiles();
  }

  function row(code) {
    const r = state.rows.get(code);
    const loc = ctx.locations.get(code) || { code, name: code };
    return h("tr", { dataset: { location: code }, class: r.available < 0 ? "negative" : null },
      h("th", { scope: "row" }, h("span", { class: `dot kind-${loc.kind || "store"}` }),
        loc.name || code, h("span", { class: "code" }, code)),
      BUCKETS.map(([k]) => h("td", { class: `n ${k}${r[k] > 0 ? " some" : ""}`,
                                     dataset: { bucket: k } }, num(r[k]))));
  }

  function tiles() {
    const rows = [...state.rows.values()];
    const sum = (k) => rows.reduce((t, r) => t + (r[k] || 0), 0);
    const atp = rows.reduce((t, r) => t + Math.max(r.available, 0), 0);
    const label = state.channel ? `ATP · ${state.channel}` : "Available (all)";
    clear($("#item-tiles"),
      tile(label, num(atp), "atp"), tile("On hand", num(sum("on_hand"))),
      tile("Reserved + committed", num(sum("reserved") + sum("committed"))),
      tile("In transit (incoming)", num(sum("incoming"))),
      tile("Locations out of stock", num(rows.filter((r) => r.available <= 0).length)));
  }

  function highlight(code) {
    state.map?.select(code);
    const tr = state.tbody?.querySelector(`tr[data-location="${CSS.escape(code)}"]`);
    if (tr) { tr.scrollIntoView({ block: "nearest" }); flash(tr); }
  }

  function onEvent(ev) {
    if (ev.type !== "availability.changed" || !ev.data) return;
    const d = ev.data;
    feed(d);
    if (d.sku !== state.sku || (state.scope && !state.scope.has(d.location))) return;
    const fresh = !state.rows.has(d.location);
    const next = { location: d.location };
    for (const [k] of BUCKETS) next[k] = d[k] ?? 0;
    state.rows.set(d.location, next);
    if (fresh || !state.tbody) { render(); }
    else {
      const tr = state.tbody.querySelector(`tr[data-location="${CSS.escape(d.location)}"]`);
      const replacement = row(d.location);
      tr.replaceWith(replacement);
      flash(replacement);
      state.map.pulse(d.location, next, state.rows);
      tiles();
    }
    const loc = ctx.locations.get(d.location);
    announce(`${d.sku} at ${loc ? loc.name : d.location}: ${d.available} available (${d.cause}).`);
  }

  function feed(d) {
    const list = $("#feed");
    const loc = ctx.locations.get(d.location);
    const t = new Date().toLocaleTimeString("en-GB");
    list.prepend(h("li", { class: d.available < 0 ? "negative" : null },
      h("time", {}, t), " ",
      h("button", { type: "button", class: "link", onclick: () => open(d.sku) }, d.sku),
      ` ${d.cause || "change"} at ${loc ? loc.name : d.location} → `,
      h("strong", {}, num(d.available)), " available"));
    while (list.children.length > 14) list.lastElementChild.remove();
  }

  function setChannels(channels) {
    const sel = $("#channel");
    clear(sel, h("option", { value: "" }, "All locations"),
      channels.map((c) => h("option", { value: c.code }, `${c.name || c.code} (${c.code})`)));
  }

  return { open, onEvent, setChannels, show() {}, get sku() { return state.sku; } };
}

function tile(label, value, cls = "") {
  return h("div", { class: `tile ${cls}` }, h("span", { class: "label" }, label),
    h("span", { class: "value" }, value));
}
