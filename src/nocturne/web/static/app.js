// NOCTURNE_OS dashboard: log in if asked, then one WebSocket (/api/stream) keeps every tab
// live. Plain ES modules, no build step, nothing from another origin.
import { call, errorText, setToken } from "./api.js";
import { Boards } from "./boards.js";
import { Health } from "./health.js";
import { Scenes } from "./scenes.js";
import { Sensors } from "./sensors.js";
import { Settings } from "./settings.js";

const TABS = ["boards", "sensors", "scenes", "settings", "health"];
const link = document.getElementById("link");
let socket = null;
let retry = 1000;
let boards, sensors, scenes, settings, health;

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(message));
  return true;
}

function setLink(state, text) {
  link.dataset.state = state;
  link.textContent = text;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/api/stream`);
  socket.addEventListener("open", () => {
    retry = 1000;
    setLink("live", "live");
    boards.reset();
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === "sensors") {
      sensors.update(message);
      scenes.sensorsChanged();
    }
    else if (message.type === "boards") boards.update(message.boards);
    else if (message.type === "health") health.update(message);
    else if (message.type === "frame") boards.frame(message);
  });
  socket.addEventListener("close", () => {
    setLink("down", "reconnecting");
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10000);
  });
}

function showTab() {
  const wanted = location.hash.slice(1);
  const tab = TABS.includes(wanted) ? wanted : "boards";
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.dataset.panel !== tab;
  for (const a of document.querySelectorAll(".tabs a")) {
    if (a.dataset.tab === tab) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  // frames are asked for only while the boards are in sight
  boards.setWanted(tab === "boards" && document.visibilityState === "visible");
}

async function start() {
  const meta = await call("GET", "/api/dashboard");
  if (!meta.ok) {
    setLink("down", errorText(meta));
    return;
  }
  settings = new Settings(meta.data);
  boards = new Boards(meta.data, send);
  sensors = new Sensors(meta.data, (change) => settings.saveConfig(change));
  scenes = new Scenes(meta.data, sensors, (change) => settings.saveConfig(change), (names) => boards.setCustom(names));
  health = new Health();
  window.addEventListener("hashchange", showTab);
  document.addEventListener("visibilitychange", showTab);
  showTab();
  connect();
  await settings.load();
  await scenes.load();
}

async function login() {
  const section = document.getElementById("login");
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  section.hidden = false;
  setLink("down", "locked");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await call("POST", "/api/login", { password: form.password.value });
    if (!result.ok) {
      error.textContent = errorText(result);
      return;
    }
    setToken(result.data.token);
    section.hidden = true;
    start();
  });
}

async function boot() {
  const csrf = await call("GET", "/api/csrf");
  if (!csrf.ok) {
    setLink("down", "server unreachable");
    return;
  }
  if (csrf.data.login_required) return login();
  setToken(csrf.data.token);
  return start();
}

boot();
