// Scenes: the custom scenes editor (config.json "custom_scenes"). Pick sensors from the live
// list, choose a layout, see the scene as the board's own firmware draws it (POST
// /api/scenes/preview answers a PNG), save through PUT /api/config's validation.
import { call, el, errorText, formatValue, previewPng } from "./api.js";

const GPU = "gpu/"; // the GPUs read directly: not a slot's source

export class Scenes {
  /** meta: GET /api/dashboard; sensors: sensors.js's (its byId is the live list);
   * saveConfig(change): settings.js's. */
  constructor(meta, sensors, saveConfig, onNames) {
    this.meta = meta.custom;
    this.onNames = onNames; // the saved scenes' names, for the boards' scene select
    this.sensors = sensors;
    this.saveConfig = saveConfig;
    this.scenes = []; // as config.json holds them
    this.current = 0;
    this.list = document.getElementById("scene-list");
    this.editor = document.getElementById("scene-editor");
    this.name = document.getElementById("scene-name");
    this.layout = document.getElementById("scene-layout");
    this.slots = document.getElementById("scene-slots");
    this.preview = document.getElementById("scene-preview");
    this.values = document.getElementById("scene-values");
    this.error = document.getElementById("scenes-error");
    this.ok = document.getElementById("scenes-ok");
    this.previewUrl = null;
    this.asked = 0; // previews asked for; only the latest answer is shown
    this.timer = null;
    this.name.maxLength = this.meta.max_name;
    for (const [layout, count] of Object.entries(this.meta.layouts)) {
      const option = el("option", "", layout);
      option.title = `${count} slot${count > 1 ? "s" : ""}`;
      this.layout.append(option);
    }
    this.name.addEventListener("input", () => this.edited({ name: this.name.value }));
    this.layout.addEventListener("change", () => this.edited({ layout: this.layout.value }));
    document.getElementById("scene-add").addEventListener("click", () => this.addScene());
    document.getElementById("scene-remove").addEventListener("click", () => this.removeScene());
    document.getElementById("slot-add").addEventListener("click", () => this.addSlot());
    document.getElementById("scenes-save").addEventListener("click", () => this.save());
  }

  async load() {
    const result = await call("GET", "/api/config");
    if (!result.ok) {
      this.error.textContent = errorText(result);
      return;
    }
    this.scenes = structuredClone(result.data.custom_scenes || []);
    this.onNames(this.scenes.map((scene) => scene.name));
    this.current = 0;
    this.render();
  }

  scene() {
    return this.scenes[this.current];
  }

  /** The sensor picker's options: the live list (LHM's sensors, the local counters), then the
   * fields as the built-in scenes get them. */
  sourceOptions(select, slot) {
    const chosen = slot.sensor !== undefined ? `sensor:${slot.sensor}` : `field:${slot.field}`;
    select.replaceChildren();
    const live = el("optgroup");
    live.label = "Sensors (live)";
    let found = false;
    for (const sensor of this.sensors.byId.values()) {
      if (sensor.id.startsWith(GPU)) continue;
      const option = el("option", "", `${sensor.name} — ${formatValue(sensor.value, sensor.unit)}`);
      option.value = `sensor:${sensor.id}`;
      found ||= option.value === chosen;
      live.append(option);
    }
    const fields = el("optgroup");
    fields.label = "Fields";
    for (const field of this.meta.fields) {
      const option = el("option", "", `${field.label} (${field.attr})`);
      option.value = `field:${field.attr}`;
      found ||= option.value === chosen;
      fields.append(option);
    }
    if (!found) {
      const option = el("option", "", `${slot.sensor ?? slot.field} (not seen now)`);
      option.value = chosen;
      select.append(option);
    }
    select.append(live, fields);
    select.value = chosen;
  }

  /** The live list changed (a new poll): the pickers show the new sensors and values. */
  sensorsChanged() {
    if (this.editor.hidden) return;
    for (const row of this.slots.querySelectorAll(".slot")) {
      const select = row.querySelector(".slot-source");
      if (document.activeElement !== select) this.sourceOptions(select, this.scene().slots[Number(row.dataset.slot)]);
    }
  }

  render() {
    this.list.replaceChildren();
    this.scenes.forEach((scene, i) => {
      const button = el("button", i === this.current ? "scene-tab current" : "scene-tab", scene.name || `Scene ${i + 1}`);
      button.type = "button";
      button.dataset.scene = String(i);
      button.addEventListener("click", () => {
        this.current = i;
        this.render();
      });
      this.list.append(button);
    });
    document.getElementById("scene-add").disabled = this.scenes.length >= this.meta.max_scenes;
    this.editor.hidden = this.scenes.length === 0;
    if (this.editor.hidden) return;
    const scene = this.scene();
    this.name.value = scene.name;
    this.layout.value = scene.layout;
    this.slots.replaceChildren();
    scene.slots.forEach((slot, i) => this.slots.append(this.slotRow(slot, i)));
    document.getElementById("slot-add").disabled = scene.slots.length >= this.meta.layouts[scene.layout];
    this.schedulePreview();
  }

