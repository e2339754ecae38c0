// Signing in and out, and the account line in the top bar: who, which plan, minutes left,
// and a suspension or warning in force.

import { call } from "./api.js";
import { $, dateText, duration } from "./dom.js";
import { account, onAccount, refreshAccount, signOut } from "./session.js";

const ui = {
  form: $("sign-in"), error: $("sign-in-error"), signedIn: $("signed-in"), who: $("who"),
  planName: $("plan-name"), minutesLeft: $("minutes-left"), signOut: $("sign-out"),
  standing: $("standing"), status: $("status"),
};

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function render(current) {
  ui.signedIn.hidden = ui.signOut.hidden = ui.status.hidden = !current;
  ui.standing.hidden = true;
  if (!current) return;
  ui.who.textContent = current.user.email;
  ui.planName.textContent = `${current.plan.name} plan`;
  ui.minutesLeft.textContent = minutesText(current.minutes);
  ui.minutesLeft.classList.toggle("low", current.minutes.remaining_s <= 300);
  ui.standing.textContent = standingText(current.standing);
  ui.standing.hidden = !ui.standing.textContent;
}

function minutesText(minutes) {
  const resets = new Date(minutes.resets_at).toLocaleDateString("en-GB", {
    weekday: "long", day: "numeric", month: "long", timeZone: "UTC",
  });
  const reset = `resets on ${resets} at 00:00 UTC`;
  if (minutes.remaining_s <= 0) return `No streaming minutes left this week · ${reset}`;
  return `${duration(minutes.remaining_s)} of streaming left · ${reset}`;
}

// A suspension in force, and the newest admin warning, in the streamer's words.
function standingText(standing) {
  const lines = [];
  const suspension = standing?.suspension;
  if (suspension) {
    const until = suspension.permanent
      ? "for good"
      : `until ${dateText(suspension.until, true)}`;
    lines.push(`Streaming is suspended ${until}${suspension.reason ? `: ${suspension.reason}` : ""}.`);
  }
  const warning = standing?.warnings?.[0];
  if (warning) lines.push(`Warning from the studio: ${warning.message}`);
  return lines.join(" ");
}

async function submit(event) {
  event.preventDefault();
  const action = event.submitter?.value === "signup" ? "signup" : "login";
  const body = { email: ui.form.email.value, password: ui.form.password.value };
  const buttons = ui.form.querySelectorAll("button");
  for (const button of buttons) button.disabled = true;
  showError("");
  try {
    await call("POST", `/auth/${action}`, body);
    ui.form.password.value = "";
    await refreshAccount();
    ui.status.textContent = "Signed in: start the camera";
  } catch (error) {
    showError(error.message);
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

export function startTopbar() {
  ui.form.addEventListener("submit", submit);
  ui.signOut.addEventListener("click", async () => {
    const live = document.body.classList.contains("is-live");
    if (live && !window.confirm("You are live: signing out ends the stream. Sign out?")) return;
    await signOut();
    ui.status.textContent = "Signed out";
  });
  onAccount(render);
  render(account());
}
