// The public API, with the key the user signed in with. Errors are RFC 9457 problems.

const KEY = "omnistock.key";
const STORE = "omnistock.store";

export const session = {
  get key() { return localStorage.getItem(KEY) || ""; },
  set key(v) { v ? localStorage.setItem(KEY, v) : localStorage.removeItem(KEY); },
  get store() { return localStorage.getItem(STORE) || ""; },
  set store(v) { v ? localStorage.setItem(STORE, v) : localStorage.removeItem(STORE); },
};

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function headers(extra = {}) {
  return { Accept: "application/json", Authorization: `Bearer ${session.key}`, ...extra };
}

export async function api(path, { method = "GET", body, signal, headers: extra } = {}) {
  const init = { method, signal, headers: headers(extra) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text }; }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// A list endpoint another part of omnistock provides: null when this server has none (404).
export async function optional(path, opts) {
  try {
    return await api(path, opts);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

// Lists come as arrays or wrapped ({items: [...]}, {locations: [...]}, ...).
export function asList(body, ...names) {
  if (body == null) return [];
  if (Array.isArray(body)) return body;
  for (const n of [...names, "items", "data", "results"]) {
    if (Array.isArray(body[n])) return body[n];
  }
  return [];
}

export function uid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
