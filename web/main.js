// The page: one document, views switched by the address, one sign-in for all of them.

import { startAccountPage } from "./account.js";
import { startAvatars } from "./avatars.js";
import { route, startRouter } from "./router.js";
import { onAccount, refreshAccount } from "./session.js";
import { startStudio } from "./studio.js";
import { startTopbar } from "./topbar.js";

startTopbar();
startStudio();
startAvatars();
startAccountPage();
startRouter();
let signedIn = null;
onAccount((current) => {
  if (Boolean(current) === signedIn) return; // a new minute count, not a sign-in or out
  signedIn = Boolean(current);
  route();
});
refreshAccount();
