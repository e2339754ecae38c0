// The studio page: connect the camera, go live, show what goes out and how it is doing.

import { call, closeSession } from "./api.js";
import { $, h } from "./dom.js";
import {
  account, onAccount, onBeforeSignOut, onEvent, refreshAccount, setAccount,
} from "./session.js";
import {
  chosenDestinations, chosenResolution, setConnected, showSaved, startStudioControls,
} from "./studio-controls.js";
import { connect, openCamera, previewFramesDecoded, stopTracks, waitConnected } from "./webrtc.js";

const STATS_EVERY_MS = 1000;
const SERVER_GONE_AFTER = 3; // failed stats polls in a row before the page gives up

const ui = {
  status: $("status"), camera: $("camera"), preview: $("preview"), connect: $("connect"),
  form: $("destination"), rtmpFields: $("rtmp-fields"), serverUrl: $("server-url"),
  streamKey: $("stream-key"), goLive: $("go-live"), stop: $("stop"), error: $("error"),
  badge: $("live-badge"), stats: $("stats"), warnings: $("warnings"), target: $("target"),
  showTracking: $("show-tracking"), calibrate: $("calibrate"), trackingNote: $("tracking-note"),
  previewCaption: $("preview-caption"), stopCamera: $("stop-camera"),
};
const state = {
  pc: null, sessionId: null, stream: null, live: false, busy: false, timer: null,
  target: null, failedPolls: 0, calibrating: false,
  focusNext: null, // where focus goes once the page has changed (a pressed button went away)
  planAsked: null, // the plan a stats reply reported, once the account was asked again
  trackingOff: false, // the server tracks nothing for this session
  toggling: false, // a Show tracking change is on its way: the server's answer is stale
  changes: 0, // Go live, Stop, Show tracking presses: a stats reply asked for before is stale
};

const recording = () => ui.form.kind.value === "record";

function setStatus(text) { ui.status.textContent = text; }

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function showTarget(text) {
  ui.target.textContent = text;
  ui.target.hidden = !text;
}

function render() {
  const connected = Boolean(state.sessionId);
  const signedIn = Boolean(account());
  ui.connect.disabled = state.busy || connected || !signedIn;
  ui.connect.textContent = connected ? "Camera connected" : "Start camera";
  const noMinutes = signedIn && account().minutes.remaining_s <= 0;
  ui.goLive.disabled = state.busy || !connected || state.live || noMinutes;
  ui.goLive.textContent = recording() ? "Start recording" : "Go live";
  ui.stop.disabled = state.busy || !state.live;
  ui.badge.hidden = !state.live;
  ui.badge.textContent = recording() ? "REC" : "LIVE";
  document.body.classList.toggle("is-live", state.live);
  for (const hint of document.querySelectorAll("[data-when-off]")) hint.hidden = connected;
  for (const input of ui.form.querySelectorAll("input, select")) input.disabled = state.live || state.busy;
  ui.rtmpFields.hidden = ui.form.kind.value !== "rtmp";
  showSaved(ui.form.kind.value === "saved");
  setConnected(connected);
  ui.showTracking.disabled = !connected || state.trackingOff || state.toggling;
  ui.previewCaption.textContent = ui.showTracking.checked && connected
    ? "Tracking view — only you see this; the stream is unchanged"
    : "Output preview — what goes out";
  ui.calibrate.disabled = !connected || state.trackingOff || state.calibrating;
  ui.stopCamera.hidden = !connected;
  ui.stopCamera.disabled = state.busy || state.live;
  if (state.focusNext && !state.focusNext.disabled) {
    state.focusNext.focus();
    state.focusNext = null;
  }
}

function showWarnings(texts) {
  ui.warnings.replaceChildren(
    ...texts.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
  );
}

function setStat(name, text) {
  const cell = document.querySelector(`[data-stat="${name}"]`);
  if (cell) cell.textContent = text;
}

function clearStats() {
  for (const cell of document.querySelectorAll("[data-stat]")) cell.textContent = "–";
  ui.warnings.replaceChildren();
  showTrackingNote("");
}

function showTrackingNote(text, bad = false) {
  ui.trackingNote.textContent = text;
  ui.trackingNote.hidden = !text;
  ui.trackingNote.classList.toggle("bad", bad);
}

const PART_NAMES = { face: "face", body: "body", left_hand: "left hand", right_hand: "right hand" };

function showTrackingStats(t) {
  if (state.trackingOff !== !t) {
    state.trackingOff = !t;
    showTrackingNote(t ? "" : "Tracking is off in this studio (VIDA_TRACKING_FEATURES).");
    render();
  }
  if (!t) {
    setStat("tracking_fps", "off");
    return;
  }
  if (!state.toggling) ui.showTracking.checked = t.shown; // another tab or the API may change it
  const ms = (stage) => (t.stages_ms[stage] ? `${Math.round(t.stages_ms[stage].p50)}` : "–");
  setStat("tracking_fps", `${t.fps} fps`);
  setStat("tracking_found", t.found.map((part) => PART_NAMES[part] ?? part).join(", ") || "nothing");
  setStat("tracking_stages", `${ms("face")} / ${ms("body")} / ${ms("hands")} ms`);
  setStat("tracking_calibrated", t.calibrated ? "yes" : "not yet");
}

