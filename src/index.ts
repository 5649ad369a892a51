// The Probot app: only wiring. The configuration is read (and validated) once, at startup.
// `npm start` runs src/server.ts, which loads the app through startGate with its own queue and
// HTTP server; `probot run ./lib/index.js` still works, with the in-process queue and Probot's server.
// Either way the handlers are called by app/deliveries.ts and typed against GateApp, not Probot.
import { Redis } from "ioredis";
import type { ApplicationFunctionOptions, Logger, Probot } from "probot";
import { Deliveries, type GateApp } from "./app/deliveries.js";
import { complianceGate, type ComplianceGate, type GateDependencies } from "./app/gate.js";
import { loadConfig, type AppConfig } from "./app/config.js";
import { Metrics, serveMetrics } from "./app/metrics.js";

/** Loads compliance-gate on `app` and logs what it runs with. */
export function startGate(app: GateApp, config: AppConfig, dependencies: GateDependencies = {}): ComplianceGate {
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
      github_concurrency: config.pacing.concurrency,
      github_points_per_minute: config.pacing.pointsPerMinute,
      github_write_spacing_ms: config.pacing.writeSpacingMs,
      shared_store: dependencies.redis !== undefined,
    },
    "compliance-gate loaded",
  );
  if (config.signingKey === undefined) {
    app.log.warn("AUDIT_SIGNING_KEY is not set: audit records carry a digest but no signature, so they prove integrity, not that this app wrote them");
  }
  return gate;
}

/**
 * As `probot run` loads it: the queue in this process, whatever REDIS_URL says (only the server's
 * queue is shared by replicas); the pacer and the check store still share REDIS_URL when it is set.
 * Probot's own server also keeps Probot's throttling (and hands it REDIS_URL): for development;
 * `npm start` (server.ts) is how the app runs. Probot's webhooks hand every delivery to the same
 * dispatch as npm start's, so the handlers get what they get there: no client (Probot still
 * builds one per delivery for its own context, unused).
 */
export default (app: Probot, options?: ApplicationFunctionOptions): void => {
  const config = loadConfig(process.env);
  const metrics = new Metrics();
  const redis = config.redisUrl !== undefined ? connectRedis(app.log, config.redisUrl) : undefined;
  const { redisUrl: _inProcess, ...inProcess } = config;
  const deliveries = new Deliveries(app.log);
  app.onAny((event) => deliveries.receive(event));
  startGate(deliveries.appOf(app), inProcess, { metrics, ...(redis ? { redis } : {}) });
  try {
    options?.addHandler(serveMetrics(metrics));
  } catch {
    // Loaded without a server (probot.load in tests, or receiving only): nothing serves /metrics.
  }
};

/**
 * The connection the pacer and the check store share. Commands fail within seconds while Redis is
 * away (2 s each, one retry): the pacer then paces in this process alone, and checks are not
 * written (their evaluations are retried), rather than waiting on a connection.
 */
export function connectRedis(log: Logger, url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectionName: "compliance-gate" });
  let reported = 0;
  redis.on("error", (error: Error) => {
    // ioredis reconnects by itself; one line a minute says it is still trying.
    if (Date.now() - reported < 60_000) return;
    reported = Date.now();
    log.warn({ error: error.message }, "Redis is not reachable: reconnecting");
  });
  return redis;
}
