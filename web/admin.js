// The Admin view (role admin): users and their standing, live streams, the plan catalogue,
// usage per user, the system log and the audit log, on tabs of one view. Actions that stop
// someone streaming are confirmed first; every answer is said in words, and whatever an
// action changed is asked for again, so the tables show what the server holds.

import { call } from "./api.js";
import { $, dateText, duration, fact, h } from "./dom.js";
import { LIMIT_ROWS, knownPlans, planName, plans as planCatalogue } from "./plans.js";
import { onShow } from "./router.js";
import { account, onAccount } from "./session.js";

const PER_PAGE = 20;
// control/moderation.py SUSPENSION_DAYS: level → how long a suspension lasts.
const SUSPENSIONS = [
  [1, "1 day"], [2, "3 days"], [3, "7 days"], [4, "14 days"], [5, "30 days"],
  [6, "180 days"], [7, "Permanent (until lifted)"],
];
const SUSPENSION_TEXT = new Map(SUSPENSIONS);
const LOG_LEVELS = [["", "All levels"], ["warning", "Warnings"], ["error", "Errors"],
  ["critical", "Critical"]];
const ACTIONS = {
  suspend: "Suspended", lift_suspensions: "Lifted suspension", warn: "Warned",
  block: "Blocked", unblock: "Unblocked", set_plan: "Changed plan", end_stream: "Ended stream",
  create_user: "Created account",
};

let state;
function freshState() {
  return {
    tab: "users",
    users: { q: "", page: 1, data: null },
    managed: null, // the user whose actions are open, as the server last described them
    streams: { page: 1 },
    usage: { days: 7 },
    logs: { level: "", page: 1 },
    audit: { page: 1 },
    busy: false,
  };
}

// Each tab's elements, made by its build function (and made anew after a sign-out).
const users = {};
const manage = {};
const streams = {};
const plans = {};
const usage = {};
const logs = {};
const audit = {};
const dialog = {};
const TABS = [
  { id: "users", label: "Users", build: buildUsers, load: loadUsers },
  { id: "streams", label: "Live streams", build: buildStreams, load: loadStreams },
  { id: "plans", label: "Plans", build: buildPlans, load: loadPlans },
  { id: "usage", label: "Usage", build: buildUsage, load: loadUsage },
  { id: "logs", label: "System logs", build: buildLogs, load: loadLogs },
  { id: "audit", label: "Audit log", build: buildAudit, load: loadAudit },
];

// ---- Small pieces shared by the tabs ----

function alertLine() {
  return h("p", { class: "error", role: "alert", hidden: true });
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

// A table that scrolls sideways on a phone. It takes focus, so that keyboard users can
// scroll it too, and a name, so that what they focused is announced.
function scroller(label, table) {
  return h("div", { class: "table-scroll", role: "region", "aria-label": label, tabindex: "0" },
    table);
}

function headRow(labels) {
  return h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label)));
}

