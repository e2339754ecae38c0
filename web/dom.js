// Small DOM helpers: the app is plain modules over the platform, no framework.

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
