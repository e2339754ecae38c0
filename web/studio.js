// The studio page: connect the camera, go live, show what goes out and how it is doing.

import { call, closeSession } from "./api.js";
import { connect, openCamera, previewFramesDecoded, stopTracks } from "./webrtc.js";

const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"), camera: $("camera"), preview: $("preview"), connect: $("connect"),
  form: $("destination"), rtmpFields: $("rtmp-fields"), serverUrl: $("server-url"),
  streamKey: $("stream-key"), goLive: $("go-live"), stop: $("stop"), error: $("error"),
  badge: $("live-badge"), stats: $("stats"), warnings: $("warnings"), target: $("target"),
};
const state = {
  pc: null, sessionId: null, stream: null, live: false, busy: false, timer: null, target: null,
};

function setStatus(text) { ui.status.textContent = text; }

function showTarget(text) {
  ui.target.textContent = text;
  ui.target.hidden = !text;
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function render() {
  const connected = Boolean(state.sessionId);
  ui.connect.disabled = state.busy || connected;
  ui.connect.textContent = connected ? "Camera connected" : "Start camera";
  ui.goLive.disabled = state.busy || !connected || state.live;
  ui.stop.disabled = state.busy || !state.live;
  ui.badge.hidden = !state.live;
  document.body.classList.toggle("is-live", state.live);
  for (const hint of document.querySelectorAll("[data-when-off]")) hint.hidden = connected;
  for (const input of ui.form.querySelectorAll("input")) input.disabled = state.live || state.busy;
  ui.rtmpFields.hidden = ui.form.kind.value !== "rtmp";
}

function setStat(name, text) {
  const cell = ui.stats.querySelector(`[data-stat="${name}"]`);
  if (cell) cell.textContent = text;
}

async function refreshStats() {
  if (!state.sessionId) return;
  try {
    const s = await call("GET", `/sessions/${state.sessionId}/stats`);
    setStat("input_fps", `${s.input_fps} fps`);
    setStat("output_fps", s.live ? `${s.output_fps} fps` : "–");
    setStat("bitrate_kbps", s.live ? `${s.bitrate_kbps} kb/s` : "–");
    setStat("frames_dropped", s.live ? String(s.frames_dropped) : "–");
    setStat("latency", s.live ? `${Math.round(s.latency_ms.p50)} / ${Math.round(s.latency_ms.p95)} ms` : "–");
    setStat("live_seconds", s.live ? `${Math.floor(s.live_seconds)} s` : "–");
    ui.warnings.replaceChildren(...s.warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w })));
    if (state.live !== s.live && !state.busy) {
      // The server is the truth: a stream can end there (all destinations failed), and a
      // Go live whose answer was lost may still have started.
      state.live = s.live;
      setStatus(s.live ? "Live" : "Stream ended");
      if (!s.live && s.error) showError(`The stream stopped: ${s.error}`);
      render();
    }
  } catch (error) {
    if (error.code === "unknown_session") return disconnected("The studio ended this session.");
    showError(error.message);
  }
  if (state.pc) setStat("frames_decoded", String(await previewFramesDecoded(state.pc)));
}

function disconnected(message) {
  clearInterval(state.timer);
  state.pc?.close();
  stopTracks(state.stream);
  ui.camera.srcObject = null;
  Object.assign(state, { pc: null, sessionId: null, stream: null, live: false });
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
    const config = await call("GET", "/config");
    state.stream = await openCamera(config);
    ui.camera.srcObject = state.stream;
    setStatus("Connecting to the studio…");
    const { pc, sessionId } = await connect(state.stream, config, (stream) => {
      ui.preview.srcObject = stream;
      ui.preview.play().catch(() => {}); // some browsers leave a returned track paused
    });
    Object.assign(state, { pc, sessionId });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed") disconnected("The connection to the studio was lost.");
    });
    state.timer = setInterval(refreshStats, 1000);
    setStatus("Connected: ready to go live");
  } catch (error) {
    state.pc?.close();
    stopTracks(state.stream);
    Object.assign(state, { pc: null, stream: null });
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
  const kind = ui.form.kind.value;
  state.busy = true;
  showError("");
  setStatus(kind === "record" ? "Starting the recording…" : "Connecting to the RTMP server…");
  render();
  try {
    const body = kind === "record"
      ? { kind }
      : { kind, server_url: ui.serverUrl.value, stream_key: ui.streamKey.value };
    const live = await call("POST", `/sessions/${state.sessionId}/live`, body);
    state.live = true;
    state.target = live.destinations[0].name;
    setStatus(kind === "record" ? "Recording" : "Live");
    showTarget(kind === "record" ? `Recording to ${state.target.replace(/^file /, "")}` : `Streaming to ${state.target}`);
  } catch (error) {
    showError(error.message);
    setStatus("Not live");
  } finally {
    state.busy = false;
    render();
  }
}

async function stop() {
  state.busy = true;
  render();
  try {
    const result = await call("POST", `/sessions/${state.sessionId}/stop`);
    state.live = false;
    setStatus(`Stopped after ${Math.round(result.streamed_seconds)} s`);
    if (state.target?.startsWith("file ")) showTarget(`Saved to ${state.target.slice(5)}`);
    else showTarget("");
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
    render();
  }
}

ui.connect.addEventListener("click", startCamera);
ui.form.addEventListener("submit", goLive);
ui.form.addEventListener("change", render);
ui.stop.addEventListener("click", stop);
window.addEventListener("pagehide", () => { if (state.sessionId) closeSession(state.sessionId); });
render();
