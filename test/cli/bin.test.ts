// The installed command as a user runs it: node bin/compliance-gate.js after `npm run build`.
import { spawnSync } from "node:child_process";

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["bin/compliance-gate.js", ...args], { encoding: "utf8" });
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
