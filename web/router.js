// Which view the page shows: "#/avatars" → the section with data-view="avatars". One page,
// so a stream keeps running while the streamer looks at their avatars or account.

import { account } from "./session.js";

const TITLES = {
  signin: "Sign in", studio: "Studio", avatars: "My Avatars", backgrounds: "Backgrounds",
  destinations: "Destinations", account: "Account", admin: "Admin",
};
const shownListeners = new Map(); // view name → functions run each time it is shown
let current = null;

export function onShow(view, listener) {
  if (!shownListeners.has(view)) shownListeners.set(view, new Set());
  shownListeners.get(view).add(listener);
}

// Show the view the address asks for (signed out: the sign-in form, whatever it asks).
export function route() {
  const asked = location.hash.startsWith("#/") ? location.hash.slice(2) : current ?? "studio";
  const section = document.querySelector(`[data-view="${CSS.escape(asked)}"]`);
  const isAdmin = account()?.user.role === "admin";
  const known = section && asked !== "signin" && (isAdmin || !section.hasAttribute("data-admin"));
  const signedIn = Boolean(account());
  const view = !signedIn ? "signin" : known ? asked : "studio";
  const moved = current !== null && current !== view;
  current = view;
  for (const section of document.querySelectorAll("[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.route === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.getElementById("nav").hidden = !signedIn;
  for (const adminOnly of document.querySelectorAll("#nav [data-admin]")) adminOnly.hidden = !isAdmin;
  document.title = `${TITLES[view]} · VIDA Studio`;
  if (moved) {
    // Keyboard and screen-reader users land on the new view, not on the link they left.
    const target = document.querySelector(`[data-view="${view}"] [tabindex="-1"]`);
    (target ?? document.getElementById("content")).focus();
  }
  for (const listener of shownListeners.get(view) ?? []) listener();
}

export function startRouter() {
  window.addEventListener("hashchange", () => {
    // "#content" (the skip link) is a place in the page, not a view.
    if (!location.hash || location.hash.startsWith("#/")) route();
  });
}
