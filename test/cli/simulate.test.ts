import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

  describe("co_authors and unlinked commit identities", () => {
    const base = `
repository: acme/gitops
base: main
head: h2
author: carol
files: [clusters/production/api.yaml]
teams: { sre: [alice, bob] }
now: "2026-12-01T10:00:00Z"
`;
    const production = (stdout: string) => JSON.parse(stdout).environments.find((e: { environment: string }) => e.environment === "production");

    test("a co-author is a contributor: their approval does not count", async () => {
      const r = await run(["simulate", "--policies", "policies", file("co.yml", `${base}co_authors: [alice]\nreviews: [{ user: alice, state: APPROVED }, { user: bob, state: APPROVED }]\n`)]);
      expect(r.code).toBe(0);
      const env = production(r.stdout);
      expect(env.state).toBe("pending");
      expect(env.rules[0].ignored).toEqual([{ user: "alice", reason: "contributor" }]);
      expect(Object.keys(env)).not.toContain("unlinked");
    });

    test("production blocks on an unlinked identity, given as a string or as the fact's mapping, and shows them after freeze", async () => {
      const change = `${base}reviews: [{ user: alice, state: APPROVED }, { user: bob, state: APPROVED }]
unlinked:
  - "abc1234: carol <carol@laptop>"
  - "def5678 (co-author): frank <frank@contractor.example>"
  - { commit: 0123abc, role: committer, email: ci@build-host }
  - "abc1234: carol <carol@laptop>"
`;
      const r = await run(["simulate", "--policies", "policies", file("unlinked.yml", change)]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const env = production(r.stdout);
      expect(env.state).toBe("blocked");
      expect(env.title).toBe("Blocked: cannot tell who wrote abc1234: carol <carol@laptop> (+2 more)");
      expect(Object.keys(env)).toEqual(["environment", "check", "state", "break_glass", "title", "files", "uncovered", "freeze", "unlinked", "rules", "errors"]);
      expect(env.unlinked).toEqual([
        { commit: "abc1234", role: "author", name: "carol", email: "carol@laptop" },
        { commit: "def5678", role: "co-author", name: "frank", email: "frank@contractor.example" },
        { commit: "0123abc", role: "committer", name: "", email: "ci@build-host" },
      ]);
    });

    test.each([
      ['unlinked: ["carol <carol@laptop>"]', 9, "unlinked[0]", "must be \"COMMIT: NAME <EMAIL>\""],
      ['unlinked: ["abc1234 (reviewer): carol"]', 9, "unlinked[0]", "must be \"COMMIT: NAME <EMAIL>\""],
      ["unlinked:\n  - { commit: abc1234, role: author }", 10, "unlinked[0]", "must give a name or an e-mail"],
      ["unlinked:\n  - { commit: abc1234, name: x, who: y }", 10, "unlinked[0].who", "unknown key"],
      ["unlinked:\n  - { commit: abc1234, role: pusher, name: x }", 10, "unlinked[0].role", "must be one of author, committer, co-author"],
      ["co_authors: alice", 9, "co_authors", "must be a list of logins"],
    ])("%s is an error naming file, line, column and field", async (yaml, line, field, message) => {
      const path = file("bad-unlinked.yml", `${base}${yaml}\n`);
      const r = await run(["simulate", "--policies", "policies", path]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")[0]).toMatch(new RegExp(`^${path}:${line}:\\d+: ${field.replace(/[[\].]/g, "\\$&")}: ${message.replace(/[()[\].*+?"]/g, "\\$&")}`));
    });
  });
});

describe("the README's simulate example", () => {
  // The README shows change.yml and the decision simulate prints for it, trimmed with "…": both must
  // stay true of the example policies (production.yml blocks on unlinked identities).
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("### `compliance-gate simulate --policies DIR CHANGE`"));
  const change = /```yaml\n(# change\.yml\n[\s\S]*?)```/.exec(section)?.[1] ?? "";
  const shown = /```console\n\$ compliance-gate simulate --policies policies change\.yml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";

  test("is what simulate prints for its change.yml, but for the trimmed parts", async () => {
    expect(change).toContain("unlinked:");
    const r = await run(["simulate", "--policies", "policies", file("readme-change.yml", change)]);
    expect(r.code).toBe(0);
    // every line shown is printed, in order; a "…" stands for lines left out
    const printed = r.stdout.split("\n");
    let at = 0;
    for (const line of shown.trimEnd().split("\n")) {
      if (line.trim() === "…") continue;
      const found = printed.indexOf(line, at);
      expect([line, found >= 0]).toEqual([line, true]);
      at = found + 1;
    }
    const production = JSON.parse(r.stdout).environments.find((e: { environment: string }) => e.environment === "production");
    expect(production.state).toBe("blocked");
  });
});
