// Who is signed in, and what the studio pushes to them. Every view subscribes here, so one
// sign-in, one /me and one event stream serve the whole page.

import { call, openEvents } from "./api.js";

let current; // undefined: not asked yet; null: signed out; else the answer of /me
let source = null; // the pushed events (EventSource) while signed in
const accountListeners = new Set();
const eventListeners = new Map(); // event type → Set of functions

export function account() {
  return current;
}

// Ask the server again (after sign-in, a stream's end, a plan change…). Only the server's
// "nobody is signed in" signs the page out: a failed request (a network blip, a busy server)
// keeps what the page knows, so a live stream is not ended by it.
export async function refreshAccount() {
  let answer;
  try {
    answer = await call("GET", "/auth/session");
  } catch (error) {
    if (error.code !== "not_signed_in") return current;
    answer = { user: null };
  }
  setAccount(answer.user ? answer : null);
  return current;
}

export function setAccount(value) {
  current = value;
  follow();
  for (const listener of accountListeners) listener(current);
}

export function onAccount(listener) {
  accountListeners.add(listener);
}

// ``listener(data)`` for every pushed event of ``type`` (while signed in).
export function onEvent(type, listener) {
  if (!eventListeners.has(type)) eventListeners.set(type, new Set());
  eventListeners.get(type).add(listener);
  if (source) attach(type);
}

// Run before signing out, while the session still counts (the studio ends its stream).
const beforeSignOut = new Set();
export function onBeforeSignOut(listener) {
  beforeSignOut.add(listener);
}

export async function signOut() {
  for (const listener of beforeSignOut) listener();
  await call("POST", "/auth/logout").catch(() => {});
  setAccount(null);
}

function follow() {
  if (!current) {
    source?.close();
    source = null;
    return;
  }
  if (source) return;
  source = openEvents();
  attached = new Set();
  for (const type of eventListeners.keys()) attach(type);
}

let attached = new Set(); // the event types the current source delivers
function attach(type) {
  if (attached.has(type)) return;
  attached.add(type);
  source.addEventListener(type, (event) => {
    const data = JSON.parse(event.data);
    for (const listener of eventListeners.get(type)) listener(data);
  });
}
