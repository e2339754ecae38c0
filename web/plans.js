// The plan catalogue as the pages show it: names, and every limit side by side. Asked of the
// server once (config/plans.toml is the one source), then kept.

import { call } from "./api.js";
import { duration } from "./dom.js";

let catalogue = null; // the answer's plans, free to goat, once asked

export async function plans() {
  catalogue ??= (await call("GET", "/plans")).plans;
  return catalogue;
}

// The catalogue if it has arrived (for code that cannot wait), else nothing.
export function knownPlans() {
  return catalogue ?? [];
}

// "Reply Guy" for "reply_guy" (the id itself until the catalogue has arrived).
export function planName(id) {
  return catalogue?.find((plan) => plan.id === id)?.name ?? id;
}

// The name of the smallest plan for which ``test(plan)`` holds.
export function firstPlanWith(test) {
  return catalogue?.find(test)?.name ?? "a bigger plan";
}

const yes = (value) => (value ? "Yes" : "—");
const percent = (fraction) => `${Math.round(fraction * 100)}%`;

// [label, how a plan's value reads] for every limit; a streamer's and an admin's table both.
export const LIMIT_ROWS = [
  ["Price a month", (p) => (p.price_usd ? `$${p.price_usd}` : "Free")],
  ["Streaming a week", (p) => duration(p.weekly_stream_minutes * 60)],
  ["Avatars", (p) => String(p.max_avatars)],
  ["Streams at once", (p) => String(p.max_concurrent_streams)],
  ["Resolution", (p) => p.max_resolution],
  ["Face and eyes", (p) => yes(p.face_tracking && p.eye_tracking)],
  ["Expressions", (p) => yes(p.expression_tracking)],
  ["Body", (p) => yes(p.body_tracking)],
  ["Hands", (p) => yes(p.hand_tracking)],
  ["Fingers", (p) => yes(p.finger_tracking)],
  ["Tracking precision", (p) => percent(p.tracking_precision)],
  ["Smoothness / responsiveness", (p) =>
    `${percent(p.animation_smoothness)} / ${percent(p.animation_responsiveness)}`],
  ["Your own avatars", (p) => yes(p.custom_avatars)],
  ["Upload size", (p) => (p.custom_avatars ? `${p.max_upload_mb} MB` : "—")],
  ["Bones / face shapes", (p) => `${p.max_bones} / ${p.max_morph_targets}`],
  ["Marketplace", (p) => yes(p.marketplace)],
  ["API keys", (p) => yes(p.api_access)],
  ["X Spaces hosting", (p) => yes(p.x_spaces_hosting)],
  ["Priority support", (p) => yes(p.priority_support)],
  ["No watermark", (p) => yes(p.white_label)],
];
