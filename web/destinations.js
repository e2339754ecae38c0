// The Destinations view (to be built).

import { onShow } from "./router.js";

export function startDestinations() {
  onShow("destinations", () => {});
}
