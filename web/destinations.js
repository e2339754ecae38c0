// Destinations: where streams go (X, YouTube, Twitch or any RTMP server), saved once with
// the server URL and stream key as OBS asks for them. Stream keys are write-only: the API
// answers with their last four characters only, and this page forgets a key once it is saved.

import { call } from "./api.js";
import { $, fact, h, runAction } from "./dom.js";
import { onShow } from "./router.js";
import { onAccount } from "./session.js";

// The platforms of control/destinations.py PRESETS, with the server URL each preset fills in
// (null: the streamer pastes it; X's ingest depends on the region Media Studio Producer shows).
const PLATFORMS = {
  x: {
    label: "X (Media Studio Producer)", short: "X", url: null,
    placeholder: "paste the RTMP URL from Media Studio Producer",
    help: "In Media Studio Producer (studio.x.com), open Sources → RTMP and create a source: " +
      "copy its RTMP URL and its stream key here. The URL depends on your region, so it is " +
      "not filled in.",
  },
  youtube: {
    label: "YouTube", short: "YouTube", url: "rtmps://a.rtmps.youtube.com:443/live2",
    help: "In YouTube Studio, choose Create → Go live → Stream and copy the stream key. " +
      "The server URL is YouTube's (RTMPS), filled in for you.",
  },
  twitch: {
    label: "Twitch", short: "Twitch", url: "rtmp://live.twitch.tv/app",
    help: "In the Twitch Creator Dashboard, open Settings → Stream and copy the primary " +
      "stream key. The server URL is Twitch's, filled in for you: it picks the nearest ingest.",
  },
  custom: {
    label: "Custom RTMP server", short: "Custom", url: null,
    placeholder: "rtmp://live.example.com/app",
    help: "Any RTMP or RTMPS server: paste the server URL up to the application name " +
      "(e.g. rtmp://live.example.com/app) and the stream key, as you would in OBS.",
  },
};
const PRESET_URLS = new Set(Object.values(PLATFORMS).map((p) => p.url).filter(Boolean));

const root = $("destinations-root");
const state = {
  items: [], total: 0, loaded: false, busy: false,
  editing: null, // the destination the form changes; null: the form adds one
  userId: null, // whose destinations these are (a sign-out and in clears them)
};
const ui = {};