function emptyRow(columns, text) {
  return h("tr", {}, h("td", { colspan: columns, class: "empty" }, text));
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

// Log and audit times to the second: "25 Nov, 12:03:09 UTC".
function timeText(iso) {
  return new Date(iso).toLocaleString("en-GB", {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit",
    timeZone: "UTC",
  }) + " UTC";
}

// "Previous page · Page 2 of 3 · Next page"; hidden while everything fits on one page.
function renderPager(element, data, go) {
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  element.hidden = pages <= 1;
  element.replaceChildren(
    h("button", { type: "button", disabled: data.page <= 1, onclick: () => go(data.page - 1) },
      "Previous page"),
    h("span", {}, `Page ${data.page} of ${pages}`),
    h("button", {
      type: "button", disabled: data.page >= pages, onclick: () => go(data.page + 1),
    }, "Next page"));
}

// The last page there is, when a list shrank under the page being looked at.
function lastPage(data) {
  return Math.max(1, Math.ceil(data.total / data.per_page));
}

// Answers can overtake each other (a search typed twice, a tab clicked twice): only the
// newest request of each list is shown.
const asked = new Map();
async function newest(list, request) {
  const ticket = (asked.get(list) ?? 0) + 1;
  asked.set(list, ticket);
  const answer = await request;
  return asked.get(list) === ticket ? answer : null;
}

// ---- The confirmation dialog ----

function buildDialog() {
  dialog.title = h("h3", { id: "admin-confirm-title" });
  dialog.text = h("p", { id: "admin-confirm-text" });
  dialog.ok = h("button", { value: "ok", class: "danger" });
  dialog.root = h("dialog", {
    id: "admin-confirm", "aria-labelledby": "admin-confirm-title",
    "aria-describedby": "admin-confirm-text",
  }, h("form", { method: "dialog" }, dialog.title, dialog.text,
    h("div", { class: "actions" }, h("button", { value: "cancel", autofocus: true }, "Cancel"),
      dialog.ok)));
  return dialog.root;
}

// Resolves true when the admin pressed the action, false on Cancel or Escape.
function confirmed(title, text, action) {
  dialog.title.textContent = title;
  dialog.text.textContent = text;
  dialog.ok.textContent = action;
  dialog.root.returnValue = "";
  dialog.root.showModal();
  return new Promise((resolve) => {
    dialog.root.addEventListener("close", () => resolve(dialog.root.returnValue === "ok"),
      { once: true });
  });
}

// ---- Users ----

function buildUsers() {
  users.search = h("input", {
    id: "admin-search", name: "q", type: "search", autocomplete: "off", spellcheck: "false",
  });
  users.error = alertLine();
  users.count = h("p", { class: "hint", role: "status" });
  users.table = h("table", {});
  users.pager = h("nav", { class: "pager", "aria-label": "Pages of users", hidden: true });
  return [
    h("form", { class: "inline-form", role: "search", onsubmit: search },
      h("label", { for: "admin-search" }, "Search by e-mail"), users.search,
      h("button", { type: "submit", class: "primary" }, "Search")),
    users.error, users.count, scroller("Users table", users.table), users.pager, buildManage(),
  ];
}

function search(event) {
  event.preventDefault();
  Object.assign(state.users, { q: users.search.value.trim(), page: 1 });
  loadUsers();
}

async function loadUsers() {
  const { q, page } = state.users;
  const query = new URLSearchParams({ q, page, per_page: PER_PAGE });
  try {
    const answer = await newest("users", Promise.all([
      call("GET", `/admin/users?${query}`), planCatalogue(),
    ]));
    if (!answer) return;
    const [list] = answer;
    if (list.items.length === 0 && page > lastPage(list)) {
      state.users.page = lastPage(list);
      return loadUsers();
    }
    state.users.data = list;
    const managed = state.managed && list.items.find((u) => u.id === state.managed.id);
    if (managed) state.managed = managed;
    showError(users.error, "");
    renderUsers();
  } catch (error) {
    showError(users.error, error.message);
  }
}

function renderUsers() {
  const { data, q } = state.users;
  const found = q ? `${plural(data.total, "user")} whose address contains “${q}”`
    : plural(data.total, "user");
  const pages = lastPage(data);
  users.count.textContent = found + (pages > 1 ? ` · page ${data.page} of ${pages}` : "");
  const rows = data.items.map(userRow);
  users.table.replaceChildren(
    h("thead", {}, headRow(["E-mail address", "Plan", "Standing", "Role",
      "Streamed this week", "Warnings", "Joined", "Actions"])),
    h("tbody", {}, rows.length ? rows : emptyRow(8, q ? "No user matches that search."
      : "No users yet.")));
  renderPager(users.pager, data, (page) => {
    state.users.page = page;
    loadUsers();
  });
  renderManage();
}

function standingText(user) {
  const parts = [];
  if (user.blocked) parts.push("Blocked");
  if (user.suspended_until === "permanent") parts.push("Suspended for good");
  else if (user.suspended_until) {
    parts.push(`Suspended until ${dateText(user.suspended_until, true)}`);
  }
  return parts.length ? parts.join(" · ") : "In good standing";
}

function standingCell(user) {
  const bad = user.blocked || Boolean(user.suspended_until);
  return h("span", { class: bad ? "standing-bad" : "standing-ok" }, standingText(user));
}

function userRow(user) {
  const open = state.managed?.id === user.id;
  const seconds = user.weekly_used_s;
  return h("tr", { class: open ? "selected" : null, "data-user-id": user.id },
    h("th", { scope: "row" }, user.email),
    h("td", {}, planName(user.plan)),
    h("td", {}, standingCell(user)),
    h("td", {}, user.role === "admin" ? "Admin" : "Streamer"),
    h("td", {}, seconds ? duration(seconds) : "—"),
    h("td", {}, String(user.warnings)),
    h("td", {}, dateText(user.created_at)),
    h("td", { class: "sticky-end" }, h("button", {
      type: "button", "aria-label": `Manage ${user.email}`, "aria-expanded": String(open),
      "aria-controls": "admin-manage", onclick: () => openManage(user),
    }, "Manage")));
}

// ---- Managing one user ----

function buildManage() {
  manage.title = h("h3", { id: "admin-manage-title", tabindex: "-1" });
  manage.facts = h("dl", { class: "facts" });
  manage.result = h("p", { class: "note", role: "status" });
  manage.error = alertLine();
  manage.body = h("div", { class: "manage-grid" });
  manage.root = h("section", {
    id: "admin-manage", class: "panel manage", "aria-labelledby": "admin-manage-title",
    hidden: true,
  },
  h("div", { class: "manage-head" }, manage.title,
    h("button", { type: "button", onclick: closeManage }, "Close")),
  manage.facts, manage.result, manage.error, manage.body);
  return manage.root;
}

function openManage(user) {
  state.managed = user;
  manage.result.textContent = "";
  showError(manage.error, "");
  renderUsers();
  manage.title.focus(); // keyboard and screen-reader users land on what they opened
  manage.root.scrollIntoView({ block: "nearest" });
}

function closeManage() {
  const id = state.managed?.id;
  state.managed = null;
  renderUsers();
  users.table.querySelector(`[data-user-id="${id}"] button`)?.focus();
}

function renderManage() {
  const user = state.managed;
  manage.root.hidden = !user;
  if (!user) return;
  manage.title.textContent = `Manage ${user.email}`;
  manage.facts.replaceChildren(
    fact("Plan", planName(user.plan)),
    fact("Standing", standingText(user)),
    fact("Role", user.role === "admin" ? "Admin" : "Streamer"),
    fact("Warnings given", String(user.warnings)),
    fact("Joined", dateText(user.created_at)),
  );
  const self = user.id === account()?.user.id; // the API refuses these on oneself
  manage.body.replaceChildren(planBox(user), accessBox(user, self), suspensionBox(user, self),
    warningBox(user));
}

function actions(...buttons) {
  return h("div", { class: "actions" }, buttons);
}

function planBox(user) {
  const select = h("select", { id: "manage-plan" }, knownPlans().map((plan) =>
    h("option", { value: plan.id, selected: plan.id === user.plan }, plan.name)));
  const submit = (event) => {
    event.preventDefault();
    const plan = select.value;
    act("plan", async () => {
      await call("POST", `/admin/users/${user.id}/plan`, { plan });
      return `${user.email} is on the ${planName(plan)} plan now.`;
    });
  };
  return h("form", { class: "box", onsubmit: submit },
    h("h4", {}, "Plan"),
    h("label", { for: "manage-plan" }, "Move to plan"), select,
    h("p", { class: "hint" }, "From now on: a live stream follows at its next minute tick."),
    actions(h("button", { type: "submit", class: "primary", "data-key": "plan" }, "Change plan")));
}

function accessBox(user, self) {
  const box = h("div", { class: "box" }, h("h4", {}, "Access"));
  if (self) {
    box.append(h("p", { class: "hint" }, "Your own account: admins cannot block themselves."));
  } else if (user.blocked) {
    box.append(h("p", {}, "Blocked: cannot sign in or stream."), actions(h("button", {
      type: "button", "data-key": "block", onclick: () => unblock(user),
    }, "Unblock")));
  } else {
    box.append(
      h("p", { class: "hint" }, "A blocked account cannot sign in; a live stream ends."),
      actions(h("button", {
        type: "button", class: "danger-outline", "data-key": "block", onclick: () => block(user),
      }, "Block")));
  }
  return box;
}

function suspensionBox(user, self) {
  const box = h("div", { class: "box" }, h("h4", {}, "Suspension"));
  if (user.suspended_until) {
    box.append(h("p", { class: "standing-bad" }, `${standingText(user)}.`), actions(h("button", {
      type: "button", "data-key": "lift", onclick: () => lift(user),
    }, "Lift suspension")));
  }
  if (self) {
    box.append(h("p", { class: "hint" }, "Your own account: admins cannot suspend themselves."));
    return box;
  }
  const level = h("select", { id: "manage-level" }, SUSPENSIONS.map(([value, label]) =>
    h("option", { value }, label)));
  const reason = h("input", { id: "manage-reason", type: "text", maxlength: 2000,
    autocomplete: "off" });
  const submit = (event) => {
    event.preventDefault();
    suspendUser(user, Number(level.value), reason);
  };
  box.append(h("form", { novalidate: true, onsubmit: submit },
    h("label", { for: "manage-level" }, "Suspension length"), level,
    h("label", { for: "manage-reason" }, "Reason (the user is shown it)"), reason,
    actions(h("button", { type: "submit", class: "danger-outline", "data-key": "suspend" },
      "Suspend"))));
  return box;
}

function warningBox(user) {
  const message = h("textarea", { id: "manage-warning", rows: 2, maxlength: 2000 });
  const submit = (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text) {
      showError(manage.error, "Write the warning first: the user is shown it.");
      message.focus();
      return;
    }
    act("warn", async () => {
      await call("POST", `/admin/users/${user.id}/warn`, { message: text });
      return `${user.email} was warned: they see it at the top of their page.`;
    });
  };
  return h("form", { class: "box", novalidate: true, onsubmit: submit },
    h("h4", {}, "Warning"),
    h("label", { for: "manage-warning" }, "Warning message (the user is shown it)"), message,
    actions(h("button", { type: "submit", "data-key": "warn" }, "Send warning")));
}

