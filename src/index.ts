// The Probot app: only wiring. The configuration is read (and validated) once, at startup.
// `npm start` runs src/server.ts, which loads the app through startGate with its own queue and
// HTTP server; `probot run ./lib/index.js` still works, with the in-process queue and Probot's server.
import type { Probot } from "probot";
import { complianceGate, type ComplianceGate, type GateDependencies } from "./app/gate.js";
import { loadConfig, type AppConfig } from "./app/config.js";

/** Loads compliance-gate on `app` and logs what it runs with. */
export function startGate(app: Probot, config: AppConfig, dependencies: GateDependencies = {}): ComplianceGate {
  const gate = complianceGate(app, config, dependencies);
  app.log.info(
    {
      membership_ttl_s: config.membershipTtlMs / 1000,
      queue: config.redisUrl !== undefined ? "redis" : "in-process",
      interactive_slots: config.queueConcurrency,
      bulk_slots: config.concurrency,
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
  return gate;
}

export default (app: Probot): void => {
  const config = loadConfig(process.env);
  // Under Probot's own server the queue is in this process, whatever REDIS_URL says.
  const { redisUrl: _inProcess, ...inProcess } = config;
  startGate(app, inProcess);
};