// Minutes left while live, to the second: a streamer watches it count down.
function countdown(seconds) {
  const hours = Math.floor(seconds / 3600);
  const clock = `${Math.floor((seconds % 3600) / 60)} min ${seconds % 60} s`;
  return hours ? `${hours} h ${clock}` : clock;
}

function showStats(s) {
  const live = (text) => (s.live ? text : "–");
  setStat("input_fps", `${s.input_fps} fps`);
  setStat("output_fps", live(`${s.output_fps} fps`));
  setStat("bitrate_kbps", live(`${s.bitrate_kbps} kb/s`));
  setStat("frames_dropped", live(String(s.frames_dropped)));
  setStat("latency", live(`${Math.round(s.latency_ms?.p50)} / ${Math.round(s.latency_ms?.p95)} ms`));
  setStat("live_seconds", live(`${Math.floor(s.live_seconds)} s`));
  setStat("minutes_left", live(countdown(s.minutes_left_s)));
  const current = account();
  if (s.live && s.minutes_left_s !== undefined && current) {
    // The top bar counts down too, at the minute (an account update only then).
    const shown = current.minutes.remaining_s;
    if (Math.floor(shown / 60) !== Math.floor(s.minutes_left_s / 60) || s.minutes_left_s <= 0) {
      setAccount({ ...current, minutes: { ...current.minutes, remaining_s: s.minutes_left_s } });
    }
  }
  showTrackingStats(s.tracking);
  showWarnings(s.warnings);
  if (s.plan && current && s.plan !== current.plan.id && s.plan !== state.planAsked) {
    state.planAsked = s.plan; // the plan changed: ask once, not at every poll
    refreshAccount();
  }
}

// The stream ended without Stop: the server is the truth (every destination failed, or a
// Go live whose answer was lost did start).
function followServer(s) {
  if (state.live === s.live || state.busy) return;
  state.live = s.live;
  if (s.live) {
    setStatus(recording() ? "Recording" : "Live");
  } else {
    setStatus("Stream ended");
    endedTarget();
    if (s.error) showError(`The stream stopped: ${s.error}`);
    refreshAccount(); // minutes left changed
  }
  render();
}

function endedTarget() {
  const file = state.target?.startsWith("file ") ? state.target.slice(5) : null;
  showTarget(file ? `Saved to ${file}` : "");
  state.target = null;
  if (file && state.sessionId) offerDownloads(state.sessionId);
}

// A recording lies on the studio's machine: offer it to the browser, which may be elsewhere.
async function offerDownloads(sessionId) {
  const stats = await call("GET", `/sessions/${sessionId}/stats`).catch(() => null);
  if (!stats?.recordings?.length || sessionId !== state.sessionId) return;
  ui.target.append(" ", ...stats.recordings.map((name, index) => h("a", {
    href: `/api/v1/sessions/${sessionId}/recordings/${index}`, download: name,
  }, `Download ${name}`)));
}

async function refreshStats() {
  const { sessionId, changes } = state;
  if (!sessionId) return;
  try {
    const s = await call("GET", `/sessions/${sessionId}/stats`);
    if (sessionId !== state.sessionId || changes !== state.changes) return;
    state.failedPolls = 0;
    showStats(s);
    followServer(s);
  } catch (error) {
    if (error.code === "unknown_session") {
      disconnected("The studio ended this session.");
      return refreshAccount(); // signed out in another tab, maybe: then the sign-in form shows
    }
    if (error.code === "not_signed_in") {
      disconnected("You were signed out: sign in again to go on.");
      return refreshAccount();
    }
    if (++state.failedPolls >= SERVER_GONE_AFTER) return disconnected(error.message);
    return;
  }
  if (state.pc) setStat("frames_decoded", String(await previewFramesDecoded(state.pc)));
}

function disconnected(message) {
  clearInterval(state.timer);
  if (state.sessionId) closeSession(state.sessionId); // the server may not have noticed yet
  state.pc?.close();
  stopTracks(state.stream);
  ui.camera.srcObject = null;
  ui.preview.srcObject = null;
  Object.assign(state, {
    pc: null, sessionId: null, stream: null, live: false, failedPolls: 0, trackingOff: false,
  });
  ui.showTracking.checked = false;
  endedTarget();
  clearStats();
  setStatus("Disconnected");
  showError(message);
  render();
}

