// Health: each source up or down, its last error and since when, and what it costs.
import { el } from "./api.js";

function since(seconds) {
  if (!seconds) return "—";
  const date = new Date(seconds * 1000);
  const ago = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  const span = ago < 90 ? `${ago} s` : ago < 5400 ? `${Math.round(ago / 60)} min` : `${Math.round(ago / 3600)} h`;
  return `${date.toLocaleTimeString()} (${span} ago)`;
}

function ms(value) {
  return value === null || value === undefined ? "—" : value.toFixed(value < 10 ? 2 : 1);
}

export class Health {
  constructor() {
    this.rows = document.getElementById("health-rows");
    this.server = document.getElementById("server-cost");
  }

  /** {"type": "health", sources: [...], server: {rss_bytes, cpu_ms_per_s}} */
  update(message) {
    const server = message.server || {};
    const rss = server.rss_bytes;
    const stat = (value, label) => {
      const box = el("div", "stat");
      box.append(el("b", "", value), el("span", "", label));
      return box;
    };
    this.server.replaceChildren(
      stat(rss === null || rss === undefined ? "—" : `${(rss / 1048576).toFixed(1)} MB`, "Server RSS"),
      stat(ms(server.cpu_ms_per_s), "Server CPU ms/s"),
    );
    this.rows.replaceChildren(
      ...(message.sources || []).map((source) => {
        const tr = el("tr");
        tr.dataset.source = source.name;
        tr.append(
          el("td", "", source.name),
          el("td", "", null),
          el("td", "muted", since(source.since)),
          el("td", "num", ms(source.cpu_ms_per_s)),
          el("td", "last-error", source.last_error || ""),
        );
        tr.children[1].append(el("span", `state ${source.state}`, source.state));
        return tr;
      }),
    );
  }
}