  slotRow(slot, i) {
    const row = el("div", "slot");
    row.dataset.slot = String(i);
    const source = el("select", "slot-source");
    source.setAttribute("aria-label", `Slot ${i + 1} source`);
    this.sourceOptions(source, slot);
    source.addEventListener("change", () => {
      const [kind, ref] = [source.value.slice(0, source.value.indexOf(":")), source.value.slice(source.value.indexOf(":") + 1)];
      delete slot.sensor;
      delete slot.field;
      slot[kind] = ref;
      this.edited();
    });
    const input = (cls, label, value, attrs) => {
      const box = el("input", cls);
      box.setAttribute("aria-label", `Slot ${i + 1} ${label}`);
      box.placeholder = label;
      Object.assign(box, attrs);
      box.value = value ?? "";
      return box;
    };
    const label = input("slot-label", "label", slot.label, { maxLength: this.meta.max_label });
    const unit = input("slot-unit", "unit", slot.unit, { maxLength: this.meta.max_unit });
    const decimals = input("slot-decimals", "decimals", slot.decimals, { type: "number", min: 0, max: 2 });
    const warn = input("slot-warn", "warn", slot.warn, { type: "number" });
    const critical = input("slot-critical", "critical", slot.critical, { type: "number" });
    const text = (box, key) =>
      box.addEventListener("input", () => {
        if (box.value.trim() === "") delete slot[key];
        else slot[key] = box.type === "number" && Number.isFinite(Number(box.value)) ? Number(box.value) : box.value;
        this.edited();
      });
    text(label, "label");
    text(unit, "unit");
    text(decimals, "decimals");
    text(warn, "warn");
    text(critical, "critical");
    const remove = el("button", "slot-remove danger", "Remove");
    remove.type = "button";
    remove.addEventListener("click", () => {
      this.scene().slots.splice(i, 1);
      this.render();
    });
    row.append(source, label, unit, decimals, warn, critical, remove);
    return row;
  }

  edited(change) {
    if (change) Object.assign(this.scene(), change);
    this.ok.textContent = "";
    if (change && change.name !== undefined) {
      const tab = this.list.querySelector(`[data-scene="${this.current}"]`);
      if (tab) tab.textContent = change.name || `Scene ${this.current + 1}`;
    }
    if (change && change.layout !== undefined) {
      const most = this.meta.layouts[change.layout];
      if (this.scene().slots.length > most) this.scene().slots.length = most;
      this.render();
      return;
    }
    this.schedulePreview();
  }

  firstSensor() {
    for (const sensor of this.sensors.byId.values()) if (!sensor.id.startsWith(GPU)) return sensor;
    return null;
  }

  addScene() {
    const sensor = this.firstSensor();
    const slot = sensor ? { sensor: sensor.id, label: "VALUE" } : { field: "cpu_temp", label: "CPU" };
    this.scenes.push({ name: `MINE ${this.scenes.length + 1}`, layout: "big", slots: [slot] });
    this.current = this.scenes.length - 1;
    this.render();
  }

  removeScene() {
    this.scenes.splice(this.current, 1);
    this.current = Math.max(0, this.current - 1);
    this.render();
  }

  addSlot() {
    const sensor = this.firstSensor();
    this.scene().slots.push(sensor ? { sensor: sensor.id, label: "VALUE" } : { field: "cpu_temp", label: "CPU" });
    this.render();
  }

  schedulePreview() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.showPreview(), 120);
  }

  async showPreview() {
    const asked = ++this.asked;
    const result = await previewPng({ scene: this.scene() });
    if (asked !== this.asked) return; // a newer edit is on its way
    if (!result.ok) {
      this.error.textContent = errorText(result);
      this.preview.dataset.state = "error";
      return;
    }
    this.error.textContent = "";
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = URL.createObjectURL(result.blob);
    this.preview.src = this.previewUrl;
    this.preview.dataset.state = "shown";
    this.preview.dataset.version = String(asked);
    this.values.textContent = result.values.map((v, i) => `${this.scene().slots[i].label}: ${formatValue(v, "")}`).join(" · ");
  }

  async save() {
    this.error.textContent = "";
    this.ok.textContent = "";
    const scenes = structuredClone(this.scenes);
    const result = await this.saveConfig((config) => {
      config.custom_scenes = scenes;
    });
    if (!result.ok) {
      this.error.textContent = errorText(result);
      return;
    }
    this.onNames(scenes.map((scene) => scene.name));
    this.ok.textContent = "Saved: the boards get them on their next line.";
  }
}
