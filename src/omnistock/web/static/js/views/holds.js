// Try-in-store holds on a store's work list: who is coming, for what, by when; the associate
// marks each one bought (converted) or declined. Its own section, below the fulfillments.

import { api, optional, asList, uid } from "../api.js";
import { $, h, clear, note, errorNote, when, num, announce } from "../dom.js";

function section() {
  let root = $("#holds");
  if (!root) {
    root = h("section", { id: "holds", class: "holds", "aria-labelledby": "holds-title" });
    $("#work").after(root);
  }
  return root;
}

export async function showHolds(code) {
  const root = section();
  const head = h("h3", { id: "holds-title" }, "Try-in-store holds");
  if (!code) { clear(root, head, note("Choose your store.")); return; }
  try {
    const body = await optional(`/v1/try-in-store?location=${encodeURIComponent(code)}`);
    if (body === null) { clear(root, head, note("Try-in-store holds are not available here.")); return; }
    const holds = asList(body, "holds");
    clear(root, head, holds.length ? h("ul", { class: "cards" }, holds.map((x) => card(x, code)))
      : note("No customer is coming to try something on."));
  } catch (e) {
    clear(root, head, errorNote(e));
  }
}

function card(x, code) {
  const c = x.customer || {};
  const contact = [c.phone, c.email].filter(Boolean).join(" · ");
  return h("li", { class: "card", dataset: { hold: x.id } },
    h("div", { class: "card-head" }, h("strong", {}, c.name || "–"), " ",
      h("span", { class: "badge st-picking" }, "try in store")),
    h("p", {}, h("span", { class: "qty" }, `${num(x.quantity)} ×`), " ", x.sku),
    contact ? h("p", { class: "hint" }, contact) : null,
    h("p", { class: "hint collect-by" }, `collect by ${when(x.collect_by)}`),
    h("div", { class: "actions" },
      h("button", { type: "button", dataset: { action: "convert" },
                    onclick: (e) => act(x, "convert", code, e.currentTarget) }, "Bought"),
      h("button", { type: "button", class: "ghost", dataset: { action: "cancel" },
                    onclick: (e) => act(x, "cancel", code, e.currentTarget) }, "Declined")),
    h("p", { class: "note", role: "status" }));
}

async function act(x, action, code, button) {
  const li = button.closest("li.card");
  li.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  try {
    await api(`/v1/try-in-store/${encodeURIComponent(x.id)}/${action}`,
              { method: "POST", headers: { "Idempotency-Key": uid() } });
    announce(`${x.customer?.name || "Hold"}: ${action === "convert" ? "bought" : "declined"}.`);
    await showHolds(code);
  } catch (e) {
    const status = li.querySelector("p[role=status]");
    status.textContent = `Could not ${action}: ${e.message}`;
    status.classList.add("error");
    li.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  }
}

// Holds made or ended elsewhere (the web shop, another till) show up without a reload.
export function holdsEvents(ctx) {
  let timer = null;
  function onEvent(ev) {
    if (!/^try_in_store\./.test(ev.type)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (ctx.current === "work") showHolds(ctx.store || $("#work-store").value);
    }, 300);
  }
  return { onEvent };
}
