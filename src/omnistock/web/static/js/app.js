// The dashboard's entry: sign in, the views as tabs, and one event stream feeding them.

import { api, optional, asList, session } from "./api.js";
import { subscribe } from "./sse.js";
import { $ } from "./dom.js";
import { networkView } from "./views/network.js";
import { ordersView } from "./views/orders.js";
import { workView } from "./views/work.js";
import { exceptionsView } from "./views/exceptions.js";
import { kpisView } from "./views/kpis.js";
import { transfersView } from "./views/transfers.js";
import { returnsView } from "./views/returns.js";
import { holdsEvents } from "./views/holds.js";

const VIEWS = ["network", "orders", "work", "transfers", "returns", "exceptions", "kpis"];
const LIVE = { live: "live", reconnecting: "reconnecting…", unavailable: "no event stream",
               off: "offline" };
const ctx = { locations: new Map(), channels: [], store: "", storeLocked: false, current: null };
let views = null;
let stream = null;

function fromUrl() {
  const p = new URLSearchParams(location.search);
  const wanted = { view: p.get("view"), sku: p.get("sku") };
  if (p.has("key")) session.key = p.get("key");
  if (p.has("store")) session.store = p.get("store");
  if (p.has("key") || p.has("store")) { // keep the key out of the address bar and history
    p.delete("key");
    p.delete("store");
    history.replaceState(null, "", location.pathname + (p.size ? `?${p}` : "") + location.hash);
  }
  return wanted;
}

function signin(message = "") {
  if (stream) { stream.close(); stream = null; }
  live("off");
  for (const v of VIEWS) $(`#view-${v}`).hidden = true;
  $("#tablist").hidden = true;
  $("#signout").hidden = true;
  $("#who").textContent = "";
  $("#signin").hidden = false;
  $("#signin-error").textContent = message;
  $("#signin-store").value = session.store;
  $("#key").focus();
}

$("#signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  session.key = $("#key").value.trim();
  session.store = $("#signin-store").value.trim();
  $("#key").value = "";
  start({});
});

$("#signout").addEventListener("click", () => {
  session.key = "";
  session.store = "";
  signin();
});

function live(state) {
  const el = $("#live");
  el.dataset.state = state;
  el.textContent = LIVE[state] || state;
}

async function loadContext() {
  const [locs, me, channels] = await Promise.all([
    api("/v1/locations"), optional("/v1/me").catch(() => null), loadChannels()]);
  ctx.locations = new Map(asList(locs, "locations").map((l) => [l.code, l]));
  ctx.channels = channels;
  ctx.storeLocked = Boolean(me && me.role === "store" && me.location);
  ctx.store = ctx.storeLocked ? me.location : session.store;
  const place = ctx.locations.get(ctx.store);
  $("#who").textContent = me && me.role
    ? `${me.role}${me.location ? ` · ${me.location}` : ""}`
    : place ? `store · ${place.name}` : "signed in";
}

async function loadChannels() {
  const listed = await optional("/v1/channels").catch(() => null);
  if (listed) return asList(listed, "channels");
  const probes = ["web", "app", "pos", "marketplace"].map((c) =>
    api(`/v1/channels/${c}`).catch(() => null));
  return (await Promise.all(probes)).filter(Boolean);
}

function select(name, focus = false) {
  if (!VIEWS.includes(name)) name = "network";
  ctx.current = name;
  for (const v of VIEWS) {
    const tab = $(`#tab-${v}`);
    const on = v === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#view-${v}`).hidden = !on;
  }
  if (focus) $(`#tab-${name}`).focus();
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  views[name].show();
}

function wireTabs() {
  for (const v of VIEWS) $(`#tab-${v}`).addEventListener("click", () => select(v));
  $("#tablist").addEventListener("keydown", (e) => {
    const i = VIEWS.indexOf(ctx.current);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: VIEWS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(VIEWS[(next + VIEWS.length) % VIEWS.length], true);
  });
  window.addEventListener("hashchange", () => select(location.hash.slice(1)));
}

async function start(wanted) {
  if (!session.key) { signin(); return; }
  try {
    await loadContext();
  } catch (e) {
    signin(e.status === 401 || e.status === 403 ? "That key was refused." :
      `Could not reach omnistock: ${e.message}`);
    return;
  }
  $("#signin").hidden = true;
  $("#tablist").hidden = false;
  $("#signout").hidden = false;
  if (!views) {
    views = { network: networkView(ctx), orders: ordersView(ctx), work: workView(ctx),
              exceptions: exceptionsView(ctx), kpis: kpisView(ctx) };
    views.transfers = transfersView(ctx);
    views.returns = returnsView(ctx);
    views.holds = holdsEvents(ctx);
    wireTabs();
  }
  views.network.setChannels(ctx.channels);
  views.orders.setChannels(ctx.channels);
  views.work.setStores([...ctx.locations.values()].filter((l) => l.kind !== "dc"));
  views.transfers.setLocations([...ctx.locations.values()]);
  views.returns.setStores([...ctx.locations.values()]);
  const first = wanted.view || location.hash.slice(1) || (ctx.store ? "work" : "network");
  select(first);
  if (wanted.sku) views.network.open(wanted.sku);
  if (stream) stream.close();
  stream = subscribe("/v1/events", (ev) => {
    for (const v of Object.values(views)) v.onEvent && v.onEvent(ev);
  }, live);
}

document.documentElement.classList.add("js");
start(fromUrl());
window.omnistock = { ctx };
