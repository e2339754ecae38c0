// Small helpers every view uses: the app is plain modules over the platform, no framework.

export const $ = (id) => document.getElementById(id);

// h("button", { class: "primary", onclick: f }, "Set active") → a <button>. Attributes
// starting with "on" become listeners; true/false toggle boolean attributes; children are
// nodes or text (null and false are skipped).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  element.append(...children.flat().filter((child) => child !== null && child !== false));
  return element;
}

// One term and its value in a <dl class="facts">.
export function fact(term, ...value) {
  return h("div", {}, h("dt", {}, term), h("dd", {}, ...value));
}

// One user action of a view: its buttons off and its old error cleared, ``work()``, the
// error shown in words if it failed, then the buttons back and the view reloaded whatever
// happened. ``view`` has setBusy(flag), showError(text) and load().
export async function runAction(view, work) {
  view.setBusy(true);
  view.showError("");
  try {
    await work();
  } catch (error) {
    view.showError(error.message);
  } finally {
    view.setBusy(false);
    await view.load();
  }
}

// "3 h 20 min", "12 min", "40 s": durations as a streamer reads them.
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

export function dateText(iso, withTime = false) {
  const options = { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  return new Date(iso).toLocaleString("en-GB", options) + (withTime ? " UTC" : "");
}
