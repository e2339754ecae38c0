// The page's side of the WebRTC session: camera and mic up, output preview down.

import { call } from "./api.js";

const GATHER_TIMEOUT_MS = 5000;

// Camera and microphone; camera alone when there is no microphone (the stream then carries
// silence). Resolution and rate are hints: every browser falls back to what the camera has.
export async function openCamera(config) {
  const video = {
    width: { ideal: config.width },
    height: { ideal: config.height },
    frameRate: { ideal: config.fps },
  };
  try {
    return await navigator.mediaDevices.getUserMedia({
      video,
      audio: { echoCancellation: true, noiseSuppression: true },
    });
  } catch (error) {
    if (error.name !== "NotFoundError" && error.name !== "OverconstrainedError") throw error;
    return navigator.mediaDevices.getUserMedia({ video });
  }
}

export function stopTracks(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

// aiortc has no trickle ICE: the offer goes out with every candidate already in it.
function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_TIMEOUT_MS); // send what we have rather than hang
  });
}

export async function connect(stream, config, onPreview) {
  const pc = new RTCPeerConnection({ iceServers: config.ice_servers.map((urls) => ({ urls })) });
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  pc.addEventListener("track", (event) => {
    if (event.track.kind === "video") onPreview(new MediaStream([event.track]));
  });
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    const answer = await call("POST", "/sessions", {
      sdp: pc.localDescription.sdp,
      type: pc.localDescription.type,
      resolution: config.resolution ?? null,
    });
    await pc.setRemoteDescription({ sdp: answer.sdp, type: answer.type });
    return { pc, sessionId: answer.session_id };
  } catch (error) {
    pc.close();
    throw error;
  }
}

const CONNECT_TIMEOUT_MS = 15000;

// Resolves once media can flow; rejects with advice when the connection does not come up.
// (connectionState where the browser has it, else iceConnectionState.)
export function waitConnected(pc) {
  const state = () => pc.connectionState ?? pc.iceConnectionState;
  const up = () => ["connected", "completed"].includes(state());
  if (up()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const fail = () => reject(new Error(
      "The video connection to the studio could not be made. On another network the studio " +
      "needs a STUN/TURN server (VIDA_ICE_SERVERS), and UDP must pass the firewalls.",
    ));
    const timer = setTimeout(fail, CONNECT_TIMEOUT_MS);
    const check = () => {
      if (up()) { clearTimeout(timer); resolve(); }
      else if (state() === "failed") { clearTimeout(timer); fail(); }
    };
    pc.addEventListener("connectionstatechange", check);
    pc.addEventListener("iceconnectionstatechange", check);
  });
}

export async function previewFramesDecoded(pc) {
  let frames = 0;
  (await pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") frames += report.framesDecoded ?? 0;
  });
  return frames;
}
