// The Backgrounds view (to be built).

import { onShow } from "./router.js";

export function startBackgrounds() {
  onShow("backgrounds", () => {});
}