// One action on the managed user: the buttons wait while it runs, its outcome is said in
// words, and on success the user is asked for again (the row and this panel follow). On a
// failure what was typed stays, to be corrected.
async function act(key, work) {
  if (state.busy) return;
  state.busy = true;
  manage.result.textContent = "";
  showError(manage.error, "");
  for (const control of manage.body.querySelectorAll("button, select, input, textarea")) {
    control.disabled = true;
  }
  let done = false;
  try {
    manage.result.textContent = await work();
    done = true;
  } catch (error) {
    showError(manage.error, error.message);
  } finally {
    state.busy = false;
    if (done) await loadUsers();
    renderManage();
  }
  // The focus stays where the admin acted (Block becomes Unblock in the same place).
  const again = manage.body.querySelector(`[data-key="${key}"]`);
  if (again) again.focus();
  else manage.title.focus();
}

async function block(user) {
  const sure = await confirmed(`Block ${user.email}?`,
    "They cannot sign in any more, and a live stream of theirs ends at its next minute tick.",
    "Block");
  if (!sure) return;
  act("block", async () => {
    await call("POST", `/admin/users/${user.id}/block`);
    return `${user.email} is blocked: no sign-in, and a live stream ends within a tick.`;
  });
}

function unblock(user) {
  act("block", async () => {
    await call("POST", `/admin/users/${user.id}/unblock`);
    return `${user.email} can sign in again.`;
  });
}

