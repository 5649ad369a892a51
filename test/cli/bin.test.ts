// The installed command as a user runs it: node bin/compliance-gate.js after `npm run build`.
import { spawnSync } from "node:child_process";

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["bin/compliance-gate.js", ...args], { encoding: "utf8" });
}

/** The process's environment without a GitHub token. */
function withoutToken(): NodeJS.ProcessEnv {
  const { GITHUB_TOKEN: _token, ...env } = process.env;
  return env;
}

test("the bin validates the example policies", () => {
  const r = cli("validate", "policies");
  expect(r.stdout).toBe("ok: 3 policies (governance, production, staging)\n");
  expect(r.status).toBe(0);
});

test("the bin runs the example policy tests", () => {
  const r = cli("test", "policies");
  expect(r.stdout).toMatch(/^\d+ passed, 0 failed\n$/);
  expect(r.status).toBe(0);
});

test("the bin exits 2 with usage on an unknown command, without a stack trace", () => {
  const r = cli("frobnicate");
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("Usage:");
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test("the bin's explain reads GITHUB_TOKEN from the process environment, and exits 2 without it", () => {
  const r = spawnSync(process.execPath, ["bin/compliance-gate.js", "explain", "--repo", "acme/gitops", "--pr", "42"], {
    encoding: "utf8",
    env: withoutToken(),
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^compliance-gate explain: GITHUB_TOKEN is not set\./);
});
