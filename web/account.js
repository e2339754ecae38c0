// The account page: profile, plan and renewal, minutes this week and per day, add-ons, the
// plans side by side, and API keys.

import { call } from "./api.js";
import { $, dateText, duration, fact, h } from "./dom.js";
import { LIMIT_ROWS, firstPlanWith, plans } from "./plans.js";
import { onShow } from "./router.js";
import { account, refreshAccount } from "./session.js";

const ui = {
  profile: $("profile"), plan: $("plan-body"), usage: $("usage-body"), chart: $("usage-chart"),
  plans: $("plans-table"), keys: $("keys-body"), error: $("account-error"),
  password: null, // the password form, built once with the profile
};

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

async function load() {
  showError("");
  try {
    const me = await refreshAccount();
    if (!me) return;
    const [usage, catalogue, keys] = await Promise.all([
      call("GET", "/me/usage?days=28"),
      plans(),
      me.plan.api_access ? call("GET", "/me/api-keys") : Promise.resolve(null),
    ]);
    renderProfile(me);
    renderPlan(me);
    renderUsage(me, usage);
    renderPlans(me, catalogue);
    renderKeys(me, keys);
  } catch (error) {
    showError(error.message);
  }
}

let newKey = null; // a key just made: shown once, above the refreshed list

function renderProfile(me) {
  ui.profile.replaceChildren(
    fact("E-mail address", me.user.email),
    fact("Role", me.user.role === "admin" ? "Admin" : "Streamer"),
  );
  if (ui.password) return; // built once: what is being typed stays
  const current = h("input", {
    id: "current-password", type: "password", autocomplete: "current-password", required: true,
  });
  const fresh = h("input", {
    id: "new-password", type: "password", autocomplete: "new-password", required: true,
    minlength: 10, "aria-describedby": "new-password-hint",
  });
  const note = h("p", { class: "hint", role: "status" });
  ui.password = h("form", { class: "password-form", onsubmit: (event) => changePassword(event, current, fresh, note) },
    h("h4", {}, "Change password"),
    h("label", { for: "current-password" }, "Current password"), current,
    h("label", { for: "new-password" }, "New password"), fresh,
    h("p", { id: "new-password-hint", class: "hint" }, "At least 10 characters. Your other devices are signed out."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Change password")),
    note);
  ui.profile.after(ui.password);
}

async function changePassword(event, current, fresh, note) {
  event.preventDefault();
  note.textContent = "";
  note.classList.remove("error-text");
  try {
    await call("POST", "/me/password", { current_password: current.value, new_password: fresh.value });
    current.value = fresh.value = "";
    note.textContent = "Password changed. Your other devices were signed out (API keys keep working).";
  } catch (error) {
    note.textContent = error.message; // beside the form, not at the bottom of the page
    note.classList.add("error-text");
  }
}

function renderPlan(me) {
  const sub = me.subscription;
  const lines = [h("p", { class: "plan-name" }, `${me.plan.name} plan`)];
  if (!sub) {
    lines.push(h("p", { class: "hint" }, "Free forever: 15 minutes of streaming a week. Compare the plans below."));
  } else if (sub.auto_renew) {
    lines.push(
      h("p", {}, `Renews on ${dateText(sub.renews_at)}.`),
      h("button", { type: "button", onclick: () => renew(false) }, "Stop renewing"),
    );
  } else {
    lines.push(
      h("p", { class: "warn" }, `Ends on ${dateText(sub.ends_at)}; then the Free plan.`),
      h("button", { type: "button", class: "primary", onclick: () => renew(true) }, "Keep renewing"),
    );
  }
  ui.plan.replaceChildren(...lines);
}

async function renew(on) {
  try {
    await call("PATCH", "/me/subscription", { auto_renew: on });
    await load();
  } catch (error) {
    showError(error.message);
  }
}

function renderUsage(me, usage) {
  const m = me.minutes;
  ui.usage.replaceChildren(h("dl", { class: "facts" },
    fact("Left", duration(m.remaining_s)),
    fact("Used this week", `${duration(m.weekly_used_s)} of ${duration(m.weekly_allowance_s)}`),
    fact("Add-on minutes left", duration(m.addon_left_s)),
    fact("Resets", `${dateText(m.resets_at, true)}`),
  ), addons(usage.addons));
  const most = Math.max(60, ...usage.days.map((d) => d.seconds));
  const total = usage.days.reduce((sum, d) => sum + d.seconds, 0);
  ui.chart.setAttribute("aria-label", `${duration(total)} streamed in the last 28 days`);
  ui.chart.dataset.peak = `busiest day: ${duration(Math.max(...usage.days.map((d) => d.seconds)))}`;
  ui.chart.replaceChildren(...usage.days.map((day) => h("div", {
    class: "bar", style: `--value:${day.seconds / most}`,
    title: `${dateText(day.date)}: ${duration(day.seconds)}`,
  })));
}

function addons(items) {
  if (!items.length) return h("p", { class: "hint" }, "No add-ons.");
  return h("ul", { class: "addons" }, items.map((a) => h("li", {},
    a.kind === "extra_minutes"
      ? `${a.left} of ${a.quantity} extra minutes left`
      : `${a.quantity} extra avatar slot${a.quantity === 1 ? "" : "s"}`,
    ` · until ${dateText(a.expires_at)}`)));
}

function renderPlans(me, list) {
  const head = h("tr", {}, h("th", { scope: "col" }, "Limit"), list.map((p) =>
    h("th", { scope: "col", class: p.id === me.plan.id ? "current" : "" },
      p.name, p.id === me.plan.id ? h("span", { class: "badge ok" }, "Yours") : null)));
  const rows = LIMIT_ROWS.map(([label, show]) => h("tr", {}, h("th", { scope: "row" }, label),
    list.map((p) => h("td", { class: p.id === me.plan.id ? "current" : "" }, show(p)))));
  ui.plans.replaceChildren(h("thead", {}, head), h("tbody", {}, rows));
}

function renderKeys(me, keys) {
  if (!me.plan.api_access) {
    ui.keys.replaceChildren(h("p", { class: "hint" },
      `The ${me.plan.name} plan has no API access: scripts can use the studio's API from ${firstPlanWith((p) => p.api_access)} up.`));
    return;
  }
  const name = h("input", { id: "key-name", type: "text", maxlength: 64, autocomplete: "off", required: true });
  const shown = h("p", { id: "new-key", class: "new-key", role: "status" }, newKey
    ? ["Copy it now, it is shown only once: ", h("code", {}, newKey)]
    : []);
  newKey = null;
  const form = h("form", { class: "inline-form", onsubmit: (event) => makeKey(event, name, shown) },
    h("label", { for: "key-name" }, "Name a new key"), name,
    h("button", { type: "submit", class: "primary" }, "Make key"));
  const list = keys.items.length
    ? h("ul", { class: "keys" }, keys.items.map((k) => h("li", {},
      h("code", {}, k.shown), ` ${k.name} · made ${dateText(k.created_at)} · `,
      k.last_used_at ? `last used ${dateText(k.last_used_at, true)}` : "never used",
      h("button", { type: "button", class: "danger-outline", "aria-label": `Delete key ${k.name}`,
        onclick: () => deleteKey(k) }, "Delete"))))
    : h("p", { class: "hint" }, "No keys yet.");
  ui.keys.replaceChildren(form, shown, list);
}

async function makeKey(event, name, shown) {
  event.preventDefault();
  let made;
  try {
    made = await call("POST", "/me/api-keys", { name: name.value });
  } catch (error) {
    shown.replaceChildren(h("span", { class: "error-text" }, error.message));
    return;
  }
  // Shown once, first (only its first characters are kept), then the list is refreshed.
  newKey = made.key;
  await load();
}

async function deleteKey(key) {
  if (!window.confirm(`Delete the key "${key.name}"? Scripts using it stop working at once.`)) {
    return;
  }
  try {
    await call("DELETE", `/me/api-keys/${key.id}`);
    await load();
  } catch (error) {
    showError(error.message);
  }
}

export function startAccountPage() {
  onShow("account", load);
}