async function suspendUser(user, level, reasonInput) {
  const reason = reasonInput.value.trim();
  if (!reason) {
    showError(manage.error, "Write the reason for the suspension: the user is shown it.");
    reasonInput.focus();
    return;
  }
  const length = level === 7 ? "until an admin lifts it" : `for ${SUSPENSION_TEXT.get(level)}`;
  const sure = await confirmed(`Suspend ${user.email}?`,
    `No streaming ${length}, because: ${reason}. A live stream of theirs ends at its next ` +
    "minute tick.", "Suspend");
  if (!sure) return;
  act("suspend", async () => {
    const answer = await call("POST", `/admin/users/${user.id}/suspend`, { level, reason });
    const until = answer.until ? `until ${dateText(answer.until, true)}` : "for good";
    return `${user.email} is suspended from streaming ${until}.`;
  });
}

function lift(user) {
  act("lift", async () => {
    const answer = await call("POST", `/admin/users/${user.id}/lift-suspension`);
    if (!answer.lifted) return "No suspension was in force any more.";
    return `Suspension lifted: ${user.email} may stream again.`;
  });
}

// ---- Live streams ----

function buildStreams() {
  streams.error = alertLine();
  streams.result = h("p", { class: "note", role: "status" });
  streams.table = h("table", {});
  streams.scroller = scroller("Live streams table", streams.table);
  streams.pager = h("nav", { class: "pager", "aria-label": "Pages of live streams",
    hidden: true });
  return [
    h("p", { class: "hint" }, "Streams live now, on every worker. An ended stream stops " +
      "cleanly at its next minute tick, and the streamer's page says that an admin ended it."),
    h("div", { class: "admin-tools" },
      h("button", { type: "button", onclick: loadStreams }, "Refresh")),
    streams.error, streams.result, streams.scroller, streams.pager,
  ];
}