async function startCamera() {
  state.busy = true;
  showError("");
  render();
  try {
    setStatus("Asking for camera and microphone…");
    const resolution = chosenResolution();
    const config = { ...(await call("GET", "/config")), resolution };
    if (resolution) { // ask the camera for what goes out: no scaling up later
      config.height = Number.parseInt(resolution, 10);
      config.width = Math.round((config.height * 16) / 9);
    }
    state.stream = await openCamera(config);
    ui.camera.srcObject = state.stream;
    setStatus("Connecting to the studio…");
    const { pc, sessionId } = await connect(state.stream, config, (stream) => {
      ui.preview.srcObject = stream;
      ui.preview.play().catch(() => {}); // some browsers leave a returned track paused
    });
    Object.assign(state, { pc, sessionId });
    await waitConnected(pc);
    const lost = () => {
      if ((pc.connectionState ?? pc.iceConnectionState) === "failed") {
        disconnected("The connection to the studio was lost.");
      }
    };
    pc.addEventListener("connectionstatechange", lost);
    pc.addEventListener("iceconnectionstatechange", lost);
    state.timer = setInterval(refreshStats, STATS_EVERY_MS);
    setStatus("Connected: ready to go live");
    state.focusNext = ui.goLive; // the button pressed is disabled now: focus goes on
  } catch (error) {
    if (state.sessionId) closeSession(state.sessionId);
    state.pc?.close();
    stopTracks(state.stream);
    Object.assign(state, { pc: null, sessionId: null, stream: null });
    ui.camera.srcObject = null;
    const denied = error.name === "NotAllowedError";
    showError(denied ? "Camera or microphone access was refused. Allow it in the browser and try again." : error.message);
    setStatus("Camera off");
  } finally {
    state.busy = false;
    render();
  }
}

async function goLive(event) {
  event.preventDefault();
  const record = recording();
  const { sessionId } = state;
  state.changes += 1;
  state.busy = true;
  showError("");
  showTarget("");
  setStatus(record ? "Starting the recording…" : "Connecting to the RTMP server…");
  render();
  try {
    const kind = ui.form.kind.value;
    const body = {
      record: { kind },
      saved: { kind, destination_ids: chosenDestinations() },
      rtmp: { kind, server_url: ui.serverUrl.value, stream_key: ui.streamKey.value },
    }[kind];
    const live = await call("POST", `/sessions/${sessionId}/live`, body);
    if (sessionId !== state.sessionId) return; // the session ended while connecting
    state.live = true;
    state.target = live.destinations.map((d) => d.name).join(", ");
    setStatus(record ? "Recording" : "Live");
    state.focusNext = ui.stop;
    showTarget(record ? `Recording to ${state.target.slice(5)}` : `Streaming to ${state.target}`);
    if (live.notice) showWarnings([live.notice]);
  } catch (error) {
    showError(error.message);
    setStatus("Not live");
  } finally {
    state.busy = false;
    render();
  }
}

async function stop() {
  const { sessionId } = state;
  state.changes += 1;
  state.busy = true;
  render();
  try {
    const result = await call("POST", `/sessions/${sessionId}/stop`);
    if (sessionId !== state.sessionId) return;
    state.live = false;
    setStatus(`Stopped after ${Math.round(result.streamed_seconds)} s`);
    state.focusNext = ui.goLive;
    endedTarget();
    refreshAccount(); // minutes left changed
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
    render();
  }
}

async function toggleTracking() {
  const wanted = ui.showTracking.checked;
  state.toggling = true;
  state.changes += 1; // a stats reply asked for before this holds the old value
  render();
  try {
    await call("PATCH", `/sessions/${state.sessionId}`, { show_tracking: wanted });
  } catch (error) {
    ui.showTracking.checked = !wanted;
    showTrackingNote(error.message, true);
  } finally {
    state.toggling = false;
    render();
  }
}

async function calibrate() {
  state.calibrating = true;
  render();
  try {
    await call("POST", `/sessions/${state.sessionId}/calibrate`);
    showTrackingNote("Calibrated: this is now your neutral face.");
  } catch (error) {
    showTrackingNote(error.message, true);
  } finally {
    state.calibrating = false;
    render();
  }
}

// What must be seen at once arrives pushed, not at the next stats poll: the 5- and 1-minute
// warnings, the end of a stream the studio stopped, an output a smaller plan restarted.
function followEvents() {
  const mine = (handle) => (data) => { if (data.session_id === state.sessionId) handle(data); };
  onEvent("minutes_warning", mine(({ message }) => showWarnings([message])));
  onEvent("stream_ended", mine(({ message }) => followServer({ live: false, error: message })));
  onEvent("output_resized", mine(({ message }) => showWarnings([message])));
}

export function startStudio() {
  ui.connect.addEventListener("click", startCamera);
  ui.stopCamera.addEventListener("click", () => {
    disconnected("");
    setStatus("Camera off");
    state.focusNext = ui.connect;
    render();
  });
  ui.showTracking.addEventListener("change", toggleTracking);
  ui.calibrate.addEventListener("click", calibrate);
  ui.form.addEventListener("submit", goLive);
  ui.form.addEventListener("change", render);
  ui.stop.addEventListener("click", stop);
  window.addEventListener("pagehide", () => { if (state.sessionId) closeSession(state.sessionId); });
  onBeforeSignOut(() => { if (state.sessionId) disconnected(""); }); // while it still may
  onAccount((current) => {
    if (!current && state.sessionId) disconnected("");
    render();
  });
  followEvents();
  startStudioControls();
  render();
}
