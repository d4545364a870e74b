// Sensors: every reading, live; and for each field of the boards' screens, which sensor
// feeds it, with a picker that writes config.json's "sensors".
import { el, errorText, formatValue } from "./api.js";

const LOCAL = "local/"; // the psutil counters' ids: not LHM sensors, cannot be picked

export class Sensors {
  /** meta: GET /api/dashboard; saveConfig(change): settings.js's. */
  constructor(meta, saveConfig) {
    this.meta = meta;
    this.saveConfig = saveConfig;
    this.byId = new Map(); // id -> sensor
    this.rows = new Map(); // id -> {tr, value, feeds}
    this.fieldCards = new Map(); // wire key -> {root, value, source, select, error}
    this.tbody = document.getElementById("sensor-rows");
    this.count = document.getElementById("sensor-count");
    this.filter = document.getElementById("sensor-filter");
    this.filter.addEventListener("input", () => this.applyFilter());
    this.fieldList = document.getElementById("field-list");
    this.picking = new Set(); // fields whose pick is being saved
    for (const field of meta.fields) this.makeField(field);
  }

  /** {"type": "sensors", full, sensors}: the whole list, or the ones that changed. */
  update(message) {
    if (message.full) {
      this.byId.clear();
      this.rows.clear();
      this.tbody.replaceChildren();
    }
    let added = false;
    for (const sensor of message.sensors) {
      const known = this.byId.has(sensor.id);
      this.byId.set(sensor.id, sensor);
      if (known && this.rows.has(sensor.id)) {
        this.fillRow(this.rows.get(sensor.id), sensor, true);
      } else {
        const row = this.makeRow(sensor);
        this.rows.set(sensor.id, row);
        this.tbody.append(row.tr);
        added = true;
      }
    }
    if (added) this.applyFilter();
    this.count.textContent = `${this.byId.size} sensors`;
    this.fillFields(message.full || added);
  }

  makeRow(sensor) {
    const tr = el("tr");
    tr.dataset.sensor = sensor.id;
    const name = el("td", "sensor-name", sensor.name);
    name.append(el("span", "sensor-id", sensor.id));
    const value = el("td", "num value");
    const feeds = el("td", "feeds-cell");
    tr.append(name, value, feeds);
    const row = { tr, value, feeds, text: `${sensor.name} ${sensor.id}`.toLowerCase() };
    this.fillRow(row, sensor, false);
    return row;
  }

  fillRow(row, sensor, flash) {
    const text = formatValue(sensor.value, sensor.unit);
    if (row.value.textContent !== text) {
      row.value.textContent = text;
      if (flash) {
        row.value.classList.remove("changed");
        void row.value.offsetWidth; // restart the animation
        row.value.classList.add("changed");
      }
    }
    const field = this.meta.fields.find((f) => f.key === sensor.field);
    row.feeds.replaceChildren();
    if (sensor.field) {
      row.feeds.append(el("span", "feeds", sensor.field));
      if (field) row.feeds.append(" ", el("span", "muted", field.label));
    }
  }

  applyFilter() {
    const words = this.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of this.rows.values()) {
      row.tr.hidden = !words.every((w) => row.text.includes(w));
    }
  }

  makeField(field) {
    const root = el("div", "field");
    root.dataset.field = field.key;
    const top = el("div", "field-top");
    const value = el("span", "field-value", "—");
    top.append(el("span", "field-key", field.key), el("span", "field-label", field.label), value);
    const select = el("select");
    select.setAttribute("aria-label", `Sensor for ${field.label}`);
    select.addEventListener("change", () => this.pick(field, select.value));
    const error = el("p", "error");
    root.append(top, select, error);
    this.fieldList.append(root);
    this.fieldCards.set(field.key, { root, value, select, error, options: "" });
  }

  /** Each field's value and picker, from the sensor that feeds it now. */
  fillFields(optionsChanged) {
    const sensors = [...this.byId.values()];
    for (const field of this.meta.fields) {
      const card = this.fieldCards.get(field.key);
      const feeding = sensors.find((s) => s.field === field.key);
      card.value.textContent = feeding ? formatValue(feeding.value, feeding.unit) : "—";
      card.root.dataset.feeding = feeding ? feeding.id : "";
      if (optionsChanged || card.select.dataset.current !== (feeding ? feeding.id : "")) {
        this.fillPicker(card, field, sensors, feeding);
      }
    }
  }

  fillPicker(card, field, sensors, feeding) {
    if (document.activeElement === card.select || this.picking.has(field.key)) return;
    const lhm = sensors.filter((s) => !s.id.startsWith(LOCAL));
    const same = lhm.filter((s) => s.unit === field.unit);
    const offered = same.length ? same : lhm;
    const select = card.select;
    select.replaceChildren(el("option", "", feeding ? `${feeding.name}` : "No sensor"));
    select.firstChild.value = "";
    for (const sensor of offered) {
      if (feeding && sensor.id === feeding.id) continue;
      const option = el("option", "", `${sensor.name} (${formatValue(sensor.value, sensor.unit)})`);
      option.value = sensor.id;
      select.append(option);
    }
    select.dataset.current = feeding ? feeding.id : "";
    select.selectedIndex = 0;
  }

  async pick(field, sensorId) {
    if (!sensorId) return;
    const card = this.fieldCards.get(field.key);
    this.picking.add(field.key);
    card.error.textContent = "";
    const result = await this.saveConfig((config) => {
      config.sensors = { ...(config.sensors || {}), [field.key]: sensorId };
    });
    this.picking.delete(field.key);
    if (!result.ok) card.error.textContent = errorText(result);
    card.root.dataset.picked = sensorId; // shown as fed from the next poll on
  }
}
