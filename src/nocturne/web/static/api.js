// Talking to the server: JSON requests with the session's CSRF token, and small DOM helpers.

let csrfToken = "";

export function setToken(token) {
  csrfToken = token || "";
}

/** One request; resolves to {ok, status, data} (data: the JSON body, or {message}). */
export async function call(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, data: { message: "The server cannot be reached." } };
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : { message: (await response.text()).trim() };
  return { ok: response.ok, status: response.status, data };
}

/** POST ``body`` to the scene preview; resolves to {ok, blob, values} or {ok: false, status,
 * data} as call() does. */
export async function previewPng(body) {
  let response;
  try {
    response = await fetch("/api/scenes/preview", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
      credentials: "same-origin",
      cache: "no-store",
      body: JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, status: 0, data: { message: "The server cannot be reached." } };
  }
  if (!response.ok) {
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : { message: (await response.text()).trim() };
    return { ok: false, status: response.status, data };
  }
  const values = JSON.parse(response.headers.get("X-Slot-Values") || "[]");
  return { ok: true, blob: await response.blob(), values };
}

/** The first error message of a failed call, for people. */
export function errorText(result) {
  const errors = result.data && result.data.errors;
  if (Array.isArray(errors) && errors.length) return errors.map((e) => e.message).join("; ");
  return (result.data && result.data.message) || `HTTP ${result.status}`;
}

/** An element with a class and text (textContent: remote strings are never HTML). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** A reading as people read it: unknown is a dash, never 0. */
export function formatValue(value, unit) {
  if (value === null || value === undefined) return "—";
  let text;
  if (typeof value === "number") {
    const abs = Math.abs(value);
    text = Number.isInteger(value) ? String(value) : value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
  } else {
    text = String(value);
  }
  return unit ? `${text} ${unit}` : text;
}
