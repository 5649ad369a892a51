// The app's entry (`npm start`): Probot for GitHub's API and the handlers (its Octokit without
// throttling: the app's pacer keeps GitHub's limits), this app's queue (in Redis with REDIS_URL,
// else in this process) and its own HTTP server, which answers a delivery as soon as its jobs are
// queued and serves /healthz, /readyz and /metrics. Without credentials, Probot's setup page
// registers the app (app.yml).
// SIGTERM: /readyz goes false, no new connection is taken, the runs under way get
// COMPLIANCE_SHUTDOWN_GRACE to finish; with Redis, what is left is taken over by another replica.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createProbot, run, type Probot } from "probot";
import { ConfigError, loadConfig } from "./app/config.js";
import { Deliveries } from "./app/deliveries.js";
import { eventLabel, Metrics, serveMetrics } from "./app/metrics.js";
import type { AppLater } from "./app/queue/jobs.js";
import { RedisLater } from "./app/queue/redis-later.js";
import { listenAll, listenersHere } from "./app/listeners.js";
import { Rehearsals, warmUp } from "./app/warm-up.js";
import { webhookServer } from "./app/webhook-server.js";
import { GateOctokit } from "./github/octokit.js";
import { connectRedis, startGate } from "./index.js";

/** How soon after start the in-process queue sweeps for what a restart lost. */
const STARTUP_SWEEP_AFTER_MS = 30_000;

export interface StartedServer {
  port: number;
  /** COMPLIANCE_SHUTDOWN_GRACE, in ms. */
  graceMs: number;
  /** Shuts down as a SIGTERM does (without exiting). */
  stop: () => Promise<void>;
}