async function loadStreams() {
  const query = new URLSearchParams({ page: state.streams.page, per_page: PER_PAGE });
  try {
    const list = await newest("streams", call("GET", `/admin/streams?${query}`));
    if (!list) return;
    if (list.items.length === 0 && state.streams.page > lastPage(list)) {
      state.streams.page = lastPage(list);
      return loadStreams();
    }
    showError(streams.error, "");
    const rows = list.items.map(streamRow);
    streams.table.replaceChildren(
      h("thead", {}, headRow(["Streamer", "Live since", "Live for", "Size", "Destinations",
        "Worker", "Actions"])),
      h("tbody", {}, rows.length ? rows : emptyRow(7, "No one is live right now.")));
    renderPager(streams.pager, list, (page) => {
      state.streams.page = page;
      loadStreams();
    });
  } catch (error) {
    showError(streams.error, error.message);
  }
}

function streamRow(stream) {
  const since = Date.parse(stream.started_at);
  return h("tr", { "data-stream-id": stream.id },
    h("th", { scope: "row" }, stream.email),
    h("td", {}, dateText(stream.started_at, true)),
    h("td", {}, duration((Date.now() - since) / 1000)),
    h("td", {}, `${stream.size[0]}×${stream.size[1]}`),
    h("td", { class: "long" }, stream.destinations || "—"), // masked by the API
    h("td", {}, stream.worker),
    h("td", { class: "sticky-end" }, h("button", {
      type: "button", class: "danger-outline", "aria-label": `End stream of ${stream.email}`,
      onclick: () => endStream(stream),
    }, "End stream")));
}

async function endStream(stream) {
  const sure = await confirmed(`End the stream of ${stream.email}?`,
    `Live since ${dateText(stream.started_at, true)}. It stops at its next minute tick, ` +
    "and their page says that an admin ended it.", "End stream");
  if (!sure) return;
  streams.result.textContent = "";
  showError(streams.error, "");
  let refusal = "";
  try {
    await call("POST", `/admin/streams/${encodeURIComponent(stream.id)}/end`);
    streams.result.textContent = `The stream of ${stream.email} is ending.`;
  } catch (error) {
    refusal = error.message;
  }
  await loadStreams(); // either way the list may have changed (ended elsewhere, say)
  if (refusal) showError(streams.error, refusal);
  streams.scroller.focus(); // the row and its button are gone: back to the list
}

// ---- Plans ----

// The admin's table starts with the id that ``vida admin set-plan`` takes.
const ADMIN_ROWS = [["Id (for vida admin set-plan)", (p) => p.id], ...LIMIT_ROWS];

function buildPlans() {
  plans.error = alertLine();
  plans.table = h("table", {});
  return [
    h("p", { class: "hint" }, "The catalogue (config/plans.toml), read-only here. Move a user " +
      "to another plan on the Users tab."),
    plans.error, scroller("Plans table", plans.table),
  ];
}

async function loadPlans() {
  try {
    const list = await planCatalogue();
    showError(plans.error, "");
    plans.table.replaceChildren(
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Limit"),
        list.map((plan) => h("th", { scope: "col" }, plan.name)))),
      h("tbody", {}, ADMIN_ROWS.map(([label, show]) => h("tr", {},
        h("th", { scope: "row" }, label), list.map((plan) => h("td", {}, show(plan)))))));
  } catch (error) {
    showError(plans.error, error.message);
  }
}

