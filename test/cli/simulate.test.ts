import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.js";

const tmp = mkdtempSync(join(tmpdir(), "cg-simulate-"));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const SPEC_CHANGE = `
repository: acme/gitops
base: main
head: h2
author: carol
contributors: [carol]
files:
  - clusters/production/api.yaml
reviews:
  - { user: alice, state: APPROVED }
  - { user: bob, state: APPROVED, commit: h1 }
teams:
  sre: [alice, bob]
now: "2026-12-01T10:00:00Z"
`;

describe("compliance-gate simulate", () => {
  test("prints the decision as the JSON of SPEC §6.2, fields in order", async () => {
    const r = await run(["simulate", "--policies", "policies", file("change.yml", SPEC_CHANGE)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.environments.map((e: { environment: string }) => e.environment)).toEqual(["governance", "production", "staging"]);
    const production = out.environments[1];
    expect(Object.keys(production)).toEqual(["environment", "check", "state", "break_glass", "title", "files", "uncovered", "freeze", "rules", "errors"]);
    expect(production).toEqual({
      environment: "production",
      check: "compliance/production",
      state: "pending",
      break_glass: false,
      title: "Waiting for 1 approval from @acme/sre",
      files: ["clusters/production/api.yaml"],
      uncovered: [],
      freeze: null,
      rules: [
        {
          name: "SRE approves cluster changes",
          required: 2,
          satisfied: false,
          missing: 1,
          approved_by: ["alice"],
          ignored: [{ user: "bob", reason: "stale" }],
        },
      ],
      errors: [],
    });
    expect(Object.keys(production.rules[0])).toEqual(["name", "required", "satisfied", "missing", "approved_by", "ignored"]);
    expect(out.environments[0].state).toBe("not_affected");
  });

  test("reads JSON from stdin with -", async () => {
    const change = { base: "main", author: "carol", files: ["clusters/staging/x.yaml"], reviews: [{ user: "dave", state: "APPROVED" }], teams: { platform: ["dave"] } };
    const r = await run(["simulate", "--policies", "policies", "-"], JSON.stringify(change));
    expect(r.code).toBe(0);
    const staging = JSON.parse(r.stdout).environments.find((e: { environment: string }) => e.environment === "staging");
    expect(staging.state).toBe("approved");
    expect(staging.rules[0].approved_by).toEqual(["dave"]);
  });

  test("a decision of any state still exits 0", async () => {
    const r = await run(["simulate", "--policies", "policies", file("blocked.yml", "base: main\nauthor: carol\nfiles: [clusters/production/x.yaml]\nnow: '2026-12-25T10:00:00Z'\n")]);
    expect(r.code).toBe(0);
    const production = JSON.parse(r.stdout).environments.find((e: { environment: string }) => e.environment === "production");
    expect(production.state).toBe("blocked");
    expect(production.freeze).toBe("year-end freeze");
  });

  test("an invalid CHANGE names file, line, column and field, and exits 2", async () => {
    const path = file("bad.yml", "base: main\nauthor: carol\nfiles: [a.yaml]\nreviews:\n  - { user: alice, state: APROVED }\n");
    const r = await run(["simulate", "--policies", "policies", path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^${path}:5:\\d+: reviews\\[0\\]\\.state: must be one of APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED`));
  });

  test("an unknown key in CHANGE is an error with a suggestion", async () => {
    const path = file("typo.yml", "base: main\nauthor: carol\nfiles: [a.yaml]\nlabesl: [x]\n");
    const r = await run(["simulate", "--policies", "policies", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path}:4:1: labesl: unknown key; did you mean \`labels\`?`);
  });

  test("a missing required key is an error", async () => {
    const path = file("missing.yml", "base: main\nfiles: [a.yaml]\n");
    const r = await run(["simulate", "--policies", "policies", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("author");
  });

  test("YAML that does not parse is an error with its position", async () => {
    const path = file("broken.yml", "base: main\nauthor: [carol\n");
    const r = await run(["simulate", "--policies", "policies", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${path}:\\d+:\\d+: `));
  });

  test("a CHANGE file that does not exist exits 2", async () => {
    const r = await run(["simulate", "--policies", "policies", join(tmp, "nope.yml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope.yml: cannot read: no such file");
  });

  test("a policies directory that does not exist exits 2", async () => {
    const r = await run(["simulate", "--policies", join(tmp, "nodir"), file("ok.yml", "base: main\nauthor: carol\nfiles: []\n")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such directory");
  });

  test("an invalid policy decides error for its environment, and the others normally", async () => {
    const r = await run(["simulate", "--policies", "test/fixtures/cli/invalid", file("inv.yml", "base: main\nauthor: carol\nfiles: [clusters/staging/x.yaml]\nreviews: [{user: dave, state: APPROVED}]\nteams: {platform: [dave]}\n")]);
    expect(r.code).toBe(0);
    const envs = JSON.parse(r.stdout).environments;
    const production = envs.find((e: { environment: string }) => e.environment === "production");
    expect(production.state).toBe("error");
    expect(production.errors[0]).toMatch(/^test\/fixtures\/cli\/invalid\/production\.yml:\d+:\d+: /);
    expect(envs.find((e: { environment: string }) => e.environment === "staging").state).toBe("approved");
  });
});
