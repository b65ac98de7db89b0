// Exceptions: what needs a person. Each panel loads on its own and says when its source is
// not there (404) rather than failing the page.

import { optional, asList } from "../api.js";
import { $, h, clear, note, errorNote, table, num, when, show } from "../dom.js";

export function exceptionsView(ctx) {
  let timer = null;
  const place = (code) => { const l = ctx.locations.get(code); return l ? l.name : code; };

  async function panel(id, path, render, missing) {
    const root = $(id);
    try {
      const body = await optional(path);
      clear(root, body === null ? note(missing) : render(body));
    } catch (e) {
      clear(root, errorNote(e));
    }
  }

  function negatives(body) {
    const rows = asList(body.negative_availability);
    const oversold = rows.filter((r) => r.cause === "oversold").length;
    return rows.length ? table(rows, [
      ["sku", "SKU"], ["location", "Location", place],
      ["cause", "Cause", (v) => h("span", { class: `badge ${v === "oversold" ? "st-short" : ""}` },
        v === "oversold" ? "oversold" : "below safety stock")],
      ["available", "Available", (v) => h("strong", { class: "neg" }, num(v))],
      ["on_hand", "On hand", num], ["committed", "Committed", num],
      ["reserved", "Reserved", num], ["safety_stock", "Safety", num],
      ["updated_at", "Since", when]],
    { caption: `${rows.length} position${rows.length === 1 ? "" : "s"}, ${oversold} oversold ` +
               "(more units held than on hand); worst first" })
      : note("None: no position has negative availability.", "note ok");
  }

  function counts(body) {
    const rows = asList(body.large_count_adjustments);
    return rows.length ? table(rows, [
      ["sku", "SKU"], ["location", "Location", place],
      ["delta", "Adjustment", (v) => h("strong", { class: v < 0 ? "neg" : "pos" },
        `${v > 0 ? "+" : ""}${num(v)}`)],
      ["counted", "Counted", num], ["source", "Source"], ["counted_at", "When", when]],
    { caption: `Counts that moved on hand by ${body.count_threshold} units or more` })
      : note(`None: no count moved on hand by ${body.count_threshold} units or more.`, "note ok");
  }

  function feeds(body) {
    const rows = asList(body, "sources");
    if (!rows.length) return note("No feed has sent anything yet.");
    const stale = (r) => r.stale === true || ["stale", "down", "late", "error"].includes(r.status)
      || ["stale", "down", "late"].includes(r.health);
    const sorted = [...rows].sort((a, b) => stale(b) - stale(a));
    const n = rows.filter(stale).length;
    return h("div", {}, n ? note(`${n} stale feed${n === 1 ? "" : "s"}.`, "note error")
      : note("Every feed is current.", "note ok"),
    table(sorted, [
      ["source", "Source"], ["name", "Name"], ["status", "Status", (v, r) => h("span",
        { class: `badge ${stale(r) ? "st-short" : "st-ok"}` }, v || (stale(r) ? "stale" : "ok"))],
      ["health", "Health"],
      ["last_seen_at", "Last record", when], ["last_received_at", "Last record", when],
      ["last_at", "Last record", when], ["lag_seconds", "Lag (s)", num],
      ["records", "Records", num], ["quarantined", "Quarantined", num]]));
  }

  function quarantine(body) {
    const rows = asList(body, "records", "quarantine");
    return rows.length ? table(rows, [
      ["id", "#"], ["source", "Source"], ["format", "Format"], ["position", "Where"],
      ["reason", "Reason"], ["created_at", "When", when],
      ["retryable", "Retry", (v) => (v ? "can retry" : "needs a corrected re-send")]])
      : note("Nothing in quarantine.", "note ok");
  }

  function parked(body) {
    const rows = asList(body, "deliveries");
    return rows.length ? table(rows, [
      ["id", "#"], ["webhook_id", "Webhook"], ["url", "URL"], ["event_type", "Event"],
      ["event_id", "Event id"], ["attempts", "Attempts", num],
      ["last_status_code", "Last status"], ["last_error", "Last error", show],
      ["last_attempt_at", "Last attempt", when]])
      : note("No parked delivery.", "note ok");
  }

  function load() {
    return Promise.all([
      panel("#ex-negative", "/v1/exceptions", negatives,
            "Not available on this server (GET /v1/exceptions answered 404)."),
      panel("#ex-counts", "/v1/exceptions", counts,
            "Not available on this server (GET /v1/exceptions answered 404)."),
      panel("#ex-feeds", "/v1/sources", feeds,
            "Feed health is not available on this server yet (GET /v1/sources answered 404)."),
      panel("#ex-quarantine", "/v1/quarantine", quarantine,
            "The quarantine is not available on this server yet (GET /v1/quarantine answered 404)."),
      panel("#ex-webhooks", "/v1/webhooks/deliveries?status=parked", parked,
            "Webhooks are not available on this server yet (GET /v1/webhooks/deliveries answered 404)."),
    ]);
  }

  function onEvent(ev) {
    if (ev.type !== "availability.changed" || !ev.data) return;
    if (ev.data.available >= 0 && ev.data.cause !== "count") return;
    clearTimeout(timer);
    timer = setTimeout(() => { if (ctx.current === "exceptions") load(); }, 1500);
  }

  return { show: load, onEvent };
}