// ---- Usage ----

function buildUsage() {
  usage.days = h("select", { id: "admin-usage-days", onchange: () => {
    state.usage.days = Number(usage.days.value);
    loadUsage();
  } }, h("option", { value: 7 }, "Last 7 days"), h("option", { value: 30 }, "Last 30 days"));
  usage.error = alertLine();
  usage.table = h("table", {});
  return [
    h("p", { class: "hint" }, "Streamed time and the studio's CPU time per user, most first. " +
      "Streams that never got going do not count."),
    h("div", { class: "admin-tools" },
      h("div", {}, h("label", { for: "admin-usage-days" }, "Period"), usage.days)),
    usage.error, scroller("Usage table", usage.table),
  ];
}

async function loadUsage() {
  try {
    const answer = await newest("usage", call("GET", `/admin/usage?days=${state.usage.days}`));
    if (!answer) return;
    showError(usage.error, "");
    const total = (key) => answer.users.reduce((sum, u) => sum + u[key], 0);
    const rows = answer.users.map((u) => h("tr", {},
      h("th", { scope: "row" }, u.email), h("td", {}, String(u.streams)),
      h("td", {}, duration(u.seconds)), h("td", {}, duration(u.process_cpu_s))));
    usage.table.replaceChildren(
      h("thead", {}, headRow(["User", "Streams", "Streamed", "CPU time"])),
      h("tbody", {}, rows.length ? rows
        : emptyRow(4, `Nobody streamed in the last ${answer.days} days.`)),
      rows.length ? h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, "All users"),
        h("td", {}, String(total("streams"))), h("td", {}, duration(total("seconds"))),
        h("td", {}, duration(total("process_cpu_s"))))) : null);
  } catch (error) {
    showError(usage.error, error.message);
  }
}

// ---- System logs ----

function buildLogs() {
  logs.level = h("select", { id: "admin-log-level", onchange: () => {
    Object.assign(state.logs, { level: logs.level.value, page: 1 });
    loadLogs();
  } }, LOG_LEVELS.map(([value, label]) => h("option", { value }, label)));
  logs.error = alertLine();
  logs.table = h("table", {});
  logs.pager = h("nav", { class: "pager", "aria-label": "Pages of the system log", hidden: true });
  return [
    h("p", { class: "hint" }, "Warnings and errors every worker logged, newest first."),
    h("div", { class: "admin-tools" },
      h("div", {}, h("label", { for: "admin-log-level" }, "Level"), logs.level),
      h("button", { type: "button", onclick: loadLogs }, "Refresh")),
    logs.error, scroller("System logs table", logs.table), logs.pager,
  ];
}

async function loadLogs() {
  const query = new URLSearchParams({ page: state.logs.page, per_page: PER_PAGE });
  if (state.logs.level) query.set("level", state.logs.level);
  try {
    const list = await newest("logs", call("GET", `/admin/logs?${query}`));
    if (!list) return;
    showError(logs.error, "");
    const rows = list.items.map((entry) => h("tr", {},
      h("td", {}, timeText(entry.at)),
      h("td", { class: `level-${entry.level.toLowerCase()}` }, entry.level.toLowerCase()),
      h("td", { class: "long message" }, entry.message),
      h("td", {}, entry.logger),
      h("td", {}, entry.worker)));
    logs.table.replaceChildren(
      h("thead", {}, headRow(["Time", "Level", "Message", "Where", "Worker"])),
      h("tbody", {}, rows.length ? rows : emptyRow(5, "Nothing logged at this level.")));
    renderPager(logs.pager, list, (page) => {
      state.logs.page = page;
      loadLogs();
    });
  } catch (error) {
    showError(logs.error, error.message);
  }
}

// ---- Audit log ----

