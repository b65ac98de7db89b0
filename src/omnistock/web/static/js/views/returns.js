// Returns: what came back, where, and what the rules decided for it (restock, transfer,
// damaged, return to vendor, quality control), with a form to record one at the store.

import { api, optional, asList, uid } from "../api.js";
import { $, h, clear, note, errorNote, table, num, when, announce } from "../dom.js";

const ACTIONS = { restock: "restocked", transfer: "transfer", damaged: "damaged",
                  return_to_vendor: "to vendor", quality_control: "quality control" };
const TONE = { restock: "st-ok", transfer: "st-packed", damaged: "st-short",
               return_to_vendor: "st-short", quality_control: "st-picking" };

export function returnsView(ctx) {
  let timer = null;
  $("#returns-filter").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("#returns-location").addEventListener("change", load);
  $("#return-form").addEventListener("submit", record);

  const place = (code) => { const l = ctx.locations.get(code); return l ? l.name : code || "–"; };
  const here = () => ctx.store || $("#returns-location").value;

  async function load() {
    const root = $("#returns");
    const code = $("#returns-location").value;
    try {
      const body = await optional(`/v1/returns${code ? `?location=${encodeURIComponent(code)}` : ""}`);
      if (body === null) {
        clear(root, note("Returns are not available on this server (GET /v1/returns answered 404)."));
        return;
      }
      const rows = asList(body, "returns");
      clear(root, rows.length ? list(rows) : note("No return recorded here yet."));
    } catch (e) {
      clear(root, errorNote(e));
    }
  }

  function list(rows) {
    return table(rows, [
      ["recorded_at", "When", when], ["sku", "SKU"], ["quantity", "Units", num],
      ["location", "Returned at", place],
      ["condition", "Condition", (v) => v.replaceAll("_", " ")],
      ["order_id", "Order", (v, r) => v ? `${v}${r.before_shipment ? " (before shipment)" : ""}` : "–"],
      ["disposition", "Disposition", disposition],
      ["reason", "Customer's reason", (v) => v || "–"]],
    { caption: `${rows.length} return${rows.length === 1 ? "" : "s"}, newest first`,
      rowKey: (r) => r.id });
  }

  function disposition(d) {
    if (!d) return "–";
    const where = d.action === "transfer" ? ` → ${place(d.location)}` : "";
    return h("div", { class: "disposition", dataset: { action: d.action } },
      h("span", { class: `badge ${TONE[d.action] || ""}` }, ACTIONS[d.action] || d.action), where,
      h("p", { class: "hint" }, d.reason, " ", h("span", { class: "code" }, `rule ${d.rule}`)));
  }

  async function record(e) {
    e.preventDefault();
    const out = $("#return-result");
    out.classList.remove("error");
    const code = here();
    if (!code) { out.textContent = "Choose the store first."; return; }
    const order = $("#return-order").value.trim();
    const reason = $("#return-reason").value.trim();
    try {
      const made = await api("/v1/returns", { method: "POST", headers: { "Idempotency-Key": uid() },
        body: { sku: $("#return-sku").value.trim(), quantity: Number($("#return-qty").value),
                location: code, condition: $("#return-condition").value,
                ...(order ? { order_id: order } : {}), ...(reason ? { reason } : {}) } });
      const d = made.disposition;
      out.textContent = `Recorded: ${ACTIONS[d.action] || d.action}` +
        `${d.action === "transfer" ? ` to ${place(d.location)}` : ""}. ${d.reason}`;
      announce(out.textContent);
      $("#return-form").reset();
      await load();
    } catch (err) {
      out.textContent = `Return not recorded: ${err.message}`;
      out.classList.add("error");
    }
  }

  function setStores(stores) {
    const sel = $("#returns-location");
    clear(sel, h("option", { value: "" }, "All locations"), stores.map((l) =>
      h("option", { value: l.code, selected: l.code === ctx.store }, `${l.name} (${l.code})`)));
    if (ctx.storeLocked) sel.disabled = true;
  }

  function onEvent(ev) {
    if (ev.type !== "return.recorded") return;
    clearTimeout(timer);
    timer = setTimeout(() => { if (ctx.current === "returns") load(); }, 300);
  }

  return { show: load, onEvent, setStores };
}
