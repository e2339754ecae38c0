// My Avatars: the active one, every avatar with its state, uploads with their progress, the
// presets, set active and delete. Processing progress and active-avatar changes (from any
// tab or device) arrive pushed; nothing polls.

import { call, upload } from "./api.js";
import { $, dateText, h, runAction } from "./dom.js";
import { planName, plans } from "./plans.js";
import { onShow } from "./router.js";
import { account, onEvent, refreshAccount } from "./session.js";

const ui = {
  slots: $("avatar-slots"), error: $("avatars-error"), active: $("active-body"),
  form: $("upload-form"), file: $("avatar-file"), name: $("avatar-name"), upload: $("upload"),
  note: $("upload-note"), uploadError: $("upload-error"), presets: $("presets"),
  grid: $("avatar-grid"),
  dialog: $("confirm-delete"), confirmText: $("confirm-text"),
};
const state = {
  items: [], slots: 0, used: 0, activeId: null, presets: [], loaded: false,
  uploading: null, // { name, fraction } while a file is on its way
  busy: false,
  pushed: new Map(), // avatar id → its newest pushed state (may arrive before the list has it)
};

const STATUS_TEXT = { pending: "Waiting to be processed", processing: "Processing", ready: "Ready" };

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

async function load() {
  try {
    await refreshAccount(); // the plan may have changed since sign-in
    const [mine, presets] = await Promise.all([
      call("GET", "/avatars?per_page=100"),
      call("GET", "/avatars/presets"),
      plans(), // the names of the plans that unlock presets
    ]);
    Object.assign(state, {
      items: mine.items, slots: mine.slots, used: mine.used, activeId: mine.active_avatar_id,
      presets: presets.items, loaded: true,
    });
    for (const avatar of state.items) catchUp(avatar);
    render();
  } catch (error) {
    showError(error.message);
  }
}

function thumbnail(avatar, size = 128) {
  if (!avatar.has_thumbnail) {
    const mark = avatar.status === "failed" ? "✕" : "…"; // failed, or not pictured yet
    return h("div", { class: "thumb empty", style: `--size:${size}px`, "aria-hidden": "true" }, mark);
  }
  // The avatar's id and status in the address: a new picture is fetched once it is ready.
  return h("img", {
    class: "thumb", src: `/api/v1/avatars/${avatar.id}/thumbnail?v=${avatar.status}`,
    width: size, height: size, style: `--size:${size}px`, alt: `${avatar.name}, as it looks`,
  });
}

// The avatar in its idle motion (breathing, blinking): a few seconds made when it was
// processed, looped, with a pause button (moving pictures must be pausable: WCAG 2.2.2).
// Kept across renders (progress events re-render the page often): a paused clip stays
// paused and is not fetched again. Who prefers reduced motion gets it paused.
const clips = new Map(); // avatar id → its clip element

function moving(avatar) {
  if (clips.has(avatar.id)) return clips.get(avatar.id);
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const video = h("video", {
    class: "thumb", src: `/api/v1/avatars/${avatar.id}/preview`, width: 160, height: 160,
    style: "--size:160px", poster: `/api/v1/avatars/${avatar.id}/thumbnail?v=${avatar.status}`,
    autoplay: !still, loop: true, muted: true, playsinline: true,
    "aria-label": `${avatar.name}, moving as when nothing is tracked`,
  });
  video.muted = true; // the property, not only the attribute, lets every browser autoplay
  const toggle = h("button", { type: "button" }, still ? "Play" : "Pause");
  toggle.addEventListener("click", () => {
    if (video.paused) video.play(); else video.pause();
    toggle.textContent = video.paused ? "Play" : "Pause";
  });
  const clip = h("div", { class: "clip" }, video, toggle);
  clips.set(avatar.id, clip);
  return clip;
}

// Failed uploads are listed (with why) but hold no slot.
function full() {
  return state.used >= state.slots;
}

function render() {
  if (!state.loaded) return;
  const plan = account()?.plan;
  const count = `${state.used} of ${state.slots} avatar${state.slots === 1 ? "" : "s"}`;
  ui.slots.textContent = `${count} · ${plan?.name ?? ""} plan${full() ? " · all used: delete one to add another, or move to a bigger plan" : ""}`;
  ui.slots.classList.toggle("warn", full());
  renderActive();
  renderUpload(plan);
  renderPresets();
  renderGrid();
}

