// A store associate's work list: the store's open fulfillments with the next actions, and
// counts. Made for a phone: one card per fulfillment, large buttons.

import { api, optional, asList, session, uid } from "../api.js";
import { $, h, clear, note, errorNote, when, announce, num } from "../dom.js";
import { badge } from "./orders.js";
import { showHolds } from "./holds.js";

const COLLECT = new Set(["pickup", "curbside"]);
// The fulfillment state machine (domain/fulfillment.py): status -> action -> who may.
const NEXT = {
  allocated: { pick: "any", ready: "collect", short: "any" },
  picking: { pack: "any", ready: "collect", short: "any" },
  packed: { ship: "ship", ready: "collect" },
  short: { pack: "any", ready: "collect" },
  ready_for_pickup: { pickup: "collect" },
};
const LABELS = { pick: "Pick", pack: "Pack", ship: "Ship", ready: "Ready for pickup",
                 pickup: "Picked up", short: "Short" };

const names = new Map(); // sku -> item name, fetched once

async function nameLines(root) {
  for (const el of root.querySelectorAll("[data-sku]")) {
    const sku = el.dataset.sku;
    if (!names.has(sku)) {
      names.set(sku, api(`/v1/items/${encodeURIComponent(sku)}`).then((i) => i.name)
        .catch(() => ""));
    }
    const name = await names.get(sku);
    if (name) el.textContent = name;
  }
}

