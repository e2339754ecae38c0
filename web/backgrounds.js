// Backgrounds: what the avatar stands in front of. The catalogue by category (locked ones say
// which plan unlocks them), the streamer's own pictures and colours, chroma green for keying
// in OBS. Choosing one changes running streams at once and every tab hears of it.

import { call, upload } from "./api.js";
import { $, h, runAction } from "./dom.js";
import { planName, plans } from "./plans.js";
import { onShow } from "./router.js";
import { onEvent } from "./session.js";

const MAX_IMAGE_MB = 20; // the server's limit (control/backgrounds.py), checked here first
const PICTURE_HINT = `PNG or JPEG, up to ${MAX_IMAGE_MB} MB; it is scaled to fill the picture.`;

const root = $("backgrounds-root");
const state = { items: [], chosen: null, loaded: false, busy: false, uploading: null };
const ui = {};

function build() {
  ui.error = h("p", { class: "error", role: "alert", hidden: true });
  ui.current = h("div", { class: "current-background" });
  ui.catalogue = h("div", { class: "background-groups" });
  ui.colour = h("input", { id: "bg-colour", type: "color", value: "#1e90ff" });
  ui.colourName = h("input", { id: "bg-colour-name", type: "text", maxlength: 100, autocomplete: "off" });
  ui.file = h("input", { id: "bg-file", type: "file", accept: "image/png,image/jpeg" });
  ui.note = h("p", { class: "hint", id: "bg-upload-note" }, PICTURE_HINT);
  ui.uploadError = h("p", { class: "error", role: "alert", hidden: true });
  ui.confirmText = h("p", {});
  ui.dialog = h("dialog", { "aria-labelledby": "bg-confirm-title" },
    h("form", { method: "dialog" },
      h("h3", { id: "bg-confirm-title" }, "Delete this background?"), ui.confirmText,
      h("div", { class: "actions" },
        h("button", { value: "cancel", autofocus: true }, "Keep it"),
        h("button", { value: "delete", class: "danger" }, "Delete"))));
  root.append(
    ui.error,
    h("article", { class: "panel", "aria-labelledby": "bg-current-title" },
      h("h3", { id: "bg-current-title", tabindex: "-1" }, "In your streams now"), ui.current),
    h("div", { class: "background-add" },
      h("form", { class: "panel", "aria-labelledby": "bg-picture-title", onsubmit: uploadPicture },
        h("h3", { id: "bg-picture-title" }, "Your own picture"),
        h("label", { for: "bg-file" }, "Picture file"), ui.file, ui.note, ui.uploadError,
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Upload picture"))),
      h("form", { class: "panel", "aria-labelledby": "bg-colour-title", onsubmit: saveColour },
        h("h3", { id: "bg-colour-title" }, "A solid colour"),
        h("label", { for: "bg-colour" }, "Colour"), ui.colour,
        h("label", { for: "bg-colour-name" }, "Name (optional)"), ui.colourName,
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save colour")),
        h("p", { class: "hint" },
          "To key the avatar over your own scene in OBS, use VIDA's Chroma green below."))),
    ui.catalogue,
    ui.dialog,
  );
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

async function load() {
  try {
    const [list, look] = await Promise.all([
      call("GET", "/backgrounds"), call("GET", "/me/look"), plans(),
    ]);
    Object.assign(state, { items: list.items, chosen: look.background_id, loaded: true });
    render();
  } catch (error) {
    showError(error.message);
  }
}

function swatch(background, big = false) {
  const size = big ? "swatch-big" : "";
  if (background.kind === "image") {
    return h("img", {
      class: `bg-swatch ${size}`, src: `/api/v1/backgrounds/${background.id}/picture`,
      alt: "", loading: "lazy",
    });
  }
  return h("span", {
    class: `bg-swatch ${size}${background.kind === "chroma" ? " chroma" : ""}`,
    style: `background:${background.colour}`, "aria-hidden": "true",
  });
}

function render() {
  if (!state.loaded) return;
  const chosen = state.items.find((b) => b.id === state.chosen);
  ui.current.replaceChildren(chosen
    ? h("div", { class: "current-row" }, swatch(chosen, true),
      h("div", {}, h("p", { class: "avatar-name" }, chosen.name),
        h("button", { type: "button", onclick: () => choose(null) }, "Use the studio's default")))
    : h("p", {}, "The studio's default background. Pick one below."));
  const groups = new Map();
  for (const background of state.items) {
    const key = background.category ?? "Other";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(background);
  }
  ui.catalogue.replaceChildren(...[...groups].map(([category, items]) =>
    h("section", { class: "background-group", "aria-label": category },
      h("h3", {}, category === "Mine" ? "Yours" : category),
      h("ul", { class: "background-grid" }, items.map(tile)))));
}

function tile(background) {
  const inUse = background.id === state.chosen;
  let action;
  if (background.locked) {
    action = h("span", { class: "lock" }, `Needs ${planName(background.unlocked_by)}`);
  } else if (inUse) {
    action = h("span", { class: "badge ok" }, "In use");
  } else {
    action = h("button", {
      type: "button", class: "primary", disabled: state.busy,
      "aria-label": `Use ${background.name}`, onclick: () => choose(background.id),
    }, "Use");
  }
  return h("li", { class: `bg-tile${inUse ? " in-use" : ""}${background.locked ? " locked" : ""}` },
    swatch(background),
    h("span", { class: "bg-name" }, background.name),
    h("div", { class: "actions" }, action, background.own
      ? h("button", {
        type: "button", class: "danger-outline", disabled: state.busy,
        "aria-label": `Delete ${background.name}`, onclick: () => remove(background),
      }, "Delete")
      : null));
}

// What runAction needs of this view.
const view = {
  setBusy: (busy) => { state.busy = busy; render(); },
  showError: (message) => showError(message),
  load: () => load(),
};
const act = (work) => runAction(view, work);

async function choose(id) {
  await act(async () => {
    const look = await call("PATCH", "/me/look", { background_id: id });
    state.chosen = look.background_id;
  });
  $("bg-current-title").focus(); // the button pressed is gone: land on what changed
}

function remove(background) {
  const inUse = background.id === state.chosen;
  ui.confirmText.textContent = `${background.name} will be gone for good${inUse ? ", and streams go back to the studio's default background" : ""}.`;
  ui.dialog.returnValue = "";
  ui.dialog.showModal();
  ui.dialog.addEventListener("close", async () => {
    if (ui.dialog.returnValue !== "delete") return;
    await act(() => call("DELETE", `/backgrounds/${background.id}`));
    $("bg-current-title").focus();
  }, { once: true });
}

function saveColour(event) {
  event.preventDefault();
  const body = { kind: "color", value: ui.colour.value, name: ui.colourName.value.trim() };
  return act(async () => {
    await call("POST", "/backgrounds", body);
    ui.colourName.value = "";
  });
}

function showUploadError(message) {
  ui.uploadError.textContent = message;
  ui.uploadError.hidden = !message;
}

async function uploadPicture(event) {
  event.preventDefault();
  const file = ui.file.files[0];
  ui.note.textContent = PICTURE_HINT;
  showUploadError("");
  if (!file) return showUploadError("Choose a PNG or JPEG picture first.");
  // Some systems give no type: then the name says it (the server reads the first bytes).
  const picture = file.type ? ["image/png", "image/jpeg"].includes(file.type)
    : /\.(png|jpe?g)$/i.test(file.name);
  if (!picture) {
    return showUploadError(`${file.name} is not a PNG or JPEG picture.`);
  }
  if (file.size > MAX_IMAGE_MB * 1024 * 1024) {
    const size = (file.size / 1048576).toFixed(0);
    return showUploadError(`${file.name} is ${size} MB: pictures can be up to ${MAX_IMAGE_MB} MB.`);
  }
  const name = file.name.replace(/\.[^.]+$/, "");
  state.busy = true;
  render();
  try {
    await upload(`/backgrounds/image?${new URLSearchParams({ name })}`, file, (fraction) => {
      ui.note.textContent = `Uploading ${file.name}: ${Math.round(fraction * 100)}%`;
    });
    ui.file.value = "";
    ui.note.textContent = `Uploaded ${file.name}.`;
  } catch (error) {
    ui.note.textContent = PICTURE_HINT;
    showUploadError(`${file.name}: ${error.message}`);
  } finally {
    state.busy = false;
    await load();
  }
}

export function startBackgrounds() {
  build();
  onShow("backgrounds", load);
  onEvent("look", ({ background_id: id }) => {
    state.chosen = id;
    render();
  });
}
