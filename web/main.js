// The page: one document, views switched by the address, one sign-in for all of them.

import { startAccountPage } from "./account.js";
import { startAdmin } from "./admin.js";
import { startAvatars } from "./avatars.js";
import { startBackgrounds } from "./backgrounds.js";
import { startDestinations } from "./destinations.js";
import { route, startRouter } from "./router.js";
import { onAccount, refreshAccount } from "./session.js";
import { startStudio } from "./studio.js";
import { startTopbar } from "./topbar.js";

startTopbar();
startStudio();
startAvatars();
startBackgrounds();
startDestinations();
startAccountPage();
startAdmin();
startRouter();
let signedIn = null;
onAccount((current) => {
  if (Boolean(current) === signedIn) return; // a new minute count, not a sign-in or out
  signedIn = Boolean(current);
  route();
});
refreshAccount();
