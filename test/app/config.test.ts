// The configuration variables: defaults, valid values, and a clear error at startup for a bad one.
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "../../src/app/config.js";

test("defaults: membership trusted 5 minutes, 4 PRs at once, freeze timers on", () => {
  expect(loadConfig({})).toEqual({ membershipTtlMs: 300_000, concurrency: 4, freezeTimers: true });
  expect(DEFAULT_CONFIG).toEqual({ membershipTtlMs: 300_000, concurrency: 4, freezeTimers: true });
});

test("reads every variable", () => {
  expect(
    loadConfig({ COMPLIANCE_MEMBERSHIP_TTL: "60", COMPLIANCE_CONCURRENCY: " 8 ", COMPLIANCE_FREEZE_TIMERS: "off", APP_ID: "12345" }),
  ).toEqual({ membershipTtlMs: 60_000, concurrency: 8, freezeTimers: false, appId: 12345 });
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
])("%j is refused: %s", (env, message) => {
  expect(() => loadConfig(env)).toThrow(new ConfigError(message));
});

test("a malformed APP_ID is Probot's to refuse; compliance-gate only does without it", () => {
  expect(loadConfig({ APP_ID: "abc" })).not.toHaveProperty("appId");
});