function buildAudit() {
  audit.error = alertLine();
  audit.table = h("table", {});
  audit.pager = h("nav", { class: "pager", "aria-label": "Pages of the audit log", hidden: true });
  return [
    h("p", { class: "hint" }, "Every admin action, here and with vida admin, newest first."),
    h("div", { class: "admin-tools" },
      h("button", { type: "button", onclick: loadAudit }, "Refresh")),
    audit.error, scroller("Audit log table", audit.table), audit.pager,
  ];
}

async function loadAudit() {
  const query = new URLSearchParams({ page: state.audit.page, per_page: PER_PAGE });
  try {
    const list = await newest("audit", Promise.all([
      call("GET", `/admin/audit?${query}`), planCatalogue(),
    ]).then(([answer]) => answer));
    if (!list) return;
    showError(audit.error, "");
    const rows = list.items.map((entry) => h("tr", {},
      h("td", {}, timeText(entry.at)),
      h("td", {}, byWhom(entry)),
      h("td", {}, ACTIONS[entry.action] ?? entry.action),
      h("td", {}, entry.user_email ?? (entry.user_id === null ? "—" : `user #${entry.user_id}`)),
      h("td", { class: "long" }, auditDetails(entry))));
    audit.table.replaceChildren(
      h("thead", {}, headRow(["Time", "By", "Action", "User", "Details"])),
      h("tbody", {}, rows.length ? rows : emptyRow(5, "No admin action yet.")));
    renderPager(audit.pager, list, (page) => {
      state.audit.page = page;
      loadAudit();
    });
  } catch (error) {
    showError(audit.error, error.message);
  }
}

function byWhom(entry) {
  if (entry.admin_id !== null) return entry.admin_email ?? `user #${entry.admin_id}`;
  return `${entry.details.by ?? "an operator"} (command line)`;
}

function auditDetails(entry) {
  const details = { ...entry.details };
  delete details.via;
  delete details.by;
  switch (entry.action) {
    case "suspend":
      return `${SUSPENSION_TEXT.get(details.level) ?? `Level ${details.level}`}: ${details.reason}`;
    case "warn":
      return details.message;
    case "set_plan":
      return `To ${planName(details.plan)}`;
    case "lift_suspensions":
      return `${plural(details.lifted, "suspension")} lifted`;
    case "end_stream":
      return `Stream ${details.stream}`;
    default:
      return Object.entries(details).map(([key, value]) => `${key}: ${value}`).join(", ") || "—";
  }
}

// ---- Tabs ----

function tabOf(id) {
  return TABS.find((tab) => tab.id === id);
}

function markSelected(id) {
  state.tab = id;
  for (const tab of TABS) {
    const on = tab.id === id;
    tab.button.setAttribute("aria-selected", String(on));
    tab.button.tabIndex = on ? 0 : -1; // one stop in the tab order; arrows move between tabs
    tab.panel.hidden = !on;
  }
}

// Show a tab with what the server holds now.
function select(id) {
  markSelected(id);
  tabOf(id).load();
}

// The keys of a tab list (WAI-ARIA): arrows, Home and End move to a tab and show it.
function moveBetweenTabs(event) {
  const at = TABS.findIndex((tab) => tab.button === event.target);
  if (at < 0) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  const tab = TABS[(to + TABS.length) % TABS.length];
  select(tab.id);
  tab.button.focus();
}

function build() {
  state = freshState();
  const list = h("div", { class: "admin-tabs", role: "tablist", "aria-label": "Admin sections",
    onkeydown: moveBetweenTabs });
  const panels = [];
  for (const tab of TABS) {
    tab.button = h("button", {
      type: "button", role: "tab", id: `admin-tab-${tab.id}`,
      "aria-controls": `admin-panel-${tab.id}`, onclick: () => select(tab.id),
    }, tab.label);
    tab.panel = h("div", {
      class: "admin-panel", role: "tabpanel", id: `admin-panel-${tab.id}`,
      "aria-labelledby": `admin-tab-${tab.id}`,
    }, tab.build());
    list.append(tab.button);
    panels.push(tab.panel);
  }
  $("admin-root").replaceChildren(list, ...panels, buildDialog());
  markSelected(state.tab);
}

export function startAdmin() {
  build();
  onShow("admin", () => select(state.tab));
  // Signed out: what the admin saw goes, and the next admin starts afresh.
  onAccount((current) => {
    if (!current) build();
  });
}