function build() {
  ui.error = h("div", { id: "destinations-error", class: "error", role: "alert", hidden: true });
  ui.listTitle = h("h3", { id: "dest-list-title", tabindex: "-1" }, "Your destinations");
  ui.count = h("p", { id: "dest-count", class: "hint" });
  ui.list = h("ul", { id: "dest-list", class: "dest-list", "aria-labelledby": "dest-list-title" });
  ui.formTitle = h("h3", { id: "dest-form-title", tabindex: "-1" }, "Add a destination");
  ui.platformHelp = h("p", { id: "dest-platform-help", class: "hint dest-help" });
  ui.platforms = Object.entries(PLATFORMS).map(([id, platform]) =>
    h("label", { class: "dest-platform" },
      h("input", {
        type: "radio", name: "platform", value: id, checked: id === "x",
        "aria-describedby": "dest-platform-help", onchange: () => choosePlatform(id),
      }),
      h("span", {}, platform.label)));
  ui.url = h("input", {
    id: "dest-url", name: "server_url", type: "url", inputmode: "url", autocomplete: "off",
    spellcheck: "false", "aria-describedby": "dest-url-note",
  });
  ui.urlNote = h("p", { id: "dest-url-note", class: "hint" });
  ui.key = h("input", {
    id: "dest-key", name: "stream_key", type: "password", autocomplete: "off",
    spellcheck: "false", "aria-describedby": "dest-key-note",
  });
  ui.reveal = h("button", {
    type: "button", class: "dest-reveal", "aria-controls": "dest-key", onclick: toggleReveal,
  });
  ui.keyNote = h("p", { id: "dest-key-note", class: "hint" });
  ui.name = h("input", {
    id: "dest-name", name: "name", type: "text", maxlength: 100, autocomplete: "off",
    "aria-describedby": "dest-name-note",
  });
  ui.bitrate = h("input", {
    id: "dest-bitrate", name: "bitrate_kbps", type: "number", inputmode: "numeric",
    min: 300, max: 51000, step: 1, autocomplete: "off", "aria-describedby": "dest-bitrate-note",
  });
  ui.isDefault = h("input", {
    id: "dest-default", name: "is_default", type: "checkbox",
    "aria-describedby": "dest-default-note",
  });
  ui.defaultNote = h("p", { id: "dest-default-note", class: "hint", hidden: true });
  ui.save = h("button", { type: "submit", class: "primary" }, "Save destination");
  ui.cancel = h("button", { type: "button", hidden: true, onclick: cancelEdit }, "Cancel");
  ui.saved = h("p", { id: "dest-saved", class: "note", role: "status" });
  ui.formError = h("p", { id: "dest-form-error", class: "error", role: "alert", hidden: true });
  ui.form = h("form", { id: "dest-form", class: "dest-form", novalidate: true, onsubmit: submit },
    h("fieldset", { class: "dest-platforms" },
      h("legend", {}, "Platform"),
      ui.platforms),
    ui.platformHelp,
    h("label", { for: "dest-url" }, "Server URL"), ui.url, ui.urlNote,
    h("label", { for: "dest-key" }, "Stream key"),
    h("div", { class: "dest-key-row" }, ui.key, ui.reveal), ui.keyNote,
    h("label", { for: "dest-name" }, "Name (optional)"), ui.name,
    h("p", { id: "dest-name-note", class: "hint" },
      "How the studio lists it, e.g. “YouTube main”; empty: the platform's name."),
    h("label", { for: "dest-bitrate" }, "Bitrate in kb/s (optional)"), ui.bitrate,
    h("p", { id: "dest-bitrate-note", class: "hint" },
      "300 to 51000: the most video bit rate this server takes. With several destinations at once, the lowest applies to all (one encode). Empty: the studio picks one for the resolution."),
    h("label", { class: "check" }, ui.isDefault, "Make it the default"), ui.defaultNote,
    h("div", { class: "actions" }, ui.save, ui.cancel),
    ui.saved, ui.formError);
  ui.dialogText = h("p", { id: "dest-confirm-text" });
  ui.dialog = h("dialog", { id: "dest-confirm", "aria-labelledby": "dest-confirm-title" },
    h("form", { method: "dialog" },
      h("h3", { id: "dest-confirm-title" }, "Delete this destination?"),
      ui.dialogText,
      h("div", { class: "actions" },
        h("button", { value: "cancel", autofocus: true }, "Keep it"),
        h("button", { value: "delete", class: "danger" }, "Delete"))));
  root.replaceChildren(
    h("p", { class: "hint" }, "Where your streams go. Stream keys are saved encrypted and " +
      "never shown again: only their last four characters."),
    ui.error,
    h("div", { class: "dest-layout" },
      h("section", { class: "panel", "aria-labelledby": "dest-list-title" },
        ui.listTitle, ui.count, ui.list),
      h("section", { class: "panel", "aria-labelledby": "dest-form-title" },
        ui.formTitle, ui.form)),
    ui.dialog);
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function showFormError(message) {
  ui.formError.textContent = message;
  ui.formError.hidden = !message;
}

async function load() {
  try {
    const page = await call("GET", "/destinations?per_page=100");
    Object.assign(state, { items: page.items, total: page.total, loaded: true });
    // Changed meanwhile (made the default, deleted in another tab): the form follows.
    if (state.editing) {
      const now = state.items.find((d) => d.id === state.editing.id);
      if (now) state.editing = now;
      else endEdit();
    }
    renderList();
  } catch (error) {
    showError(error.message);
  }
}

// "••••abcd": the API masks a key as "****abcd"; the dots read better and the screen reader
// hears "ending in abcd" rather than four stars.
function maskedKey(destination) {
  const hint = destination.stream_key.replace(/^\*+/, "");
  return [
    h("span", { class: "visually-hidden" }, "ending in "),
    h("span", { "aria-hidden": "true" }, "••••"),
    hint,
  ];
}

function renderList() {
  renderDefaultChoice();
  if (!state.loaded) return;
  const n = state.items.length;
  const more = state.total > n ? ` (the first ${n} of ${state.total} shown)` : "";
  ui.count.textContent = `${n} saved${more}`;
  ui.count.hidden = n === 0;
  if (n === 0) {
    ui.list.replaceChildren(h("li", { class: "empty-state" },
      h("p", {}, "No destinations yet."),
      h("p", { class: "hint" }, "Add where you stream: X, YouTube, Twitch or any RTMP server. " +
        "Pick the platform, then paste the server URL and stream key it shows you.")));
    return;
  }
  ui.list.replaceChildren(...state.items.map(card));
}

// The default checkbox where it cannot be unticked: the first destination is the default
// whatever it says, and a default cannot be unticked, only replaced by making another one
// the default.
function renderDefaultChoice() {
  const first = !state.editing && state.loaded && state.items.length === 0;
  const isDefault = Boolean(state.editing?.is_default);
  const forced = first || isDefault;
  if (forced || ui.isDefault.disabled) ui.isDefault.checked = forced; // forced until now: free
  ui.isDefault.disabled = forced;
  ui.defaultNote.textContent = first ? "Your first destination is the default."
    : isDefault ? "This is your default: make another one the default to change it." : "";
  ui.defaultNote.hidden = !ui.defaultNote.textContent;
}

function card(destination) {
  const { name } = destination;
  const platform = PLATFORMS[destination.platform] ?? PLATFORMS.custom;
  const editing = state.editing?.id === destination.id;
  return h("li", {
    class: `dest-card${destination.is_default ? " is-default" : ""}${editing ? " is-editing" : ""}`,
    "data-destination-id": destination.id,
  },
  h("h4", {}, h("span", { class: "dest-name" }, name),
    destination.is_default ? h("span", { class: "badge ok" }, "Default") : null),
  h("dl", { class: "dest-facts" },
    fact("Platform", platform.label),
    fact("Server URL", h("span", { class: "dest-url" }, destination.server_url)),
    fact("Stream key", ...maskedKey(destination)),
    destination.bitrate_kbps ? fact("Bitrate", `${destination.bitrate_kbps} kb/s`) : null),
  h("div", { class: "actions" },
    destination.is_default ? null : h("button", {
      type: "button", class: "primary", disabled: state.busy,
      "aria-label": `Make default: ${name}`, onclick: () => makeDefault(destination),
    }, "Make default"),
    h("button", {
      type: "button", disabled: state.busy, "aria-label": `Edit ${name}`,
      "data-edit": destination.id, onclick: () => startEdit(destination),
    }, "Edit"),
    h("button", {
      type: "button", class: "danger-outline", disabled: state.busy,
      "aria-label": `Delete ${name}`, onclick: () => remove(destination),
    }, "Delete")));
}

function chosenPlatform() {
  return ui.form.elements.platform.value || "custom";
}

// A preset platform fills in its server URL and locks it; the others take a pasted one (a
// preset's URL left in the field would be wrong there, so it goes).
function choosePlatform(id, url) {
  const platform = PLATFORMS[id];
  for (const radio of ui.form.elements.platform) radio.checked = radio.value === id;
  ui.platformHelp.textContent = platform.help;
  ui.url.readOnly = Boolean(platform.url);
  if (url !== undefined) ui.url.value = url;
  else if (platform.url) ui.url.value = platform.url;
  else if (PRESET_URLS.has(ui.url.value)) ui.url.value = "";
  ui.url.placeholder = platform.placeholder ?? "";
  ui.urlNote.textContent = platform.url
    ? `${platform.short}'s ingest server: filled in, nothing to change.`
    : "rtmp:// or rtmps://, up to the application name; the stream key goes below.";
}

function toggleReveal() {
  showKey(ui.key.type === "password");
}

function showKey(shown) {
  ui.key.type = shown ? "text" : "password";
  ui.reveal.textContent = shown ? "Hide" : "Show";
  ui.reveal.setAttribute("aria-label", shown ? "Hide stream key" : "Show stream key");
}

// Back to adding a new destination, every field empty (the key included).
function endEdit() {
  state.editing = null;
  ui.form.reset();
  showKey(false);
  choosePlatform("x", "");
  ui.formTitle.textContent = "Add a destination";
  ui.keyNote.textContent = "Saved encrypted; never shown again, only its last four characters.";
  ui.save.textContent = "Save destination";
  ui.cancel.hidden = true;
  showFormError("");
}

function startEdit(destination) {
  endEdit();
  state.editing = destination;
  const hint = destination.stream_key.replace(/^\*+/, "");
  choosePlatform(PLATFORMS[destination.platform] ? destination.platform : "custom",
    destination.server_url);
  ui.name.value = destination.name;
  ui.bitrate.value = destination.bitrate_kbps ?? "";
  ui.isDefault.checked = destination.is_default;
  ui.keyNote.textContent = `Leave empty to keep the saved key (ending in ${hint}); ` +
    "a new key replaces it.";
  ui.formTitle.textContent = `Edit ${destination.name}`;
  ui.save.textContent = "Save changes";
  ui.cancel.hidden = false;
  ui.saved.textContent = "";
  renderList();
  ui.formTitle.scrollIntoView({ block: "nearest" });
  ui.formTitle.focus();
}

function cancelEdit() {
  const id = state.editing?.id;
  endEdit();
  renderList();
  ui.list.querySelector(`[data-edit="${id}"]`)?.focus(); // back where the streamer left
}

// The bitrate field as the API takes it: a number, null when left empty, or an Error.
function bitrateValue() {
  if (ui.bitrate.validity.badInput) throw new Error("Bitrate must be a number of kb/s.");
  const text = ui.bitrate.value.trim();
  if (!text) return null;
  const kbps = Number(text);
  if (!Number.isInteger(kbps)) throw new Error("Bitrate must be a whole number of kb/s.");
  return kbps;
}

// What the form sends. Adding: every field (a preset's URL is the server's to fill in).
// Editing: only what changed, and the key only when a new one is typed.
function requestBody() {
  const platform = chosenPlatform();
  const bitrate = bitrateValue();
  const key = ui.key.value.trim();
  const name = ui.name.value.trim();
  const url = ui.url.value.trim();
  const old = state.editing;
  if (!old) {
    return {
      platform, name: name || PLATFORMS[platform].short,
      server_url: PLATFORMS[platform].url ? null : url, stream_key: key,
      bitrate_kbps: bitrate, is_default: ui.isDefault.checked,
    };
  }
  if (bitrate === null && old.bitrate_kbps) {
    throw new Error("A saved bitrate cannot be emptied yet: type the bitrate to use instead.");
  }
  if (!PLATFORMS[platform].url && !url) {
    throw new Error("Enter the server URL your platform shows (e.g. in Media Studio Producer).");
  }
  const body = {};
  const newName = name || PLATFORMS[platform].short;
  if (newName !== old.name) body.name = newName;
  if (platform !== old.platform) body.platform = platform;
  // A preset platform newly chosen brings its URL from the server; a pasted one is sent.
  if (!PLATFORMS[platform].url && url !== old.server_url) body.server_url = url;
  if (key) body.stream_key = key;
  if (bitrate !== null && bitrate !== old.bitrate_kbps) body.bitrate_kbps = bitrate;
  if (ui.isDefault.checked && !old.is_default) body.is_default = true;
  return body;
}

async function submit(event) {
  event.preventDefault();
  if (state.busy) return;
  showFormError("");
  ui.saved.textContent = "";
  let body; // holds the key until the request is sent; never logged
  try {
    body = requestBody();
  } catch (error) {
    return showFormError(error.message);
  }
  const editing = state.editing;
  setBusy(true);
  try {
    const saved = editing
      ? await call("PATCH", `/destinations/${editing.id}`, body)
      : await call("POST", "/destinations", body);
    endEdit(); // the key leaves the page with the form
    ui.saved.textContent = `Saved ${saved.name}.`;
  } catch (error) {
    showFormError(error.message);
  } finally {
    setBusy(false);
    await load();
  }
}

function setBusy(busy) {
  state.busy = busy;
  ui.save.disabled = busy;
  renderList();
}

const act = (work) => runAction({ setBusy, showError, load }, work);

function makeDefault(destination) {
  return act(() => call("PATCH", `/destinations/${destination.id}`, { is_default: true }));
}

function remove(destination) {
  const others = state.items.length > 1;
  ui.dialogText.textContent = `${destination.name} (${destination.server_url}) will be gone ` +
    `for good, with its stream key.${destination.is_default && others
      ? " You then have no default: make another one the default." : ""}`;
  ui.dialog.returnValue = "";
  ui.dialog.showModal();
  ui.dialog.addEventListener("close", async () => {
    if (ui.dialog.returnValue !== "delete") return;
    if (state.editing?.id === destination.id) endEdit();
    await act(() => call("DELETE", `/destinations/${destination.id}`));
    ui.listTitle.focus(); // the button that opened the dialog is gone
  }, { once: true });
}

// Someone else signed in on this page: nothing of the last streamer's stays in the form.
function forgetOtherUser(current) {
  const id = current?.user.id ?? null;
  if (id === state.userId) return;
  state.userId = id;
  Object.assign(state, { items: [], total: 0, loaded: false });
  endEdit();
  ui.saved.textContent = "";
  showError("");
  ui.list.replaceChildren();
}

export function startDestinations() {
  build();
  endEdit();
  onAccount(forgetOtherUser);
  onShow("destinations", load);
}
