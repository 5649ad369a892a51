import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.js";

/** A copy of the failing fixture's policy with one test file of `cases`. */
function policyDir(cases: string, options = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "cg-policy-test-"));
  cpSync("test/fixtures/cli/failing/production.yml", join(dir, "production.yml"));
  if (options) writeFileSync(join(dir, "production.yml"), `${options}\n`, { flag: "a" });
  mkdirSync(join(dir, "tests"));
  writeFileSync(join(dir, "tests", "production.yml"), cases);
  return dir;
}

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

  test("cases can name co-authors and unlinked commit identities", async () => {
    const cases = `- name: a co-author's approval does not count
  change:
    base: main
    author: carol
    co_authors: [alice]
    files: [clusters/production/a.yaml]
    reviews: [{ user: alice, state: APPROVED }, { user: bob, state: APPROVED }]
    teams: { sre: [alice, bob] }
  expect:
    production: pending
- name: an unlinked identity blocks
  change:
    base: main
    author: carol
    unlinked: ["abc1234: carol <carol@laptop>"]
    files: [clusters/production/a.yaml]
    reviews: [{ user: alice, state: APPROVED }, { user: bob, state: APPROVED }]
    teams: { sre: [alice, bob] }
  expect:
    production: blocked
`;
    const r = await run(["test", policyDir(cases, "options: { unlinked_commits: block }")]);
    expect(r.stdout).toBe("2 passed, 0 failed\n");
    expect(r.code).toBe(0);
  });

  test("a malformed unlinked identity names file, line, column and field, and exits 2", async () => {
    const cases = `- name: bad
  change:
    base: main
    author: carol
    unlinked: ["no commit here"]
    files: [clusters/production/a.yaml]
  expect:
    production: blocked
`;
    const dir = policyDir(cases);
    const r = await run(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${join(dir, "tests", "production.yml")}:5:16: \\[0\\]\\.change\\.unlinked\\[0\\]: must be "COMMIT: NAME <EMAIL>"`));
  });
});
