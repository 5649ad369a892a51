// The app's configuration: every environment variable compliance-gate reads, read and validated here only.
// (Probot reads its own: APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, PORT, LOG_LEVEL, GHE_HOST, REDIS_URL, …)

/** What the app is configured with. */
export interface AppConfig {
  /** How long team memberships and reviewer permissions are trusted, in milliseconds. */
  membershipTtlMs: number;
  /** How many pull requests a policy push re-evaluates at once. */
  concurrency: number;
  /** Whether this process keeps in-process timers that re-evaluate a PR when a freeze window opens or closes. */
  freezeTimers: boolean;
  /** This app's id (Probot's APP_ID), to recognise its own check runs; learnt from GitHub's answers when absent. */
  appId?: number;
}

/** A configuration variable with a value the app cannot use; the message names it and says what would do. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const DEFAULT_CONFIG: AppConfig = {
  membershipTtlMs: 300_000,
  concurrency: 4,
  freezeTimers: true,
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
 * - COMPLIANCE_CONCURRENCY: open PRs re-evaluated at once after a policy push (1..64, default 4);
 * - COMPLIANCE_FREEZE_TIMERS: on|off, whether this replica keeps freeze-window timers (default on).
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const appId = env["APP_ID"]?.trim();
  return {
    membershipTtlMs: integer(env, "COMPLIANCE_MEMBERSHIP_TTL", DEFAULT_CONFIG.membershipTtlMs / 1000, 0, 86_400) * 1000,
    concurrency: integer(env, "COMPLIANCE_CONCURRENCY", DEFAULT_CONFIG.concurrency, 1, 64),
    freezeTimers: flag(env, "COMPLIANCE_FREEZE_TIMERS", DEFAULT_CONFIG.freezeTimers),
    // Probot validates APP_ID itself; it only narrows which check runs are ours, so a bad one is ignored.
    ...(appId !== undefined && /^\d+$/.test(appId) ? { appId: Number(appId) } : {}),
  };
}
