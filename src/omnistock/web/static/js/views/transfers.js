// Transfers: what is on its way between locations, when it is due, and what is late.

import { optional, asList } from "../api.js";
import { $, h, clear, note, errorNote, num } from "../dom.js";
import { badge } from "./orders.js";

export function transfersView(ctx) {
  let timer = null;
  $("#transfers-filter").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("#transfers-status").addEventListener("change", load);
  $("#transfers-location").addEventListener("change", load);

  async function load() {
    const params = new URLSearchParams({ limit: "200" });
    const status = $("#transfers-status").value;
    const where = $("#transfers-location").value;
    if (status) params.set("status", status);
    if (where) params.set("location", where);
    const root = $("#transfers");
    try {
      const body = await optional(`/v1/transfers?${params}`);
      if (body === null) {
        clear(root, note("Transfers are not available on this server (GET /v1/transfers " +
                         "answered 404)."));
        return;
      }
      const rows = asList(body, "transfers");
      clear(root, rows.length ? list(rows) : note("No transfer matches these filters."));
    } catch (e) {
      clear(root, errorNote(e));
    }
  }

  function list(rows) {
    const late = rows.filter((t) => t.late).length;
    const head = ["Transfer", "From", "To", "Expected", "Status", "Lines", "In transit"];
    return h("div", { class: "table-wrap" }, h("table", { class: "transfers" },
      h("caption", {}, `${rows.length} transfer${rows.length === 1 ? "" : "s"}` +
        (late ? `, ${late} late` : "")),
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map(row))));
  }

  function row(t) {
    return h("tr", { class: t.late ? "late" : null, dataset: { transfer: t.id } },
      h("th", { scope: "row" }, h("span", { title: t.id }, t.id.slice(0, 8)),
        t.order_id ? h("span", { class: "hint" }, ` order ${t.order_id}`) :
          t.reference ? h("span", { class: "hint" }, ` ${t.reference}`) : null),
      h("td", {}, place(t.from_location)),
      h("td", {}, place(t.to_location)),
      h("td", { class: "expected" }, day(t.expected_at),
        t.late ? h("span", { class: "badge st-late" }, "late") : null),
      h("td", {}, badge(t.status)),
      h("td", {}, h("ul", { class: "chips" }, t.lines.map((ln) => h("li", {
        dataset: { sku: ln.sku } }, `${ln.sku}: ${num(ln.in_transit)} of ` +
        `${num(ln.shipped || ln.quantity)}` + (ln.lost ? `, ${num(ln.lost)} lost` : "") +
        (ln.over_received ? `, ${num(ln.over_received)} over` : ""))))),
      h("td", { class: "n" }, num(t.in_transit)));
  }

  function place(code) {
    const loc = ctx.locations.get(code);
    return loc && loc.name ? loc.name : code;
  }

  function day(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) :
      d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  }

  function onEvent(ev) {
    if (!/^transfer\./.test(ev.type)) return;
    clearTimeout(timer);
    timer = setTimeout(() => { if (ctx.current === "transfers") load(); }, 500);
  }

  function setLocations(locations) {
    clear($("#transfers-location"), h("option", { value: "" }, "Any"),
      locations.map((l) => h("option", { value: l.code }, l.name || l.code)));
  }

  return { show: load, onEvent, setLocations };
}
