// Boards: one card per connected board, its live screen (peek) and its controls.
import { call, el, errorText } from "./api.js";

const SCALE = 4; // the PNG is 512 x 256: crisp on any screen, drawn pixelated by CSS

/** GET /api/boards' ``update`` in words: what the board's last update came to. */
function updateText(update) {
  if (!update) return "—";
  if (update.state === "sending") return `sending (${Math.round(update.sent / 1024)} KB)…`;
  if (update.last) return update.last;
  return update.available ? "a newer firmware is ready" : "up to date";
}

export class Boards {
  /** meta: GET /api/dashboard; send(message): to the stream. */
  constructor(meta, send) {
    this.meta = meta;
    this.send = send;
    this.list = document.getElementById("board-list");
    this.none = document.getElementById("no-boards");
    this.template = document.getElementById("board-card");
    this.cards = new Map(); // id -> {root, parts...}
    this.boards = [];
    this.watched = new Set(); // ids the stream was asked to peek
    this.wanted = false; // the page shows the boards (tab shown, page visible)
  }

  update(boards) {
    this.boards = boards;
    const ids = new Set(boards.map((b) => b.id));
    for (const [id, card] of this.cards) {
      if (!ids.has(id)) {
        card.root.remove();
        this.cards.delete(id);
        this.watched.delete(id); // the server forgets a board that left
      }
    }
    for (const board of boards) {
      let card = this.cards.get(board.id);
      if (!card) {
        card = this.makeCard(board.id);
        this.cards.set(board.id, card);
        this.list.append(card.root);
      }
      this.fill(card, board);
    }
    this.none.hidden = boards.length > 0;
    this.syncWatching();
  }

  /** {"type": "frame", board, n, peek}: a new frame to fetch, or "cannot peek". */
  frame(message) {
    const card = this.cards.get(message.board);
    if (!card) return;
    if (message.peek === false) {
      this.showNote(card, "This board's firmware cannot peek: update it to see its screen here.");
      card.img.removeAttribute("src");
      return;
    }
    // the newest wins: the old picture stays until this one has loaded
    card.img.dataset.n = String(message.n);
    card.img.src = `/api/boards/${message.board}/frame.png?scale=${SCALE}&n=${message.n}`;
  }

  /** Ask for frames only while someone looks at them. */
  setWanted(wanted) {
    this.wanted = wanted;
    this.syncWatching();
  }

  /** The stream (re)connected: the server knows of no watcher. */
  reset() {
    this.watched.clear();
    this.syncWatching();
  }

  syncWatching() {
    for (const board of this.boards) {
      const watching = this.watched.has(board.id);
      if (this.wanted && !watching) {
        if (this.send({ type: "peek", board: board.id, on: true })) this.watched.add(board.id);
      } else if (!this.wanted && watching) {
        this.send({ type: "peek", board: board.id, on: false });
        this.watched.delete(board.id);
      }
    }
  }

  /** The scene names a board can be sent to: the built-in scenes, then the custom ones. */
  sceneNames() {
    return [...this.meta.scenes.slice(0, this.meta.custom.first_scene_id), ...(this.custom || [])];
  }

  fillScenes(card) {
    card.sceneSelect.replaceChildren(el("option", "", "—"));
    for (const name of this.sceneNames()) card.sceneSelect.append(el("option", "", name));
  }

  /** The custom scenes' names (scenes.js, when they are loaded or saved). */
  setCustom(names) {
    this.custom = names;
    for (const card of this.cards.values()) this.fillScenes(card);
  }

