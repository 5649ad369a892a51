import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_POLICY_FILES } from "../../src/policy/load.js";
import { bombErrors, policyWithGlobs, SIXTY_BOMBS, TRUNCATED, truncatedError } from "../policy/glob-bombs.js";
import { run } from "./run.js";

const F = "test/fixtures/cli";

describe("compliance-gate (usage)", () => {
  test("no command prints usage on stderr and exits 2", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: compliance-gate <command>");
  });

  test("--help prints usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("validate [DIR]");
    expect(r.stdout).toContain("simulate --policies DIR CHANGE");
    expect(r.stdout).toContain("test [DIR]");
  });

  test("an unknown command prints usage and exits 2", async () => {
    const r = await run(["deploy"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'deploy'");
    expect(r.stderr).toContain("Usage:");
  });

  test.each(["validate", "simulate", "test"])("an unknown flag of %s prints its usage and exits 2", async (command) => {
    const r = await run([command, "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--frobnicate'");
    expect(r.stderr).toContain(`Usage: compliance-gate ${command}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test.each(["validate", "simulate", "test"])("%s --help explains the command with an example", async (command) => {
    const r = await run([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: compliance-gate ${command}`);
    expect(r.stdout).toContain("Example:");
  });

  test("simulate without --policies is a usage error", async () => {
    const r = await run(["simulate", "change.yml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("simulate needs --policies DIR");
  });

  test("simulate without a CHANGE is a usage error", async () => {
    const r = await run(["simulate", "--policies", "policies"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exactly one CHANGE");
  });
});

describe("compliance-gate validate", () => {
  test("the repository's example policies are valid", async () => {
    const r = await run(["validate", "policies"]);
    expect(r.stdout).toBe("ok: 3 policies (governance, production, staging)\n");
    expect(r.code).toBe(0);
  });

  test("DIR defaults to policies", async () => {
    const r = await run(["validate"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 3 policies");
  });

  test("invalid files print file:line:col: field: message and exit 1", async () => {
    const r = await run(["validate", `${F}/invalid`]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toContain(`${F}/invalid/production.yml:8:5: rules[0].aprovals: unknown key; did you mean \`approvals\`?`);
    expect(lines).toContain(`${F}/invalid/production.yml:12:16: rules[1].approvals: must be an integer from 0 to 20`);
    expect(lines.at(-1)).toMatch(/^invalid: \d+ errors? in 1 file$/);
    expect(r.stdout).not.toContain("staging.yml");
  });

  test("a missing directory is unreadable input: exit 2", async () => {
    const r = await run(["validate", `${F}/nope`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${F}/nope: no such directory`);
  });

  test("a directory without policy files fails", async () => {
    const r = await run(["validate", `${F}/empty`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no policy files");
  });

  test("warns when no policy covers DIR/** and when a rule can never be satisfied, exit 0", async () => {
    const r = await run(["validate", `${F}/ungoverned`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${F}/ungoverned: warning: no policy covers ${F}/ungoverned/**`);
    expect(r.stdout).toContain(
      `${F}/ungoverned/production.yml: warning: rules[0].approvals: rule "two named people" can never be satisfied: it needs 3 approvals but names only 2 users`,
    );
    expect(r.stdout).toContain("ok: 1 policy (production)");
  });

  test("warns which branch patterns of an enforcing policy no ruleset can express (SPEC §5), exit 0", async () => {
    const r = await run(["validate", `${F}/unenforceable`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `${F}/unenforceable/production.yml: warning: scope.branches[1]: "hotfix/+(eu|us)" cannot be enforced (enforce.required_check): GitHub's branch patterns have no extglobs such as +(…), @(…), !(…), ?(…), *(…); require compliance/production on those branches by hand, or write the pattern with *, ** and [...] only`,
    );
    expect(r.stdout).not.toContain("scope.branches[2]");
    expect(r.stdout).toContain("ok: 1 policy (production)");
  });

  describe("refuses the brace bombs of issue 7 (they ran it out of memory), naming each glob", () => {
    const folder = (files: Record<string, string>): string => {
      const dir = mkdtempSync(join(tmpdir(), "cg-validate-"));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      return dir;
    };

    test("a 3 KB file of sixty five-digit bombs: sixty errors, exit 1", async () => {
      const dir = folder({ "evil.yml": SIXTY_BOMBS });
      const r = await run(["validate", dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe([...bombErrors(`${dir}/evil.yml`), "invalid: 60 errors in 1 file", ""].join("\n"));
    });

    test(`a folder of more than ${MAX_POLICY_FILES} policy files is refused before any is read`, async () => {
      const files = Object.fromEntries(Array.from({ length: MAX_POLICY_FILES + 1 }, (_, n) => [`env-${n}.yml`, policyWithGlobs(["a/**"], `env-${n}`)]));
      const dir = folder(files);
      const r = await run(["validate", dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`${dir}: ${dir}/ holds 201 policy files; the limit is 200\ninvalid: 1 error in 1 file\n`);
    });

    test("seventeen `{a,b}`, which minimatch cuts short without a word, are not ok", async () => {
      const dir = folder({ "evil.yml": policyWithGlobs([TRUNCATED]) });
      const r = await run(["validate", dir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`${truncatedError(`${dir}/evil.yml`)}\ninvalid: 1 error in 1 file\n`);
    });
  });
});
