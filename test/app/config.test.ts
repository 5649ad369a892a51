// The configuration variables: defaults, valid values, and a clear error at startup for a bad one.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "../../src/app/config.js";
import { DEFAULT_PACING } from "../../src/github/pacing.js";

const DEFAULTS = {
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

test("defaults: membership trusted 5 minutes, 8 interactive and 4 bulk jobs at once, the queue in process, 25 s to shut down, a start-up sweep, freeze timers on, reconcile every 10 minutes over 7 days, a daily sweep of required checks, no signing key, a warm-up of 200 deliveries", () => {
  expect(loadConfig({})).toEqual(DEFAULTS);
  expect(DEFAULT_CONFIG).toEqual(DEFAULTS);
});

test("reads every variable", () => {
  expect(
    loadConfig({
      COMPLIANCE_MEMBERSHIP_TTL: "60",
      COMPLIANCE_CONCURRENCY: " 8 ",
      COMPLIANCE_FREEZE_TIMERS: "off",
      APP_ID: "12345",
      COMPLIANCE_RECONCILE_INTERVAL: "120",
      COMPLIANCE_RECONCILE_WINDOW: "30",
      COMPLIANCE_ENFORCE_SWEEP_INTERVAL: "3600",
      COMPLIANCE_QUEUE_CONCURRENCY: "16",
      COMPLIANCE_SHUTDOWN_GRACE: "0",
      COMPLIANCE_QUEUE_LEASE: "5",
      COMPLIANCE_STARTUP_SWEEP: "off",
      COMPLIANCE_WARM_UP_DELIVERIES: "0",
      REDIS_URL: "redis://:secret@redis.internal:6379/2",
    }),
  ).toEqual({
    membershipTtlMs: 60_000,
    concurrency: 8,
    queueConcurrency: 16,
    queueLeaseMs: 5_000,
    shutdownGraceMs: 0,
    startupSweep: false,
    redisUrl: "redis://:secret@redis.internal:6379/2",
    freezeTimers: false,
    appId: 12345,
    reconcileIntervalMs: 120_000,
    reconcileWindowMs: 30 * 86_400_000,
    enforceSweepIntervalMs: 3_600_000,
    pacing: DEFAULT_PACING,
    warmUpDeliveries: 0,
  });
  expect(loadConfig({ REDIS_URL: " " }).redisUrl).toBeUndefined();
  expect(loadConfig({ COMPLIANCE_ENFORCE_SWEEP_INTERVAL: "0" }).enforceSweepIntervalMs).toBe(0);
  expect(loadConfig({ COMPLIANCE_MEMBERSHIP_TTL: "0", COMPLIANCE_FREEZE_TIMERS: "ON", COMPLIANCE_CONCURRENCY: "" })).toMatchObject({
    membershipTtlMs: 0,
    freezeTimers: true,
    concurrency: 4,
  });
});

test.each([
  [{ COMPLIANCE_MEMBERSHIP_TTL: "5m" }, 'COMPLIANCE_MEMBERSHIP_TTL must be a whole number from 0 to 86400, got "5m"'],
  [{ COMPLIANCE_MEMBERSHIP_TTL: "-1" }, 'COMPLIANCE_MEMBERSHIP_TTL must be a whole number from 0 to 86400, got "-1"'],
  [{ COMPLIANCE_CONCURRENCY: "0" }, 'COMPLIANCE_CONCURRENCY must be a whole number from 1 to 64, got "0"'],
  [{ COMPLIANCE_CONCURRENCY: "100" }, 'COMPLIANCE_CONCURRENCY must be a whole number from 1 to 64, got "100"'],
  [{ COMPLIANCE_FREEZE_TIMERS: "maybe" }, 'COMPLIANCE_FREEZE_TIMERS must be on or off, got "maybe"'],
  [{ COMPLIANCE_QUEUE_CONCURRENCY: "0" }, 'COMPLIANCE_QUEUE_CONCURRENCY must be a whole number from 1 to 64, got "0"'],
  [{ COMPLIANCE_QUEUE_LEASE: "1" }, 'COMPLIANCE_QUEUE_LEASE must be a whole number from 2 to 300, got "1"'],
  [{ COMPLIANCE_SHUTDOWN_GRACE: "601" }, 'COMPLIANCE_SHUTDOWN_GRACE must be a whole number from 0 to 600, got "601"'],
  [{ COMPLIANCE_WARM_UP_DELIVERIES: "1001" }, 'COMPLIANCE_WARM_UP_DELIVERIES must be a whole number from 0 to 1000, got "1001"'],
  [{ COMPLIANCE_STARTUP_SWEEP: "later" }, 'COMPLIANCE_STARTUP_SWEEP must be on or off, got "later"'],
  [{ REDIS_URL: "localhost:6379" }, "REDIS_URL must be a redis:// or rediss:// URL, not localhost:"],
  [{ REDIS_URL: "http://:hunter2@redis:6379" }, "REDIS_URL must be a redis:// or rediss:// URL, not http:"],
  [{ REDIS_URL: "redis://[oops" }, "REDIS_URL must be a redis:// or rediss:// URL"],
  [{ COMPLIANCE_RECONCILE_INTERVAL: "10" }, 'COMPLIANCE_RECONCILE_INTERVAL must be a whole number from 60 to 86400, got "10"'],
  [{ COMPLIANCE_RECONCILE_WINDOW: "0" }, 'COMPLIANCE_RECONCILE_WINDOW must be a whole number from 1 to 90, got "0"'],
  [{ COMPLIANCE_ENFORCE_SWEEP_INTERVAL: "60" }, 'COMPLIANCE_ENFORCE_SWEEP_INTERVAL must be 0 (no sweep) or a whole number of seconds from 3600 to 604800, got "60"'],
  [{ COMPLIANCE_ENFORCE_SWEEP_INTERVAL: "daily" }, 'COMPLIANCE_ENFORCE_SWEEP_INTERVAL must be a whole number from 0 to 604800, got "daily"'],
  [{ COMPLIANCE_GITHUB_CONCURRENCY: "101" }, 'COMPLIANCE_GITHUB_CONCURRENCY must be a whole number from 1 to 100, got "101"'],
  [{ COMPLIANCE_GITHUB_POINTS_PER_MINUTE: "1000" }, 'COMPLIANCE_GITHUB_POINTS_PER_MINUTE must be a whole number from 60 to 895, got "1000"'],
  [{ COMPLIANCE_GITHUB_WRITE_SPACING_MS: "1s" }, 'COMPLIANCE_GITHUB_WRITE_SPACING_MS must be a whole number from 0 to 10000, got "1s"'],
])("%j is refused: %s", (env, message) => {
  expect(() => loadConfig(env)).toThrow(new ConfigError(message));
});

test("GitHub's limits per installation: concurrency, points a minute (its burst a sixth of them, a minute within 840), write spacing; Redis", () => {
  expect(
    loadConfig({ COMPLIANCE_GITHUB_CONCURRENCY: "10", COMPLIANCE_GITHUB_POINTS_PER_MINUTE: "600", COMPLIANCE_GITHUB_WRITE_SPACING_MS: "1000", REDIS_URL: "redis://:pw@cache:6379/2" }),
  ).toMatchObject({ pacing: { ...DEFAULT_PACING, concurrency: 10, pointsPerMinute: 600, pointsBurst: 100, writeSpacingMs: 1000 }, redisUrl: "redis://:pw@cache:6379/2" });
  // The default: its burst keeps a minute within 840; more steady points leave less burst, down to 5.
  expect(loadConfig({}).pacing).toMatchObject({ pointsPerMinute: 780, pointsBurst: 60 });
  expect([720, 800, 895].map((points) => loadConfig({ COMPLIANCE_GITHUB_POINTS_PER_MINUTE: String(points) }).pacing.pointsBurst)).toEqual([120, 40, 5]);
  expect(() => loadConfig({ COMPLIANCE_GITHUB_POINTS_PER_MINUTE: "900" })).toThrow(ConfigError); // 900 + a burst would pass GitHub's 900
  // A refused address is not echoed: it may hold a password.
  expect(() => loadConfig({ REDIS_URL: "http://user:secret@cache" })).toThrow(expect.objectContaining({ message: expect.not.stringContaining("secret") }));
});

test("a malformed APP_ID is Probot's to refuse; compliance-gate only does without it", () => {
  expect(loadConfig({ APP_ID: "abc" })).not.toHaveProperty("appId");
});

describe("AUDIT_SIGNING_KEY", () => {
  const ed25519 = generateKeyPairSync("ed25519");
  const pem = ed25519.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

  test("an Ed25519 private key in PEM signs the records; with its newlines written as \\n too", () => {
    expect(loadConfig({ AUDIT_SIGNING_KEY: pem }).signingKey?.asymmetricKeyType).toBe("ed25519");
    const escaped = pem.trim().replace(/\n/g, "\\n");
    expect(escaped).not.toContain("\n");
    expect(loadConfig({ AUDIT_SIGNING_KEY: escaped }).signingKey?.asymmetricKeyType).toBe("ed25519");
  });

  test("or from a file (AUDIT_SIGNING_KEY_PATH)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cg-key-"));
    const path = join(dir, "audit.pem");
    writeFileSync(path, pem);
    expect(loadConfig({ AUDIT_SIGNING_KEY_PATH: path }).signingKey?.asymmetricKeyType).toBe("ed25519");
    expect(() => loadConfig({ AUDIT_SIGNING_KEY_PATH: join(dir, "missing.pem") })).toThrow(ConfigError);
    expect(() => loadConfig({ AUDIT_SIGNING_KEY_PATH: path, AUDIT_SIGNING_KEY: pem })).toThrow("not both");
  });

  test("a key that cannot be read, or is not Ed25519, stops the app: it must never believe it signs when it does not", () => {
    expect(() => loadConfig({ AUDIT_SIGNING_KEY: "not a key" })).toThrow(/^AUDIT_SIGNING_KEY is not a readable PEM private key/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => loadConfig({ AUDIT_SIGNING_KEY: rsa })).toThrow(new ConfigError("AUDIT_SIGNING_KEY is not an Ed25519 key (it is rsa); generate one with: openssl genpkey -algorithm ed25519"));
    const publicOnly = ed25519.publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => loadConfig({ AUDIT_SIGNING_KEY: publicOnly })).toThrow(ConfigError);
  });

  test("unset or empty: records are sealed with a digest only", () => {
    expect(loadConfig({ AUDIT_SIGNING_KEY: "  " })).not.toHaveProperty("signingKey");
  });
});