function renderActive() {
  const active = state.items.find((a) => a.id === state.activeId);
  if (!active) {
    ui.active.replaceChildren(
      h("p", {}, "No avatar of yours is active: streams show VIDA's default avatar."),
      h("p", { class: "hint" }, "Press Set active on a ready avatar below."),
    );
    return;
  }
  ui.active.replaceChildren(
    h("div", { class: "active-row" },
      active.has_preview ? moving(active) : thumbnail(active, 160),
      h("div", {},
        h("p", { class: "avatar-name" }, active.name, " ", h("span", { class: "badge ok" }, "Active")),
        h("p", { class: "hint" }, "Goes live in your next stream, and at once in a running one."),
        h("a", { class: "button", href: "#/studio" }, "Test avatar with your camera"))),
  );
}

function renderUpload(plan) {
  const allowed = Boolean(plan?.custom_avatars);
  ui.file.disabled = ui.name.disabled = !allowed || Boolean(state.uploading);
  ui.upload.disabled = !allowed || full() || Boolean(state.uploading) || state.busy;
  if (state.uploading) {
    const percent = Math.round(state.uploading.fraction * 100);
    ui.note.replaceChildren(
      `Uploading ${state.uploading.name}: ${percent}%`,
      h("progress", { max: 100, value: percent, "aria-label": "Upload progress" }),
    );
  } else if (!allowed) {
    ui.note.textContent = `The ${plan?.name ?? "current"} plan has no custom avatars: pick one of VIDA's below, or move to Reply Guy or above to upload your own.`;
  } else {
    ui.note.textContent = `GLB or VRM, up to ${plan.max_upload_mb} MB, up to ${plan.max_bones} bones and ${plan.max_morph_targets} face shapes. A model without a skeleton is rigged for you.`;
  }
}

function renderPresets() {
  const byCategory = new Map();
  for (const preset of state.presets) {
    const key = preset.category ?? "Other";
    if (!byCategory.has(key)) byCategory.set(key, []);
    byCategory.get(key).push(preset);
  }
  ui.presets.replaceChildren(...[...byCategory].map(([category, presets]) =>
    h("section", { class: "preset-group", "aria-label": category },
      h("h5", {}, category),
      h("ul", { class: "preset-list" }, presets.map((preset) =>
        h("li", { class: "preset" },
          thumbnail(preset, 64),
          h("span", {}, preset.name),
          preset.locked
            ? h("span", { class: "lock" }, `Needs ${planName(preset.required_plan)}`)
            : preset.added
            ? h("span", { class: "badge ok" }, "Added")
            : h("button", {
              type: "button", disabled: full() || state.busy,
              "aria-label": `Add ${preset.name}`, onclick: () => addPreset(preset),
            }, "Add")))))));
}

function renderGrid() {
  if (state.items.length === 0) {
    ui.grid.replaceChildren(h("li", { class: "empty-state" },
      h("p", {}, "No avatars yet."),
      h("p", { class: "hint" }, "Upload a GLB or VRM file, or add one of VIDA's avatars: until then your streams show VIDA's default avatar.")));
    return;
  }
  ui.grid.replaceChildren(...state.items.map(card));
}

function card(avatar) {
  const active = avatar.id === state.activeId;
  return h("li", { class: `card${active ? " is-active" : ""}`, "data-avatar-id": avatar.id },
    thumbnail(avatar),
    h("h4", {}, avatar.name, active ? h("span", { class: "badge ok" }, "Active") : null),
    h("p", { class: "hint" }, `Added ${dateText(avatar.created_at)}`),
    statusLine(avatar),
    h("div", { class: "actions" },
      h("button", {
        type: "button", class: active ? "" : "primary",
        disabled: active || avatar.status !== "ready" || state.busy,
        "aria-label": active ? `Active: ${avatar.name}` : `Set active: ${avatar.name}`,
        onclick: () => setActive(avatar),
      }, active ? "Active" : "Set active"),
      h("button", {
        type: "button", class: "danger-outline", disabled: state.busy,
        "aria-label": `Delete ${avatar.name}`, onclick: () => remove(avatar),
      }, "Delete")));
}

