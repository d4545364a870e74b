// Settings: every config.json key in a form (the groups and help come from the server, see
// web/page.py), saved with PUT /api/config; the server's errors appear beside their field.
import { call, el, errorText } from "./api.js";

const MASK = "********"; // how GET /api/config shows a secret that is set

function getPath(data, path) {
  let node = data;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[part];
  }
  return node;
}

function setPath(data, path, value) {
  const parts = path.split(".");
  let node = data;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === null || typeof node[part] !== "object") node[part] = {};
    node = node[part];
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

export class Settings {
  constructor(meta) {
    this.meta = meta;
    this.stored = null; // GET /api/config as it came (secrets masked)
    this.inputs = new Map(); // path -> {key, input, row, error}
    this.objects = new Map(); // "mqtt" -> its "use" checkbox
    this.form = document.getElementById("settings-form");
    this.groups = document.getElementById("settings-groups");
    this.error = document.getElementById("settings-error");
    this.ok = document.getElementById("settings-ok");
    this.writing = Promise.resolve();
    for (const group of meta.settings) this.makeGroup(group);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  async load() {
    const result = await call("GET", "/api/config");
    if (!result.ok) {
      this.error.textContent = errorText(result);
      return;
    }
    this.stored = result.data;
    this.fill();
  }

  makeGroup(group) {
    const box = el("fieldset", "group");
    box.append(el("legend", "", group.title));
    if (group.help) box.append(el("p", "help", group.help));
    if (group.object && group.optional) {
      const use = el("input");
      use.type = "checkbox";
      use.name = `use.${group.object}`;
      use.addEventListener("change", () => this.enableObject(group.object));
      const label = el("label", "use");
      label.append(use, `Use ${group.title}`);
      box.append(label);
      this.objects.set(group.object, { use, keys: group.keys.map((k) => k.path) });
    }
    for (const key of group.keys) box.append(this.makeKey(key));
    this.groups.append(box);
  }

  makeKey(key) {
    const row = el("div", `setting ${key.type}`);
    row.dataset.path = key.path;
    const id = `set-${key.path.replace(/\W/g, "-")}`;
    const label = el("label", "", key.label);
    label.htmlFor = id;
    let input;
    if (key.type === "bool") {
      input = el("input");
      input.type = "checkbox";
    } else if (key.type === "choice") {
      input = el("select");
      if (key.optional) input.append(el("option", "", ""));
      for (const option of key.options) input.append(el("option", "", option));
    } else if (key.type === "json" || key.type === "list") {
      input = el("textarea");
      input.rows = key.type === "json" ? 4 : 3;
      input.spellcheck = false;
    } else {
      input = el("input");
      input.type = key.type === "number" ? "number" : key.type === "secret" ? "password" : "text";
      if (key.type === "number") {
        for (const attr of ["min", "max", "step"]) if (key[attr] !== undefined) input.setAttribute(attr, key[attr]);
      }
      if (key.type === "secret") input.autocomplete = "new-password";
    }
    input.id = id;
    input.name = key.path;
    if (key.default !== null && key.default !== undefined && key.type !== "bool" && key.type !== "choice") {
      input.placeholder = `${key.default}`;
    }
    if (key.readonly) input.disabled = true;
    const error = el("p", "error");
    const help = key.help ? el("p", "help", key.help) : null;
    if (key.type === "bool") row.append(input, label);
    else row.append(label, input);
    if (key.type === "secret") {
      const state = el("span", "secret-state");
      row.append(state);
      this.inputs.set(key.path, { key, input, row, error, state });
    } else {
      this.inputs.set(key.path, { key, input, row, error });
    }
    if (help) row.append(help);
    row.append(error);
    return row;
  }

  fill() {
    const data = this.stored;
    for (const { key, input, state } of this.inputs.values()) {
      const value = getPath(data, key.path);
      if (key.type === "bool") input.checked = value === undefined ? key.default === true : value === true;
      else if (key.type === "secret") {
        const set = value === MASK || (value && typeof value === "object" && Object.keys(value).length > 0);
        state.textContent = set ? "set (hidden)" : "not set";
        input.value = "";
        input.placeholder = set ? "unchanged" : "";
      } else if (key.type === "json") input.value = value === undefined || value === null ? "" : JSON.stringify(value, null, 1);
      else if (key.type === "list") input.value = Array.isArray(value) ? value.join("\n") : value ?? "";
      else if (key.type === "choice") input.value = value ?? key.default ?? "";
      else input.value = value === undefined || value === null ? "" : String(value);
    }
    for (const [object, { use }] of this.objects) {
      use.checked = data[object] !== null && data[object] !== undefined;
      this.enableObject(object);
    }
    this.clearErrors();
  }

  enableObject(object) {
    const { use, keys } = this.objects.get(object);
    for (const path of keys) {
      const entry = this.inputs.get(path);
      if (entry && !entry.key.readonly) entry.input.disabled = !use.checked;
    }
  }

  /** The object to PUT: what GET gave, with the form's values; null when the form has an
   * error of its own (bad JSON). */
  collect() {
    const data = structuredClone(this.stored);
    let bad = false;
    for (const { key, input, error } of this.inputs.values()) {
      if (input.disabled) continue;
      let value;
      const text = input.value.trim();
      if (key.type === "bool") value = input.checked;
      else if (key.type === "secret") value = text ? input.value : getPath(this.stored, key.path);
      else if (key.type === "number") {
        const number = Number(text);
        value = text === "" ? (key.optional ? null : undefined) : Number.isFinite(number) ? number : text;
      } else if (key.type === "json") {
        try {
          value = text === "" ? undefined : JSON.parse(text);
        } catch (err) {
          error.textContent = `Not JSON: ${err.message}`;
          bad = true;
          continue;
        }
      } else if (key.type === "list") {
        const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
        value = lines.length ? lines : key.optional ? null : [];
      } else if (text !== "") value = input.value;
      else if (key.optional) value = null;
      else value = getPath(this.stored, key.path) === undefined ? undefined : ""; // left out: its default
      setPath(data, key.path, value);
    }
    for (const [object, { use }] of this.objects) if (!use.checked) data[object] = null;
    return bad ? null : data;
  }

  clearErrors() {
    this.error.textContent = "";
    for (const { row, error } of this.inputs.values()) {
      error.textContent = "";
      row.classList.remove("invalid");
    }
  }

  showErrors(result) {
    const errors = (result.data && result.data.errors) || [{ key: "", message: errorText(result) }];
    for (const { key, message } of errors) {
      const entry = this.findEntry(key);
      if (entry) {
        entry.error.textContent = message;
        entry.row.classList.add("invalid");
        entry.row.scrollIntoView({ block: "center", behavior: "smooth" });
      } else {
        this.error.textContent = message;
      }
    }
  }

  /** The field an error names ("limits.cpu", or "sensors.xx" under "sensors"). */
  findEntry(key) {
    for (let path = key; path; path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "") {
      if (this.inputs.has(path)) return this.inputs.get(path);
    }
    return null;
  }

  async save() {
    this.clearErrors();
    this.ok.textContent = "";
    const data = this.collect();
    if (data === null) return;
    const result = await this.put(data);
    if (!result.ok) {
      this.showErrors(result);
      return;
    }
    const restart = result.data.restart || [];
    this.ok.textContent = restart.length ? `Saved. At the next start: ${restart.join(", ")}.` : "Saved and applied.";
  }

  /** config.json with ``change(config)`` applied to what the server has now (the sensor
   * picker's way: nothing else on the form is sent). */
  async saveConfig(change) {
    const fresh = await call("GET", "/api/config");
    if (!fresh.ok) return fresh;
    change(fresh.data);
    return this.put(fresh.data);
  }

  async put(data) {
    // one write at a time, each on what the one before left
    const run = this.writing.then(async () => {
      const result = await call("PUT", "/api/config", data);
      if (result.ok) {
        const again = await call("GET", "/api/config");
        if (again.ok) {
          this.stored = again.data;
          if (!this.form.contains(document.activeElement)) this.fill();
        }
      }
      return result;
    });
    this.writing = run.catch(() => {});
    return run;
  }
}
