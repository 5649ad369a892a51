// The app's configuration: every environment variable compliance-gate reads, read and validated here only.
// (Probot reads its own: APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, PORT, LOG_LEVEL, GHE_HOST, …; REDIS_URL
// is this app's alone: the server keeps it from Probot, whose throttling the app's pacer replaces.)
import { readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { loadSigningKey } from "../audit/seal.js";
import { DEFAULT_PACING, type PacingLimits } from "../github/pacing.js";

/** What the app is configured with. */
export interface AppConfig {
  /** How long team memberships and reviewer permissions are trusted, in milliseconds. */
  membershipTtlMs: number;
  /** Bulk jobs (a policy push's re-evaluations, reconciles, sweeps) one process runs at once. */
  concurrency: number;
  /** Interactive jobs (a person's event on a PR) one process runs at once, besides the bulk ones. */
  queueConcurrency: number;
  /**
   * Redis (REDIS_URL), when replicas share work: the durable queue, the pacer's budgets, what each
   * check shows. Without it the queue, the pacer and the check store are this process's own.
   */
  redisUrl?: string;
  /**
   * With Redis: how long a replica holds the runs it took without renewing them, in milliseconds —
   * how soon another replica takes over the runs of one that died.
   */
  queueLeaseMs: number;
  /** How long a SIGTERM waits for the jobs under way before the process exits, in milliseconds. */
  shutdownGraceMs: number;
  /** Whether the in-process queue sweeps for what a restart lost, soon after start. */
  startupSweep: boolean;
  /** Whether this process keeps in-process timers that re-evaluate a PR when a freeze window opens or closes. */
  freezeTimers: boolean;
  /** This app's id (Probot's APP_ID), to recognise its own check runs; learnt from GitHub's answers when absent. */
  appId?: number;
  /** The Ed25519 key audit records are signed with (AUDIT_SIGNING_KEY); records carry only a digest without it. */
  signingKey?: KeyObject;
  /** A repository's recent merges are reconciled at most this often, in milliseconds (SPEC §4.4). */
  reconcileIntervalMs: number;
  /** How far back a reconcile looks for merged pull requests without a record, in milliseconds. */
  reconcileWindowMs: number;
  /** How often every installed repository's required checks are swept (SPEC §5), in milliseconds; 0: never. */
  enforceSweepIntervalMs: number;
  /** GitHub's secondary limits as kept per installation (github/pacing.ts). */
  pacing: PacingLimits;
  /** Deliveries the server sends itself before it says it is ready (warm-up.ts); 0: none. */
  warmUpDeliveries: number;
}

/** A configuration variable with a value the app cannot use; the message names it and says what would do. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const DEFAULT_CONFIG: AppConfig = {
  membershipTtlMs: 300_000,
  concurrency: 4,
  queueConcurrency: 8,
  queueLeaseMs: 30_000,
  shutdownGraceMs: 25_000,
  startupSweep: true,
  freezeTimers: true,
  reconcileIntervalMs: 600_000,
  reconcileWindowMs: 7 * 86_400_000,
  enforceSweepIntervalMs: 86_400_000,
  pacing: DEFAULT_PACING,
  warmUpDeliveries: 200,
};

/** An integer variable within bounds; unset or empty means the default. */
function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["on", "true", "1", "yes"].includes(raw)) return true;
  if (["off", "false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

/**
 * Reads the app's variables from `env`, throwing ConfigError for a value it cannot use, so a
 * typo stops the app at startup instead of silently running with a default:
 * - COMPLIANCE_MEMBERSHIP_TTL: seconds team membership and permissions are cached (0..86400, default 300);
 * - COMPLIANCE_CONCURRENCY: bulk jobs — a policy push's re-evaluations, reconciles, sweeps — run at once
 *   by one process (1..64, default 4);
 * - COMPLIANCE_QUEUE_CONCURRENCY: interactive jobs — a person's event on a PR — run at once by one
 *   process, in slots of their own (1..64, default 8);
 * - REDIS_URL: redis:// or rediss:// URL of the Redis the replicas share — the durable queue, the
 *   pacer's budgets, what each check shows (unset: all in this process);
 * - COMPLIANCE_QUEUE_LEASE: with Redis, seconds a replica holds its runs without renewing them: how
 *   soon the runs of a replica that died are taken over by another (2..300, default 30);
 * - COMPLIANCE_SHUTDOWN_GRACE: seconds a SIGTERM waits for the jobs under way (0..600, default 25);
 * - COMPLIANCE_STARTUP_SWEEP: on|off, whether the open PRs whose checks are missing, older than their
 *   last change or show a success are re-evaluated soon after start (in-process queue), or once Redis
 *   is found to have lost what it held (default on);
 * - COMPLIANCE_FREEZE_TIMERS: on|off, whether this replica keeps freeze-window timers (default on);
 * - COMPLIANCE_RECONCILE_INTERVAL: seconds between reconciles of one repository's recent merges (60..86400, default 600);
 * - COMPLIANCE_RECONCILE_WINDOW: days a reconcile looks back for merges without a record (1..90, default 7);
 * - COMPLIANCE_ENFORCE_SWEEP_INTERVAL: seconds between sweeps of every installed repository's required
 *   checks (0 = no sweep, else 3600..604800, default 86400: daily);
 * - COMPLIANCE_GITHUB_CONCURRENCY: requests of one installation in flight at once (1..100, default 20);
 * - COMPLIANCE_GITHUB_POINTS_PER_MINUTE: GitHub's secondary-limit points one installation spends a
 *   minute, steady (a read 1, a write 5; 60..895, default 780; plus a burst of a sixth of it, but
 *   no more than keeps a minute within 840 — at least 5);
 * - COMPLIANCE_GITHUB_WRITE_SPACING_MS: milliseconds between two writes of one installation (0..10000, default 500);
 * - COMPLIANCE_WARM_UP_DELIVERIES: deliveries `npm start` sends itself before /readyz says ready, to
 *   have its code compiled before GitHub's first burst; nothing they ask for is queued (0..1000, default 200);
 * - AUDIT_SIGNING_KEY (PEM, `\n` escapes allowed) or AUDIT_SIGNING_KEY_PATH (a PEM file): the
 *   Ed25519 private key audit records are signed with. Optional; a key that is set but cannot be
 *   read, or is not Ed25519, stops the app — it must never run believing it signs when it does not.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const appId = env["APP_ID"]?.trim();
  const signingKey = signingKeyOf(env);
  const redisUrl = redisUrlOf(env);
  return {
    membershipTtlMs: integer(env, "COMPLIANCE_MEMBERSHIP_TTL", DEFAULT_CONFIG.membershipTtlMs / 1000, 0, 86_400) * 1000,
    concurrency: integer(env, "COMPLIANCE_CONCURRENCY", DEFAULT_CONFIG.concurrency, 1, 64),
    queueConcurrency: integer(env, "COMPLIANCE_QUEUE_CONCURRENCY", DEFAULT_CONFIG.queueConcurrency, 1, 64),
    queueLeaseMs: integer(env, "COMPLIANCE_QUEUE_LEASE", DEFAULT_CONFIG.queueLeaseMs / 1000, 2, 300) * 1000,
    shutdownGraceMs: integer(env, "COMPLIANCE_SHUTDOWN_GRACE", DEFAULT_CONFIG.shutdownGraceMs / 1000, 0, 600) * 1000,
    startupSweep: flag(env, "COMPLIANCE_STARTUP_SWEEP", DEFAULT_CONFIG.startupSweep),
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    freezeTimers: flag(env, "COMPLIANCE_FREEZE_TIMERS", DEFAULT_CONFIG.freezeTimers),
    // Below a minute, every burst of events would list the repository's pull requests again.
    reconcileIntervalMs: integer(env, "COMPLIANCE_RECONCILE_INTERVAL", DEFAULT_CONFIG.reconcileIntervalMs / 1000, 60, 86_400) * 1000,
    reconcileWindowMs: integer(env, "COMPLIANCE_RECONCILE_WINDOW", DEFAULT_CONFIG.reconcileWindowMs / 86_400_000, 1, 90) * 86_400_000,
    enforceSweepIntervalMs: sweepInterval(env) * 1000,
    pacing: pacingOf(env),
    warmUpDeliveries: integer(env, "COMPLIANCE_WARM_UP_DELIVERIES", DEFAULT_CONFIG.warmUpDeliveries, 0, 1_000),
    ...(signingKey !== undefined ? { signingKey } : {}),
    // Probot validates APP_ID itself; it only narrows which check runs are ours, so a bad one is ignored.
    ...(appId !== undefined && /^\d+$/.test(appId) ? { appId: Number(appId) } : {}),
  };
}

/**
 * The per-installation limits. The points' burst follows the steady rate — a sixth of it — but never
 * takes a minute past 840 of GitHub's 900 (the defaults' worst minute); at least 5, so that a write
 * goes. The steady rate goes up to 895, so that even then no minute passes GitHub's 900.
 */
function pacingOf(env: NodeJS.ProcessEnv): PacingLimits {
  const WORST_MINUTE = DEFAULT_PACING.pointsPerMinute + DEFAULT_PACING.pointsBurst;
  const pointsPerMinute = integer(env, "COMPLIANCE_GITHUB_POINTS_PER_MINUTE", DEFAULT_PACING.pointsPerMinute, 60, 895);
  return {
    ...DEFAULT_PACING,
    concurrency: integer(env, "COMPLIANCE_GITHUB_CONCURRENCY", DEFAULT_PACING.concurrency, 1, 100),
    pointsPerMinute,
    pointsBurst: Math.max(5, Math.min(Math.floor(pointsPerMinute / 6), WORST_MINUTE - pointsPerMinute)),
    writeSpacingMs: integer(env, "COMPLIANCE_GITHUB_WRITE_SPACING_MS", DEFAULT_PACING.writeSpacingMs, 0, 10_000),
  };
}

/**
 * COMPLIANCE_ENFORCE_SWEEP_INTERVAL: 0 turns the sweep off; otherwise at least an hour (each sweep
 * reads every installed repository's rules) and at most a week (a removed requirement found late).
 */
function sweepInterval(env: NodeJS.ProcessEnv): number {
  const name = "COMPLIANCE_ENFORCE_SWEEP_INTERVAL";
  const value = integer(env, name, DEFAULT_CONFIG.enforceSweepIntervalMs / 1000, 0, 604_800);
  if (value !== 0 && value < 3600) throw new ConfigError(`${name} must be 0 (no sweep) or a whole number of seconds from 3600 to 604800, got "${env[name]?.trim() ?? ""}"`);
  return value;
}

/** REDIS_URL: a redis:// or rediss:// URL (a typo must not silently run each replica on its own); unset or empty: none. */
function redisUrlOf(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env["REDIS_URL"]?.trim();
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("REDIS_URL must be a redis:// or rediss:// URL");
  }
  // The message never repeats the value: it may hold a password.
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, not ${url.protocol}`);
  return raw;
}

/** The audit signing key from AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_PATH; undefined when neither is set. */
function signingKeyOf(env: NodeJS.ProcessEnv): KeyObject | undefined {
  const inline = env["AUDIT_SIGNING_KEY"];
  const path = env["AUDIT_SIGNING_KEY_PATH"]?.trim();
  const hasInline = inline !== undefined && inline.trim() !== "";
  if (hasInline && path) throw new ConfigError("set AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_PATH, not both");
  let pem: string;
  let name: string;
  if (hasInline) {
    pem = inline;
    name = "AUDIT_SIGNING_KEY";
  } else if (path) {
    name = "AUDIT_SIGNING_KEY_PATH";
    try {
      pem = readFileSync(path, "utf8");
    } catch (error) {
      throw new ConfigError(`AUDIT_SIGNING_KEY_PATH: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`);
    }
  } else {
    return undefined;
  }
  const loaded = loadSigningKey(pem.trim());
  if (!loaded.ok) throw new ConfigError(`${name} is ${loaded.message}`);
  return loaded.key;
}
