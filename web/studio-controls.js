// The studio's choices around the stream: output size (within the plan), saved destinations,
// the look (background, framing, mirror; kept per user, so running streams change too),
// which avatar goes live, and what the plan tracks.

import { call } from "./api.js";
import { $, h } from "./dom.js";
import { firstPlanWith, plans } from "./plans.js";
import { onShow } from "./router.js";
import { account, onAccount, onEvent } from "./session.js";

const FEATURES = [
  ["face_tracking", "Face"], ["eye_tracking", "Eyes"], ["expression_tracking", "Expressions"],
  ["body_tracking", "Body"], ["hand_tracking", "Hands"], ["finger_tracking", "Fingers"],
];
const HEIGHTS = { "360p": 360, "480p": 480, "720p": 720, "1080p": 1080 };

const ui = {
  resolution: $("resolution"), resolutionNote: $("resolution-note"), savedChoice: $("saved-choice"),
  savedFields: $("saved-fields"), saved: $("saved-destinations"), savedLimit: $("saved-limit"),
  noSaved: $("no-saved"),
  look: $("look"), avatar: $("look-avatar"), background: $("look-background"),
  avatarOnly: $("look-avatar-only"), framing: $("look-framing"), mirror: $("look-mirror"),
  note: $("look-note"), features: $("plan-features"),
};
const state = { config: null, picked: null, connected: false };

// The most a plan streams, as a height: "720p" → 720.
const planHeight = (plan) => HEIGHTS[plan.max_resolution] ?? 720;

function renderResolutions() {
  const plan = account()?.plan;
  if (!state.config || !plan) return;
  const allowed = (name) => HEIGHTS[name] <= planHeight(plan);
  const options = state.config.resolutions.map((name) => h("option", {
    value: name, disabled: !allowed(name),
  }, allowed(name) ? name : `${name} — ${firstPlanWith((p) => planHeight(p) >= HEIGHTS[name])} and above`));
  ui.resolution.replaceChildren(...options);
  const best = state.config.resolutions.filter(allowed).at(-1);
  ui.resolution.value = state.picked && allowed(state.picked) ? state.picked : best;
  ui.resolution.disabled = state.connected;
  ui.resolutionNote.hidden = !state.connected;
  ui.resolutionNote.textContent = "The size is set when the camera starts.";
}

function renderFeatures() {
  const plan = account()?.plan;
  if (!plan) return;
  ui.features.replaceChildren(...FEATURES.map(([key, label]) => h("li", {
    class: plan[key] ? "on" : "off",
  }, plan[key]
    ? `${label}: in your plan`
    : `${label}: off — from ${firstPlanWith((p) => p[key])}`)));
}

async function loadChoices() {
  try {
    const [backgrounds, look, destinations, avatars] = await Promise.all([
      call("GET", "/backgrounds"), call("GET", "/me/look"),
      call("GET", "/destinations?per_page=100"), call("GET", "/avatars?per_page=100"),
    ]);
    renderBackgrounds(backgrounds.items);
    renderLook(look);
    renderDestinations(destinations.items);
    const active = avatars.items.find((a) => a.id === avatars.active_avatar_id);
    ui.avatar.textContent = active ? active.name : "VIDA's default";
  } catch (error) {
    ui.note.textContent = error.message;
  }
}

function renderBackgrounds(items) {
  const usable = items.filter((b) => !b.locked);
  ui.background.replaceChildren(
    h("option", { value: "" }, "The studio's default"),
    ...usable.map((b) => h("option", { value: b.id }, b.own ? `${b.name} (yours)` : b.name)),
  );
}

function renderLook(look) {
  ui.background.value = look.background_id ?? "";
  ui.framing.value = look.framing ?? "";
  ui.mirror.checked = look.mirror;
}

function renderDestinations(items) {
  const any = items.length > 0;
  ui.savedChoice.hidden = !any;
  ui.noSaved.hidden = any;
  const checked = new Set(chosenDestinations());
  const first = checked.size === 0; // nothing picked yet: the default is
  ui.saved.replaceChildren(...items.map((d) => h("label", { class: "check" },
    h("input", {
      type: "checkbox", name: "destination", value: d.id,
      checked: first ? d.is_default : checked.has(d.id),
    }),
    ` ${d.name}${d.is_default ? " (default)" : ""}`)));
  const limit = account()?.plan.max_concurrent_streams ?? 1;
  ui.savedLimit.textContent = `The ${account()?.plan.name ?? ""} plan streams to ${limit} destination${limit === 1 ? "" : "s"} at a time; the picture is encoded once for all.`;
  const form = $("destination");
  if (any && form.kind.value === "rtmp" && !$("server-url").value) {
    form.kind.value = "saved"; // one click to go live where they usually do
  }
  if (!any && form.kind.value === "saved") form.kind.value = "rtmp";
  form.dispatchEvent(new Event("change"));
}

async function changeLook(changes) {
  ui.note.textContent = "";
  try {
    renderLook(await call("PATCH", "/me/look", changes));
    ui.note.textContent = "Saved: running streams show it from the next frame.";
  } catch (error) {
    ui.note.textContent = error.message;
  }
}

// For studio.js: what the streamer chose.
export function chosenResolution() {
  return ui.resolution.value || null;
}

export function chosenDestinations() {
  return [...ui.saved.querySelectorAll("input:checked")].map((box) => Number(box.value));
}

export function showSaved(visible) {
  ui.savedFields.hidden = !visible;
}

export function setConnected(connected) {
  state.connected = connected;
  renderResolutions();
}

export async function startStudioControls() {
  ui.resolution.addEventListener("change", () => { state.picked = ui.resolution.value; });
  ui.background.addEventListener("change", () => {
    changeLook({ background_id: Number(ui.background.value) || null });
  });
  ui.framing.addEventListener("change", () => changeLook({ framing: ui.framing.value || null }));
  ui.mirror.addEventListener("change", () => changeLook({ mirror: ui.mirror.checked }));
  onShow("studio", loadChoices);
  onAccount(() => { renderResolutions(); renderFeatures(); });
  onEvent("look", renderLook);
  onEvent("active_avatar", loadChoices);
  [state.config] = await Promise.all([call("GET", "/config"), plans()]);
  ui.look.hidden = state.config.scene === "camera";
  ui.avatarOnly.hidden = state.config.scene !== "avatar";
  renderResolutions();
  renderFeatures();
}