  makeCard(id) {
    const root = this.template.content.firstElementChild.cloneNode(true);
    root.dataset.board = String(id);
    const q = (sel) => root.querySelector(sel);
    const card = {
      root,
      name: q(".board-name"),
      badge: q(".badge"),
      img: q(".oled"),
      note: q(".screen-note"),
      address: q(".address"),
      firmware: q(".firmware"),
      scene: q(".scene"),
      sceneSelect: q(".scene-select"),
      contrast: q(".contrast"),
      contrastValue: q(".contrast-value"),
      pairForm: q(".pair-form"),
      pairName: q(".pair-name"),
      unpair: q(".unpair"),
      error: q(".board-error"),
      secretBox: q(".secret-line"),
      secret: q(".secret"),
      updateState: q(".update-state"),
      updateButton: q(".update-firmware"),
      board: null,
    };
    this.fillScenes(card);
    card.sceneSelect.addEventListener("change", () => {
      if (card.sceneSelect.selectedIndex > 0) this.control(card, "scene", card.sceneSelect.value);
    });
    q(".screen-on").addEventListener("click", () => this.control(card, "screen", "ON"));
    q(".screen-off").addEventListener("click", () => this.control(card, "screen", "OFF"));
    card.contrast.addEventListener("input", () => { card.contrastValue.textContent = card.contrast.value; });
    card.contrast.addEventListener("change", () => this.control(card, "contrast", Number(card.contrast.value)));
    card.pairForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.pair(card, card.pairName.value.trim());
    });
    card.unpair.addEventListener("click", () => this.unpair(card));
    card.updateButton.addEventListener("click", () => this.startUpdate(card));
    card.img.addEventListener("load", () => {
      root.dataset.shown = card.img.dataset.n; // the frame on show (tests read it)
      this.showNote(card, "");
    });
    this.showNote(card, "Waiting for the board's screen…");
    card.img.alt = `The screen of board ${id}`;
    return card;
  }

  fill(card, board) {
    card.board = board;
    card.name.textContent = board.name || `Board ${board.id}`;
    card.badge.textContent = board.paired ? "paired" : "not paired";
    card.badge.classList.toggle("is-paired", board.paired);
    card.address.textContent = board.address || "—";
    const outdated = board.firmware && board.firmware_current === false;
    card.firmware.textContent = (board.firmware || "—") + (outdated ? " (not the server's)" : "");
    card.scene.textContent = board.scene || "—";
    if (document.activeElement !== card.sceneSelect) {
      const index = this.sceneNames().indexOf(board.scene);
      card.sceneSelect.selectedIndex = index >= 0 ? index + 1 : 0;
    }
    card.pairForm.hidden = board.paired;
    card.unpair.hidden = !board.paired;
    card.unpair.textContent = board.paired ? `Unpair ${board.name}` : "Unpair";
    if (board.peek === false && !card.img.getAttribute("src")) {
      this.showNote(card, "This board's firmware cannot peek: update it to see its screen here.");
    }
    // over the air (issue 23): offered while the server's firmware is newer ("ask" mode)
    card.updateButton.hidden = !(board.update && board.update.available);
    card.updateState.textContent = updateText(board.update);
  }

  async startUpdate(card) {
    const name = card.board && card.board.name;
    if (!name) return;
    card.updateButton.hidden = true;
    const result = await call("POST", "/api/boards/update", { board: name });
    if (!result.ok) card.error.textContent = errorText(result);
    else if (!result.data.started.includes(name)) {
      card.error.textContent = `${name} cannot be updated now`;
    }
    else card.error.textContent = "";
  }

  showNote(card, text) {
    card.note.textContent = text;
  }

  async control(card, control, value) {
    const result = await call("POST", `/api/boards/${card.board.id}/${control}`, { value });
    card.error.textContent = result.ok ? "" : errorText(result);
  }

  async pair(card, name) {
    if (!name) return;
    const result = await call("POST", "/api/boards/pair", { name });
    card.error.textContent = result.ok ? "" : errorText(result);
    if (result.ok) {
      card.secret.textContent = result.data.secrets_line;
      card.secretBox.hidden = false;
    }
  }

  async unpair(card) {
    const name = card.board && card.board.name;
    if (!name || !window.confirm(`Unpair ${name}? It is refused from its next connection.`)) return;
    const result = await call("POST", "/api/boards/unpair", { name });
    card.error.textContent = result.ok ? "" : errorText(result);
  }
}
