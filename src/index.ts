// The Probot app: only wiring. The configuration is read (and validated) once, at startup.
import type { Probot } from "probot";
import { complianceGate } from "./app/gate.js";
import { loadConfig } from "./app/config.js";

export default (app: Probot): void => {
  const config = loadConfig(process.env);
  complianceGate(app, config);
  app.log.info(
    {
      membership_ttl_s: config.membershipTtlMs / 1000,
      concurrency: config.concurrency,
      freeze_timers: config.freezeTimers,
      reconcile_interval_s: config.reconcileIntervalMs / 1000,
      reconcile_window_days: config.reconcileWindowMs / 86_400_000,
      audit_signing: config.signingKey !== undefined,
    },
    "compliance-gate loaded",
  );
  if (config.signingKey === undefined) {
    app.log.warn("AUDIT_SIGNING_KEY is not set: audit records carry a digest but no signature, so they prove integrity, not that this app wrote them");
  }
};