/** Starts the app on `env`; Probot's setup page when APP_ID or the private key is missing. */
export async function start(env: NodeJS.ProcessEnv = process.env): Promise<StartedServer | undefined> {
  // REDIS_URL is the app's: given it, Probot would throttle every installation's requests behind
  // one Bottleneck in Redis (a second between writes), which the app's pacer does per installation.
  const { REDIS_URL: _ours, ...probotEnv } = env;
  let probot: Probot;
  try {
    // Probot's own default is "warn"; a server says what it does.
    probot = createProbot({ env: { LOG_LEVEL: "info", ...probotEnv }, overrides: { Octokit: GateOctokit } });
  } catch (error) {
    if (!(error instanceof Error) || !/appId option is required|privateKey option is required/.test(error.message)) throw error;
    // No credentials yet: Probot's setup (it refuses with NODE_ENV=production, as `probot run` does).
    await run([process.execPath, "probot", fileURLToPath(new URL("./index.js", import.meta.url))], { env: probotEnv });
    return undefined;
  }
  await probot.ready();
  const log = probot.log.child({ name: "compliance-gate" });
  const config = loadConfig(env);
  const metrics = new Metrics();
  // The pacer's budgets and what each check shows, shared by the replicas (the queue has connections of its own).
  const redis = config.redisUrl !== undefined ? connectRedis(log, config.redisUrl) : undefined;
  const later: AppLater | undefined = config.redisUrl !== undefined ? new RedisLater({ url: config.redisUrl, log, slots: { interactive: config.queueConcurrency, bulk: config.concurrency }, leaseMs: config.queueLeaseMs, stalledIntervalMs: config.queueLeaseMs }) : undefined;
  // The handlers are called by the app's own dispatch, not Probot's webhooks (deliveries.ts: no client per delivery).
  const deliveries = new Deliveries(probot.log);
  // The deliveries the server sends itself before it is ready (below): handled, never queued.
  const rehearsals = new Rehearsals();
  const loaded = startGate(deliveries.appOf(probot), config, {
    metrics,
    rehearsals,
    ...(redis !== undefined ? { redis } : {}),
    ...(later !== undefined ? { later } : {}),
    // Redis keeps every job; only the in-process queue can have lost some.
    ...(later === undefined && config.startupSweep ? { startupSweepAfterMs: STARTUP_SWEEP_AFTER_MS } : {}),
  });
  await loaded.later.start();

  // Usable credentials: the private key signs an app token (no request is made).
  const credentials = await probot
    .auth()
    .then((octokit) => (octokit as unknown as { auth: (o: { type: "app" }) => Promise<unknown> }).auth({ type: "app" }))
    .then(
      () => true,
      (error: unknown) => {
        log.error({ err: error }, "the private key cannot sign an app token: not ready");
        return false;
      },
    );

  const metricsRoute = serveMetrics(metrics);
  const webhookPath = env["WEBHOOK_PATH"]?.trim() || "/api/github/webhooks";
  let warmingUp = config.warmUpDeliveries > 0;
  const { servers, drain } = webhookServer({
    log,
    webhookPath,
    listeners: listenersHere(),
    routes: [async (request, response) => metricsRoute(request, response)],
    // A rehearsal's refusal is the warm-up's to report (its warning), not a delivery's.
    onRejected: ({ id, name, payload }, reason) => void (rehearsals.has(id) || metrics.deliveryRejected(eventLabel(name, (payload as { action?: unknown } | undefined)?.action), reason)),
    target: {
      verify: (body, signature) => probot.webhooks.verify(body, signature),
      receive: (delivery) => loaded.later.accepting(() => deliveries.receive(delivery)),
      ready: async () => ({ queue: await loaded.later.ready(), credentials, warmingUp }),
    },
  });
  const host = env["HOST"]?.trim() || "0.0.0.0";
  const port = Number(env["PORT"]?.trim() || 3000);
  const { port: listening, listening: open } = await listenAll(servers, port, host, log);
  const address = open[0]?.address();
  log.info({ host, port: listening, sockets: open.length, queue: later !== undefined ? "redis" : "in-process" }, `listening on http://${host}:${listening}`);
  // Not ready until the delivery path has run its rehearsal (warm-up.ts), done or failed.
  const stopWarmUp = new AbortController();
  const warmedUp =
    config.warmUpDeliveries > 0 && typeof address === "object" && address !== null
      ? warmUp({ address, webhookPath, sign: (body) => probot.webhooks.sign(body), rehearsals, deliveries: config.warmUpDeliveries, log, signal: stopWarmUp.signal }).finally(() => (warmingUp = false))
      : Promise.resolve((warmingUp = false));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info({ grace_ms: config.shutdownGraceMs }, "shutting down: no new deliveries, finishing the runs under way");
      drain();
      stopWarmUp.abort();
      await warmedUp;
      const closed = Promise.all(open.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const server of open) server.closeIdleConnections();
      await loaded.later.close(config.shutdownGraceMs);
      // Bounded: with Redis gone, QUIT would wait for a connection that does not come.
      if (redis !== undefined) await Promise.race([redis.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]).finally(() => redis.disconnect());
      // Connections whose answers ended since (each closing, draining) go now, not at exit mid-keep-alive.
      for (const server of open) server.closeIdleConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      log.info("stopped");
    })();
    return stopping;
  };
  return { port: listening, graceMs: config.shutdownGraceMs, stop };
}

/**
 * The working directory's `.env`, as `probot run` reads it: Probot's setup page writes the app it
 * registered there (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET), and the next `npm start` must find it
 * rather than open the setup page again. A variable already set wins: the environment is the deployment's.
 */
function loadDotEnv(path = ".env"): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

// Run as the entry point (node lib/server.js), not when imported by a test.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  loadDotEnv();
  start().then(
    (started) => {
      if (started === undefined) return;
      let signals = 0;
      const onSignal = (): void => {
        signals += 1;
        // A second signal: stop waiting.
        if (signals > 1) process.exit(1);
        // Whatever hangs (a Redis that went away), the process is gone soon after the grace.
        setTimeout(() => process.exit(1), started.graceMs + 10_000);
        void started.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    },
    (error: unknown) => {
      // A configuration the app cannot use stops it at start, with the variable named.
      console.error(error instanceof ConfigError ? `compliance-gate: ${error.message}` : error);
      process.exit(1);
    },
  );
}
