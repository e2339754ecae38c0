// The Admin view (to be built).

import { onShow } from "./router.js";

export function startAdmin() {
  onShow("admin", () => {});
}