function statusLine(avatar) {
  if (avatar.status === "failed") {
    return h("p", { class: "status-line bad" }, `Failed: ${avatar.error ?? "unknown error"}`);
  }
  if (avatar.status === "processing") {
    return h("p", { class: "status-line" }, `Processing ${avatar.progress}%`,
      h("progress", { max: 100, value: avatar.progress, "aria-label": `${avatar.name} processing` }));
  }
  return h("p", { class: `status-line${avatar.status === "ready" ? " ok" : ""}` },
    STATUS_TEXT[avatar.status] ?? avatar.status);
}

// What runAction needs of this view.
const view = {
  setBusy: (busy) => { state.busy = busy; render(); },
  showError: (message) => showError(message),
  load: () => load(),
};
const act = (work) => runAction(view, work);

async function setActive(avatar) {
  await act(async () => {
    await call("PUT", "/me/active-avatar", { avatar_id: avatar.id });
    state.activeId = avatar.id; // the pushed event says the same, to the other tabs too
  });
  $("active-title").focus(); // the button pressed is disabled now: land on what changed
}

function addPreset(preset) {
  return act(() => call("POST", `/avatars/presets/${preset.id}`));
}

function remove(avatar) {
  ui.confirmText.textContent = `${avatar.name} will be gone for good${avatar.id === state.activeId ? ", and streams go back to VIDA's default avatar" : ""}.`;
  ui.dialog.returnValue = "";
  ui.dialog.showModal();
  ui.dialog.addEventListener("close", async () => {
    if (ui.dialog.returnValue !== "delete") return;
    await act(() => call("DELETE", `/avatars/${avatar.id}`));
    $("grid-title").focus(); // its card is gone: land on the list it was in
  }, { once: true });
}

function showUploadError(message) {
  ui.uploadError.textContent = message;
  ui.uploadError.hidden = !message;
}

async function submitUpload(event) {
  event.preventDefault();
  const file = ui.file.files[0];
  const plan = account()?.plan;
  if (!file) return showUploadError("Choose a .glb or .vrm file first.");
  if (!/\.(glb|vrm)$/i.test(file.name)) {
    return showUploadError(`${file.name} is not a GLB or VRM file: export the model as .glb or .vrm.`);
  }
  if (plan && file.size > plan.max_upload_mb * 1048576) { // say so before sending it all
    const size = (file.size / 1048576).toFixed(0);
    return showUploadError(`${file.name} is ${size} MB: the ${plan.name} plan takes avatar files up to ${plan.max_upload_mb} MB.`);
  }
  const query = new URLSearchParams({ filename: file.name, name: ui.name.value.trim() });
  state.uploading = { name: file.name, fraction: 0 };
  showUploadError("");
  render();
  try {
    const stored = await upload(`/avatars?${query}`, file, (fraction) => {
      state.uploading.fraction = fraction;
      renderUpload(account()?.plan);
    });
    ui.form.reset();
    state.items.unshift(stored); // shown at once: its progress may be pushed before the list
    catchUp(stored);
    render();
  } catch (error) {
    showUploadError(error.message);
  } finally {
    state.uploading = null;
    await load();
  }
}

// How far along an avatar is: a pushed state older than what the list says is ignored.
const STAGE = { pending: 0, processing: 1, ready: 2, failed: 2 };
const along = (a) => STAGE[a.status] * 1000 + (a.progress ?? 0);

function catchUp(avatar) {
  const pushed = state.pushed.get(avatar.id);
  if (pushed && along(pushed) > along(avatar)) {
    Object.assign(avatar, { status: pushed.status, progress: pushed.progress, error: pushed.error });
  }
}

// Pushed: an upload's processing progress, and the active avatar chosen anywhere.
function followEvents() {
  onEvent("avatar", (event) => {
    state.pushed.set(event.id, event);
    const avatar = state.items.find((a) => a.id === event.id);
    if (!avatar || event.status === "ready") return load(); // new, or its thumbnail is there
    catchUp(avatar);
    render();
  });
  onEvent("active_avatar", ({ avatar_id: id }) => {
    state.activeId = id;
    render();
    load(); // a delete in another tab changes the active one too
  });
}

export function startAvatars() {
  ui.form.addEventListener("submit", submitUpload);
  onShow("avatars", load);
  followEvents();
}
