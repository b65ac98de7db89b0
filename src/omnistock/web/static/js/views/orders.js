// Orders: status, where each part is fulfilled, and why the sourcing chose those nodes.

import { optional, asList } from "../api.js";
import { $, h, clear, note, errorNote, when, show } from "../dom.js";

export function ordersView(ctx) {
  let timer = null;
  $("#orders-filter").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("#orders-status").addEventListener("change", load);
  $("#orders-channel").addEventListener("change", load);

  async function load() {
    const params = new URLSearchParams();
    const status = $("#orders-status").value;
    const channel = $("#orders-channel").value;
    if (status) params.set("status", status);
    if (channel) params.set("channel", channel);
    const root = $("#orders");
    try {
      const body = await optional(`/v1/orders${params.size ? `?${params}` : ""}`);
      if (body === null) {
        clear(root, note("Orders are not available on this server yet (GET /v1/orders " +
                         "answered 404). This panel fills in once order orchestration is on."));
        return;
      }
      const orders = asList(body, "orders");
      clear(root, orders.length ? list(orders) : note("No order matches these filters."));
    } catch (e) {
      clear(root, errorNote(e));
    }
  }

  function list(orders) {
    const head = ["Order", "Channel", "Status", "Placed", "Delivery", "Fulfilled by",
                  "Why these nodes"];
    return h("div", { class: "table-wrap" }, h("table", { class: "orders" },
      h("caption", {}, `${orders.length} order${orders.length === 1 ? "" : "s"}`),
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, orders.map(row))));
  }

  function row(o) {
    const parts = asList(o.fulfillments).map((f) => h("li", {},
      h("span", { class: "loc" }, locationName(f.location)),
      f.destination ? ` → ${locationName(f.destination)}` : "", " ", badge(f.status)));
    return h("tr", { dataset: { order: o.order_id || o.id } },
      h("th", { scope: "row" }, o.order_id || o.id),
      h("td", {}, o.channel || "–"),
      h("td", {}, badge(o.status)),
      h("td", {}, when(o.placed_at || o.created_at)),
      h("td", {}, delivery(o.delivery)),
      h("td", {}, h("ul", { class: "chips" }, parts)),
      h("td", { class: "why" }, explain(o.explanation ?? o.sourcing?.explanation, locationName)));
  }

  function locationName(code) {
    const loc = ctx.locations.get(code);
    return loc ? loc.name : code || "–";
  }

  function delivery(d) {
    if (!d) return "–";
    if (d.method === "pickup" || d.method === "curbside") {
      return `${d.method === "pickup" ? "Pick up" : "Curbside"} at ${locationName(d.location)}`;
    }
    return d.method === "ship" ? "Ship" : show(d.method);
  }

  function onEvent(ev) {
    if (!/^(order|fulfillment)\./.test(ev.type)) return;
    clearTimeout(timer);
    timer = setTimeout(() => { if (ctx.current === "orders") load(); }, 500);
  }

  function setChannels(channels) {
    clear($("#orders-channel"), h("option", { value: "" }, "Any"),
      channels.map((c) => h("option", { value: c.code }, c.name || c.code)));
  }

  return { show: load, onEvent, setChannels };
}

export function badge(status) {
  if (!status) return "–";
  return h("span", { class: `badge st-${status}` }, status.replaceAll("_", " "));
}

// The sourcing decision: {reason, strategy, notes, candidates: [{code, status, distance_km,
// reason, terms: {total, ...}}]}; anything else is shown as it comes.
export function explain(x, place = (c) => c) {
  if (x === null || x === undefined || x === "") return "–";
  if (typeof x === "string") return x;
  if (Array.isArray(x)) return h("ul", { class: "explain" }, x.map((v) => h("li", {}, explain(v))));
  if (typeof x !== "object") return String(x);
  if (Array.isArray(x.candidates)) return decision(x, place);
  const summary = x.summary || x.text || x.reason || x.message;
  const rest = Object.entries(x).filter(([k]) => !["summary", "text", "reason", "message"]
    .includes(k));
  return h("div", { class: "explain" }, summary ? h("p", {}, summary) : null,
    rest.length ? h("details", {}, h("summary", {}, summary ? "details" : "why"),
      h("dl", {}, rest.flatMap(([k, v]) => [h("dt", {}, k.replaceAll("_", " ")),
        h("dd", {}, typeof v === "object" && v !== null ? explain(v) : show(v))]))) : null);
}

function decision(x, place) {
  const money = (v) => (v === null || v === undefined ? "–" : v.toFixed(2));
  const weighed = x.candidates.filter((c) => c.status !== "excluded");
  const excluded = new Map();
  for (const c of x.candidates.filter((c) => c.status === "excluded")) {
    const why = (c.reason || "excluded").replaceAll("_", " ");
    excluded.set(why, [...(excluded.get(why) || []), place(c.code)]);
  }
  return h("div", { class: "explain" }, h("p", {}, x.reason || "–"),
    (x.notes || []).map((n) => h("p", { class: "hint" }, n)),
    h("details", {}, h("summary", {}, `${weighed.length} node${weighed.length === 1 ? "" : "s"} ` +
      `weighed, ${x.candidates.length - weighed.length} excluded` +
      (x.strategy ? ` (${x.strategy})` : "")),
      weighed.length ? h("table", { class: "candidates" },
        h("thead", {}, h("tr", {}, ["Node", "", "km", "Cost", ""].map((t) =>
          h("th", { scope: "col" }, t)))),
        h("tbody", {}, weighed.map((c) => h("tr", { class: `c-${c.status}` },
          h("td", {}, place(c.code)), h("td", {}, badge(c.status)),
          h("td", { class: "n" }, c.distance_km ?? "–"),
          h("td", { class: "n" }, money(c.terms && c.terms.total)),
          h("td", {}, c.covers_order === false ? "not the whole order" : ""))))) : null,
      [...excluded].map(([why, names]) => h("p", { class: "hint" },
        `Excluded, ${why}: ${names.slice(0, 6).join(", ")}` +
        (names.length > 6 ? ` and ${names.length - 6} more` : "")))));
}
