import { run } from "./run.js";

describe("compliance-gate test", () => {
  test("the repository's policy tests pass", async () => {
    const r = await run(["test", "policies"]);
    expect(r.stdout).toMatch(/^(\d+) passed, 0 failed\n$/);
    expect(Number(r.stdout.split(" ")[0])).toBeGreaterThanOrEqual(15);
    expect(r.code).toBe(0);
  });

  test("failing cases print a line with expected and actual, then the totals, and exit 1", async () => {
    const r = await run(["test", "test/fixtures/cli/failing"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toEqual([
      "FAIL test/fixtures/cli/failing/tests/production.yml:11: a wrong expectation fails: " +
        "production: expected approved, got pending (Waiting for 1 approval from @sre); nonexistent: no such environment in test/fixtures/cli/failing",
      "1 passed, 1 failed",
    ]);
  });

  test("a malformed test file names file, line and field, and exits 2", async () => {
    const r = await run(["test", "test/fixtures/cli/malformed"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("test/fixtures/cli/malformed/tests/broken.yml:4:5: [0].change.autor: unknown key; did you mean `author`?");
  });

  test("a directory without tests runs none", async () => {
    const r = await run(["test", "test/fixtures/cli/ungoverned"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0 passed, 0 failed\n");
    expect(r.stderr).toContain("no policy tests");
  });
});
