// Server-sent events over fetch(), so the request can carry the Authorization header
// (EventSource cannot). Reconnects with Last-Event-ID, backing off up to 15 s.

import { headers } from "./api.js";

export function subscribe(path, onEvent, onStatus = () => {}) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let delay = 1000;

  function dispatch(block) {
    let event = "message";
    const data = [];
    let id = null;
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? "" : line.slice(i + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
      else if (field === "retry" && /^\d+$/.test(value)) delay = Number(value);
    }
    if (id !== null) lastId = id;
    if (!data.length) return;
    let payload;
    try { payload = JSON.parse(data.join("\n")); } catch { return; }
    // CloudEvents structured mode: {specversion, type, data: {...}}.
    const ce = payload && payload.specversion ? payload : null;
    const type = event !== "message" ? event : (ce ? ce.type : "message");
    onEvent({ type: type.replace(/^.*?(availability|order|fulfillment)\./, "$1."),
              id, data: ce ? ce.data : payload, raw: payload });
  }

  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const extra = { Accept: "text/event-stream" };
        if (lastId !== null) extra["Last-Event-ID"] = lastId;
        const res = await fetch(path, { headers: headers(extra), signal: controller.signal,
                                        cache: "no-store" });
        if (res.status === 404) { onStatus("unavailable"); return; }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onStatus("live");
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      if (stopped) return;
      onStatus("reconnecting");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  run();
  return { close() { stopped = true; if (controller) controller.abort(); } };
}
