// The network on a plain SVG: equirectangular projection fitted to the locations' bounding
// box (longitudes shrunk by cos(mid latitude)), a graticule, markers sized by available.

import { s, flash } from "./dom.js";

const SIZE = 1000;

export function createMap(container, locations, onSelect) {
  const placed = locations.filter((l) => l.latitude != null && l.longitude != null);
  if (!placed.length) {
    container.replaceChildren();
    return { update() {}, pulse() {}, select() {}, empty: true };
  }
  const lats = placed.map((l) => l.latitude);
  const lons = placed.map((l) => l.longitude);
  const [minLat, maxLat] = [Math.min(...lats), Math.max(...lats)];
  const [minLon, maxLon] = [Math.min(...lons), Math.max(...lons)];
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLon - minLon) * k, 0.5);
  const spanY = Math.max(maxLat - minLat, 0.5);
  const scale = SIZE / Math.max(spanX, spanY);
  const pad = 70;
  const cx = (minLon + maxLon) / 2;
  const cy = (minLat + maxLat) / 2;
  const w = spanX * scale + 2 * pad;
  const hgt = spanY * scale + 2 * pad;
  const project = (lat, lon) => [w / 2 + (lon - cx) * k * scale, hgt / 2 - (lat - cy) * scale];

  const svg = s("svg", { viewBox: `0 0 ${w.toFixed(0)} ${hgt.toFixed(0)}`, class: "map",
                         role: "group", "aria-label": "Map of the network" });
  svg.append(graticule(project, minLat, maxLat, minLon, maxLon, w, hgt));
  const markers = new Map();
  const short = labeller(placed);
  const layer = s("g", { class: "markers" });
  for (const loc of placed) {
    const [x, y] = project(loc.latitude, loc.longitude);
    const circle = s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 6 });
    const title = s("title", {}, loc.name || loc.code);
    const g = s("g", { class: `marker kind-${loc.kind} none`, tabindex: 0, role: "button",
                       "data-code": loc.code, "aria-label": loc.name || loc.code },
                circle, title);
    const select = () => onSelect && onSelect(loc.code);
    g.addEventListener("click", select);
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(); }
    });
    markers.set(loc.code, { g, circle, title, x, y, loc });
    layer.append(g);
  }
  svg.append(layer);
  const labels = s("g", { class: "labels", "aria-hidden": "true" });
  svg.append(labels);
  container.replaceChildren(svg);

  function label(rows) {
    labels.replaceChildren();
    const order = [...markers.values()].sort((a, b) => rank(b, rows) - rank(a, rows));
    const taken = [];
    for (const m of order) {
      const text = short(m.loc);
      const width = text.length * 16;
      const gap = (m.r || 6) + 6;
      const box = [m.x + gap, m.y - 18, m.x + gap + width, m.y + 18];
      if (box[2] > w) { box[0] = m.x - gap - width; box[2] = m.x - gap; }
      if (taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1])) {
        continue;
      }
      taken.push(box);
      labels.append(s("text", { x: box[0].toFixed(1), y: (m.y + 10).toFixed(1) }, text));
    }
  }

  let maxAvail = 1;
  return {
    update(rows) {
      maxAvail = Math.max(1, ...[...rows.values()].map((r) => r.available));
      for (const [code, m] of markers) paint(m, rows.get(code), maxAvail);
      label(rows);
    },
    pulse(code, row, rows) {
      const m = markers.get(code);
      if (!m) return;
      if (row.available > maxAvail) { this.update(rows); } else { paint(m, row, maxAvail); }
      flash(m.g);
    },
    select(code) {
      for (const [c, m] of markers) m.g.classList.toggle("selected", c === code);
    },
  };
}

function rank(m, rows) {
  const kindBonus = { dc: 3e9, dark_store: 2e9 }[m.loc.kind] || 0;
  const row = rows.get(m.loc.code);
  return kindBonus + (row ? row.available : -1);
}

// Label by town ("Leeds, Briggate" -> "Leeds"); where a town has several, by the area.
function labeller(locations) {
  const town = (l) => (l.name || l.code).split(", ")[0];
  const seen = new Map();
  for (const l of locations) seen.set(town(l), (seen.get(town(l)) || 0) + 1);
  return (l) => {
    const [first, ...rest] = (l.name || l.code).split(", ");
    return (seen.get(first) > 1 && rest.length ? rest.join(", ") : first).slice(0, 24);
  };
}

function paint(m, row, maxAvail) {
  const avail = row ? row.available : null;
  const r = row ? 8 + 30 * Math.sqrt(Math.max(avail, 0) / maxAvail) : 6;
  m.circle.setAttribute("r", r.toFixed(1));
  m.r = r;
  m.g.classList.toggle("none", !row);
  m.g.classList.toggle("out", row !== undefined && avail <= 0);
  const name = m.loc.name || m.loc.code;
  const text = row
    ? `${name}: ${avail} available, ${row.on_hand} on hand, ${row.incoming} incoming`
    : `${name}: not stocked`;
  m.title.textContent = text;
  m.g.setAttribute("aria-label", text);
}

function graticule(project, minLat, maxLat, minLon, maxLon, w, hgt) {
  const g = s("g", { class: "graticule", "aria-hidden": "true" });
  const step = Math.max(maxLat - minLat, maxLon - minLon) > 12 ? 5 : 1;
  for (let lat = Math.floor(minLat - 1); lat <= Math.ceil(maxLat + 1); lat += step) {
    const [, y] = project(lat, minLon);
    if (y < 0 || y > hgt) continue;
    g.append(s("line", { x1: 0, x2: w.toFixed(0), y1: y.toFixed(1), y2: y.toFixed(1) }),
             s("text", { x: 8, y: (y - 6).toFixed(1) }, `${Math.abs(lat)}°${lat >= 0 ? "N" : "S"}`));
  }
  for (let lon = Math.floor(minLon - 2); lon <= Math.ceil(maxLon + 2); lon += step) {
    const [x] = project(minLat, lon);
    if (x < 0 || x > w) continue;
    g.append(s("line", { x1: x.toFixed(1), x2: x.toFixed(1), y1: 0, y2: hgt.toFixed(0) }),
             s("text", { x: (x + 6).toFixed(1), y: (hgt - 10).toFixed(0) },
               `${Math.abs(lon)}°${lon >= 0 ? "E" : "W"}`));
  }
  return g;
}
