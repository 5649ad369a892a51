// The Probot app: only wiring. Event handlers arrive with the GitHub App work (issue 3).
import type { Probot } from "probot";

export default (app: Probot): void => {
  app.log.info("compliance-gate loaded");
};
