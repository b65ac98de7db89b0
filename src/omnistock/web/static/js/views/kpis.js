// KPIs over a period (GET /v1/kpis?from=&to=), as tiles and hand-drawn SVG charts.

import { api } from "../api.js";
import { $, h, clear, num, pct, seconds, errorNote, note } from "../dom.js";
import { lineChart, barChart, hbarChart } from "../charts.js";

const DAY = 86400000;

export function kpisView() {
  const preset = $("#kpi-preset");
  preset.addEventListener("change", () => { fillDates(); if (preset.value !== "custom") load(); });
  $("#kpi-period").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  for (const id of ["#kpi-from", "#kpi-to"]) {
    $(id).addEventListener("change", () => { preset.value = "custom"; });
  }
  fillDates();

  function fillDates() {
    if (preset.value === "custom") return;
    const days = Number(preset.value);
    const to = new Date();
    $("#kpi-to").value = to.toISOString().slice(0, 10);
    $("#kpi-from").value = new Date(to.getTime() - (days === 1 ? DAY : (days - 1) * DAY))
      .toISOString().slice(0, 10);
  }

  function period() {
    if (preset.value === "1") {
      const to = new Date();
      return [new Date(to.getTime() - DAY).toISOString(), to.toISOString()];
    }
    const from = $("#kpi-from").value;
    const to = $("#kpi-to").value;
    const end = to ? new Date(Date.parse(`${to}T00:00:00Z`) + DAY) : new Date();
    const capped = end > new Date() ? new Date() : end;
    return [from ? `${from}T00:00:00Z` : "", capped.toISOString()];
  }

  async function load() {
    const [from, to] = period();
    const params = new URLSearchParams();
    if (from) params.set("from", from);
    if (to) params.set("to", to);
    try {
      render(await api(`/v1/kpis?${params}`));
    } catch (e) {
      clear($("#kpi-tiles"), errorNote(e));
      $("#kpi-charts").replaceChildren();
    }
  }

  function render(k) {
    const orderNote = k.orders && !k.orders.recorded ? k.orders.note : null;
    clear($("#kpi-tiles"),
      tile("Stockout rate", pct(k.stockout_rate.value),
           `${num(k.stockout_rate.out)} of ${num(k.stockout_rate.cells)} item·location·days`),
      tile("Fill rate", pct(k.fill_rate.value), k.fill_rate.note || closed(k.fill_rate)),
      tile("BOPIS share", pct(k.bopis_share.value), k.bopis_share.note ||
           `${num(k.bopis_share.orders)} orders`),
      tile("Ship-from-store share", pct(k.ship_from_store_share.value),
           k.ship_from_store_share.note || `${num(k.ship_from_store_share.fulfillments)} shipments`),
      tile("Split-shipment rate", pct(k.split_shipment_rate.value),
           k.split_shipment_rate.note || `${num(k.split_shipment_rate.orders)} orders`),
      tile("Oversell attempts refused", num(k.oversell_refused.value),
           `${num(k.oversell_refused.by_kind.reservation || 0)} holds, ` +
           `${num(k.oversell_refused.by_kind.order || 0)} orders in the period`));
    const charts = [
      chart("Stockout rate by day", lineChart(k.stockout_rate.series,
        { title: "Stockout rate by day", fmt: (v) => pct(v, 1), cls: "stockouts" })),
      chart("Units sold, shipped and returned by day", barChart(k.units.series,
        [["sold", "sold in store"], ["shipped", "shipped"], ["returned", "returned"]],
        { title: "Units sold in store, shipped and returned by day", fmt: num, cls: "units" })),
    ];
    const sources = k.data_latency.sources;
    charts.push(chart("Data latency by source (recorded − occurred)", sources.length
      ? hbarChart(sources.map((s) => ({ label: s.source, values: [s.p50_seconds, s.p99_seconds] })),
        [["p50", "p50"], ["p99", "p99"]], { title: "Data latency p50 and p99 by source",
          fmt: seconds, cls: "latency" })
      : note("No movement recorded in this period.")));
    charts.push(chart("Orders by day", orderNote ? note(orderNote)
      : barChart(k.orders.series, [["ship", "ship"], ["collect", "pick up"]],
        { title: "Orders by day and delivery method", fmt: num, cls: "orders" })));
    clear($("#kpi-charts"), charts);
    clear($("#kpi-notes"),
      h("li", {}, "Stockout rate: share of item × location × day cells whose end-of-day on-hand, " +
        "summed from the ledger, is zero or less (a cell counts from the position's first movement)."),
      h("li", {}, "Data latency: recorded_at − occurred_at of each movement recorded in the " +
        "period, by source; what omnistock writes itself (holds, allocations, order and " +
        "reservation movements) is left out."),
      h("li", {}, `Oversell attempts refused: ${k.oversell_refused.note}.`),
      h("li", {}, orderNote ? `Order figures: ${orderNote}.` :
        "Order figures count orders placed in the period. Fill rate: closed orders whose every " +
        "part was shipped or picked up, of closed orders. BOPIS share: pickup and curbside " +
        "orders. Ship-from-store share: ship fulfillments made by stores. Split-shipment rate: " +
        "orders with more than one live fulfillment (transfer legs to a pickup store aside)."));
  }

  return { show: load };
}

function closed(f) { return f.closed !== undefined ? `${num(f.closed)} closed orders` : ""; }

function tile(label, value, sub) {
  return h("div", { class: "tile" }, h("span", { class: "label" }, label),
    h("span", { class: "value" }, value), sub ? h("span", { class: "sub" }, sub) : null);
}

function chart(title, body) {
  return h("figure", { class: "chart-card" }, h("figcaption", {}, title), body);
}