export function workView(ctx) {
  let timer = null;
  $("#work-refresh").addEventListener("click", load);
  $("#work-store").addEventListener("change", (e) => {
    session.store = e.target.value;
    ctx.store = e.target.value;
    load();
  });
  $("#count-form").addEventListener("submit", count);

  function storeCode() { return ctx.store || $("#work-store").value; }
  function place(code) { const l = ctx.locations.get(code); return l ? l.name : code; }

  async function load() {
    const code = storeCode();
    showHolds(code);
    const root = $("#work");
    const loc = ctx.locations.get(code);
    $("#work-title").textContent = loc ? `Work list · ${loc.name}` : "Work list";
    if (!code) { clear(root, note("Choose your store.")); return; }
    try {
      const body = await optional(`/v1/locations/${encodeURIComponent(code)}/work`);
      if (body === null) {
        clear(root, note("The work list is not available on this server yet (GET " +
                         `/v1/locations/${code}/work answered 404). Counts work already.`));
        return;
      }
      const items = asList(body, "fulfillments", "work");
      clear(root, items.length ? h("ul", { class: "cards" }, items.map(card))
        : note("Nothing to do: no open fulfillment at this store."));
      nameLines(root);
    } catch (e) {
      clear(root, errorNote(e));
    }
  }

  function actionsOf(f) {
    const given = f.allowed_actions || f.actions;
    if (Array.isArray(given)) return given.filter((a) => a !== "cancel");
    const method = methodOf(f);
    const next = NEXT[f.status] || {};
    return Object.entries(next).filter(([, who]) => who === "any" ||
      (who === "collect") === COLLECT.has(method)).map(([a]) => a);
  }

  function methodOf(f) {
    return f.delivery_method || f.method || f.delivery?.method || f.order?.delivery?.method || "ship";
  }

  function card(f) {
    const orderId = f.order_id || f.order?.order_id;
    const method = methodOf(f);
    const lines = asList(f.lines);
    const id = `f-${f.id}`;
    const actions = h("div", { class: "actions" }, actionsOf(f).map((a) =>
      h("button", { type: "button", class: a === "short" ? "warn" : null,
                    dataset: { action: a }, "aria-describedby": id,
                    onclick: (e) => act(f, orderId, a, lines, e.currentTarget) }, LABELS[a] || a)));
    const transfer = f.kind === "transfer";
    const inbound = transfer && f.destination === storeCode();
    return h("li", { class: "card", dataset: { fulfillment: f.id, order: orderId } },
      h("div", { class: "card-head", id },
        h("strong", {}, `Order ${orderId}`), " ", badge(f.status), " ",
        h("span", { class: `badge method-${method}` }, COLLECT.has(method) ? "Pick up" : "Ship"),
        transfer ? h("span", { class: "badge" }, inbound
          ? `transfer from ${place(f.location)}` : `transfer to ${place(f.destination)}`) : null),
      h("ul", { class: "lines" }, lines.map((l) => h("li", {},
        h("span", { class: "qty" }, `${num(l.quantity)} ×`), " ",
        h("span", { dataset: { sku: l.sku } }, l.name || l.sku),
        h("span", { class: "code" }, l.sku)))),
      f.promised_at || f.created_at
        ? h("p", { class: "hint" }, `promised ${when(f.promised_at || f.created_at)}`) : null,
      actions,
      h("p", { class: "note", role: "status" }));
  }

  async function act(f, orderId, action, lines, button) {
    const li = button.closest("li.card");
    const status = li.querySelector("p[role=status]");
    let body;
    if (action === "short") {
      const found = await shortForm(li, lines);
      if (found === null) return;
      body = lines.length === 1 ? { quantity_found: found[0] }
        : { lines: lines.map((l, i) => ({ sku: l.sku, quantity_found: found[i] })) };
    }
    li.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      await api(`/v1/orders/${encodeURIComponent(orderId)}/fulfillments/` +
                `${encodeURIComponent(f.id)}/${action}`,
                { method: "POST", body, headers: { "Idempotency-Key": uid() } });
      announce(`Order ${orderId}: ${LABELS[action] || action} done.`);
      await load();
    } catch (e) {
      status.textContent = `Could not ${LABELS[action] || action}: ${e.message}`;
      status.classList.add("error");
      li.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  }

  // Ask how many units of each line were found, inline (no modal): numbers, or null.
  function shortForm(li, lines) {
    const open = li.querySelector("form.short");
    if (open) { open.querySelector("input").focus(); return Promise.resolve(null); }
    return new Promise((resolve) => {
      const inputs = lines.map((l, i) => h("input", {
        type: "number", min: 0, max: l.quantity, step: 1, inputmode: "numeric", required: true,
        id: `f-${li.dataset.order}-${li.dataset.fulfillment}-found-${i}` }));
      const form = h("form", { class: "short" },
        lines.map((l, i) => h("div", { class: "field" },
          h("label", { for: inputs[i].id }, `${l.sku}: units found (of ${l.quantity})`),
          inputs[i])),
        h("button", { type: "submit", class: "warn" }, "Confirm short"),
        h("button", { type: "button", class: "ghost",
                      onclick: () => { form.remove(); resolve(null); } }, "Cancel"));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        form.remove();
        resolve(inputs.map((i) => Number(i.value)));
      });
      li.append(form);
      inputs[0]?.focus();
    });
  }

  async function count(e) {
    e.preventDefault();
    const out = $("#count-result");
    out.classList.remove("error");
    const code = storeCode();
    let sku = $("#count-sku").value.trim();
    const qty = Number($("#count-qty").value);
    if (!code) { out.textContent = "Choose your store first."; return; }
    try {
      if (/^\d{8,14}$/.test(sku)) {  // a scanned GTIN: find its SKU
        const hit = asList(await api(`/v1/items?q=${sku}&limit=2`), "items");
        if (hit.length === 1) sku = hit[0].sku;
      }
      const m = await api("/v1/counts", { method: "POST", headers: { "Idempotency-Key": uid() },
        body: { sku, location: code, counted_quantity: qty, counted_at: new Date().toISOString(),
                source: "dashboard", external_id: uid() } });
      const delta = (m.deltas && m.deltas.on_hand) || 0;
      out.textContent = `Counted ${qty} of ${sku}: on hand ${delta === 0 ? "unchanged" :
        `${delta > 0 ? "+" : ""}${delta}`}.`;
      $("#count-form").reset();
    } catch (err) {
      out.textContent = `Count not recorded: ${err.message}`;
      out.classList.add("error");
    }
  }

  function onEvent(ev) {
    if (!/^(order|fulfillment)\./.test(ev.type)) return;
    clearTimeout(timer);
    timer = setTimeout(() => { if (ctx.current === "work") load(); }, 500);
  }

  function setStores(stores) {
    const sel = $("#work-store");
    clear(sel, h("option", { value: "" }, "Choose…"), stores.map((l) =>
      h("option", { value: l.code, selected: l.code === ctx.store }, `${l.name} (${l.code})`)));
    if (ctx.storeLocked) sel.disabled = true;
  }

  return { show: load, onEvent, setStores };
}
