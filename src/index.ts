// The Probot app: only wiring. The configuration is read (and validated) once, at startup.
import type { Probot } from "probot";
import { complianceGate } from "./app/gate.js";
import { loadConfig } from "./app/config.js";

export default (app: Probot): void => {
  const config = loadConfig(process.env);
  complianceGate(app, config);
  app.log.info(
    { membership_ttl_s: config.membershipTtlMs / 1000, concurrency: config.concurrency, freeze_timers: config.freezeTimers },
    "compliance-gate loaded",
  );
};
